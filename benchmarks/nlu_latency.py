"""NLU parse latency of trained models through Rasa's `Agent.parse_message`, interleaved, with ratios.

    python benchmarks/nlu_latency.py --baseline /work/wt/baseline            # this build, baseline, DIET
    python benchmarks/nlu_latency.py --baseline /work/wt/baseline --nodes    # + time per pipeline component

Models compared (each loaded in its own process, whose working directory is its checkout, so each
imports its own `rasa_llm`):
- this build: `models/larkspur.tar.gz` of this checkout (`python -m bot.stack train`);
- `--baseline`: another checkout, with its trained model in its models/ (or `--baseline-model`);
- DIET: Rasa's default pipeline (benchmarks/intent_benchmark.py's) trained on data/nlu, once: cached
  under models/diet-nlu/ keyed by a hash of data/nlu and the epochs (delete it to retrain). Its parse
  latency does not depend on the number of epochs (same network, other weights): `--diet-epochs 5`
  trains in minutes on a small machine where Rasa's 100 take an hour; the accuracy is not measured here.

Messages: the customer messages of benchmarks/data (answer_questions.yml, sentiment_heldout.yml),
shuffled with a fixed seed, the first `--messages`. The processes parse in turns of `--chunk`
messages (this build, baseline, DIET, this build, ...) so that a change in the machine's load hits
all of them alike; each process first parses `--warmup` messages that are not counted. Printed:
p50 / p95 / mean per model and the ratios against the baseline and DIET; with `--nodes`, the time
of each graph node of the NLU pipeline (GraphNode calls, Rasa's own steps included).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path("models") / "larkspur.tar.gz"
DIET_FOLDER = ROOT / "models" / "diet-nlu"
ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "USE_TF": "0",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "OMP_WAIT_POLICY": "PASSIVE",
}


def messages(count: int, seed: int = 0) -> list[str]:
    import yaml

    answer = yaml.safe_load((ROOT / "benchmarks/data/answer_questions.yml").read_text())
    texts = []
    for split in ("tuning", "heldout"):
        for items in answer[split].values():
            texts += [item["text"] if isinstance(item, dict) else item for item in items]
    sentiment = yaml.safe_load((ROOT / "benchmarks/data/sentiment_heldout.yml").read_text())
    for group in ("registers", "hard_cases"):
        for by_label in sentiment[group].values():
            for items in by_label.values():
                texts += items
    texts = list(dict.fromkeys(texts))
    random.Random(seed).shuffle(texts)
    return texts[:count]


# ---- the worker: one model in one process ---------------------------------------------------------

def worker(model: str, nodes: bool) -> None:
    """Load `model`, say "ready", then parse each {"texts": [...]} line of stdin and answer a line of
    {"ms": [...], "nodes": {node: [ms, ...]}}."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.engine import graph

    timings: dict[str, list[float]] = {}
    if nodes:
        call = graph.GraphNode.__call__

        def timed(self, *inputs):
            started = time.perf_counter()
            try:
                return call(self, *inputs)
            finally:
                timings.setdefault(self._node_name, []).append((time.perf_counter() - started) * 1000)

        graph.GraphNode.__call__ = timed
    agent = Agent.load(model)
    loop = asyncio.new_event_loop()
    try:
        import rasa_llm

        origin = str(Path(rasa_llm.__file__).resolve().parent.parent)
    except ImportError:
        origin = None
    print(json.dumps({"ready": True, "rasa_llm": origin}), flush=True)
    for line in sys.stdin:
        timings.clear()
        latencies = []
        for text in json.loads(line)["texts"]:
            started = time.perf_counter()
            loop.run_until_complete(agent.parse_message(text))
            latencies.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"ms": latencies, "nodes": timings}), flush=True)


class Worker:
    def __init__(self, name: str, model: Path, cwd: Path, nodes: bool) -> None:
        self.name = name
        # `python -c` puts the working directory first on sys.path: the checkout's own rasa_llm.
        bootstrap = (
            "import os, runpy, sys; sys.argv[0] = os.environ['NLU_LATENCY_SCRIPT']; "
            "runpy.run_path(sys.argv[0], run_name='__main__')"
        )
        args = [sys.executable, "-c", bootstrap, "--worker", str(model.resolve())]
        if nodes:
            args.append("--nodes")
        env = {**os.environ, **ENV, "NLU_LATENCY_SCRIPT": str(Path(__file__).resolve())}
        self.process = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.latencies: list[float] = []
        self.nodes: dict[str, list[float]] = {}
        self.origin: str | None = None

    def _read(self) -> dict[str, Any]:
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"{self.name}: the worker exited (code {self.process.wait()}).")
            if line.startswith("{"):
                return json.loads(line)

    def ready(self) -> None:
        self.origin = self._read().get("rasa_llm")

    def parse(self, texts: list[str], count: bool = True) -> None:
        self.process.stdin.write(json.dumps({"texts": texts}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if count:
            self.latencies += answer["ms"]
            for node, values in answer["nodes"].items():
                self.nodes.setdefault(node, []).extend(values)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


# ---- DIET, trained once ---------------------------------------------------------------------------

def diet_model(seed: int, epochs: int = 100) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from intent_benchmark import diet_pipeline

    data = ROOT / "data" / "nlu"
    digest = hashlib.sha256()
    for path in sorted(data.rglob("*.yml")):
        digest.update(path.name.encode() + path.read_bytes())
    folder = DIET_FOLDER / f"{digest.hexdigest()[:12]}-seed{seed}-epochs{epochs}"
    found = sorted(folder.glob("*.tar.gz"))
    if found:
        return found[-1]
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    pipeline = diet_pipeline(seed)
    next(c for c in pipeline if c["name"] == "DIETClassifier")["epochs"] = epochs
    config = folder / "config.yml"
    config.write_text(yaml.safe_dump(
        {"recipe": "default.v1", "language": "en", "assistant_id": "diet", "pipeline": pipeline},
        sort_keys=False,
    ))
    print(f"training Rasa's DIET pipeline on {data} into {folder} (once)...", flush=True)
    env = {**os.environ, **ENV}
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(data),
         "--out", str(folder), "--fixed-model-name", "diet"],
        cwd=ROOT, env=env, check=True,
    )
    return sorted(folder.glob("*.tar.gz"))[-1]


# ---- report ---------------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def report(workers: list[Worker], nodes: bool) -> None:
    print(f"\n{'model':<12}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}   rasa_llm imported from")
    for w in workers:
        mean = sum(w.latencies) / len(w.latencies)
        print(f"{w.name:<12}{_percentile(w.latencies, 50):>9.1f}{_percentile(w.latencies, 95):>9.1f}"
              f"{mean:>9.1f}   {w.origin or '-'}")
    ours = workers[0]
    for other in workers[1:]:
        p50 = _percentile(ours.latencies, 50) / _percentile(other.latencies, 50)
        p95 = _percentile(ours.latencies, 95) / _percentile(other.latencies, 95)
        print(f"{ours.name} / {other.name}: p50 {p50:.2f}x, p95 {p95:.2f}x")
    if not nodes:
        return
    for w in workers:
        print(f"\n{w.name}: time per graph node (ms per message, mean / p50 / p95)")
        per_message = len(w.latencies)
        rows = sorted(w.nodes.items(), key=lambda item: -sum(item[1]))
        for node, values in rows:
            print(f"  {node:<58}{sum(values) / per_message:>7.2f}{_percentile(values, 50):>7.2f}"
                  f"{_percentile(values, 95):>7.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, default=ROOT / MODEL, help="this build's model")
    parser.add_argument("--baseline", type=Path, help="checkout of the build to compare with")
    parser.add_argument("--baseline-model", type=Path, help="its model, when not in its models/")
    parser.add_argument("--no-diet", action="store_true", help="leave Rasa's DIET pipeline out")
    parser.add_argument(
        "--diet-epochs", type=int, default=100, help="DIET's training epochs (not its latency)"
    )
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--chunk", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="message order and DIET's training seed")
    parser.add_argument("--nodes", action="store_true", help="also time each graph node")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.nodes)
        return 0

    texts = messages(args.messages, args.seed)
    plan = [("this build", args.model, ROOT)]
    if args.baseline:
        plan.append(("baseline", args.baseline_model or args.baseline / MODEL, args.baseline))
    if not args.no_diet:
        plan.append(("DIET", diet_model(args.seed, args.diet_epochs), ROOT))
    for name, model, _ in plan:
        if not model.is_file():
            raise SystemExit(f"{name}: no model at {model} (train it first).")
    workers = []
    try:
        # Loaded one after the other: loading is CPU-heavy and would slow the others' start.
        for name, model, cwd in plan:
            workers.append(Worker(name, model, cwd, args.nodes))
            workers[-1].ready()
            workers[-1].parse(texts[: args.warmup], count=False)
        print(f"{len(texts)} messages, {len(workers)} models in turns of {args.chunk}; "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        for start in range(0, len(texts), args.chunk):
            for w in workers:
                w.parse(texts[start : start + args.chunk])
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        report(workers, args.nodes)
    finally:
        for w in workers:
            w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
