"""Rasa server start time: process start -> "Rasa server is up and running", this build vs another.

    python benchmarks/start_benchmark.py --baseline /path/to/older/checkout [--runs 3]

Each build starts `rasa run` with its own code (the process runs in the build's folder, so its
`rasa_llm` is imported) and its own trained model (`models/larkspur.tar.gz`), and its `endpoints.yml` with
the tracker store in a temporary SQLite file (the NLG loads its generator as it does in production),
and the REST and socket.io channels.
The builds alternate, `--runs` times each, so both see the same machine load; printed: every start,
the median per build and the ratio. The time is until Rasa logs that it is up and running, which is
also when it starts answering HTTP.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stack import MODEL_NAME, QUIET_ENV  # noqa: E402
from bot.testing import free_port  # noqa: E402

UP_AND_RUNNING = "Rasa server is up and running"


def _endpoints(build: Path, run_dir: Path) -> Path:
    endpoints = yaml.safe_load((build / "endpoints.yml").read_text()) or {}
    endpoints["tracker_store"] = {"type": "SQL", "dialect": "sqlite", "db": str(run_dir / "trackers.sqlite3")}
    endpoints.pop("lock_store", None)
    path = run_dir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def time_start(build: Path, model: Path, timeout: float) -> float:
    """Seconds from starting `rasa run` in `build` to its "up and running" log line."""
    if not model.exists():
        raise SystemExit(f"no trained model at {model}: train that build first (python -m bot.stack train)")
    with tempfile.TemporaryDirectory(prefix="start-benchmark-") as run_dir:
        credentials = Path(run_dir, "credentials.yml")
        credentials.write_text(
            "rest: {}\nsocketio: {user_message_evt: user_uttered, bot_message_evt: bot_uttered}\n"
        )
        command = [sys.executable, "-m", "rasa", "run", "--model", str(model),
                   "--endpoints", str(_endpoints(build, Path(run_dir))), "--credentials", str(credentials),
                   "--port", str(free_port()), "--interface", "127.0.0.1"]
        up = threading.Event()
        lines: list[str] = []
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=build,
            env={**os.environ, **QUIET_ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

        def read() -> None:
            for line in process.stdout:
                lines.append(line)
                if UP_AND_RUNNING in line:
                    up.set()

        threading.Thread(target=read, daemon=True).start()
        try:
            while not up.wait(0.05):
                if process.poll() is not None or time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{build}: Rasa did not come up:\n{''.join(lines[-30:])}")
            return time.perf_counter() - started
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=Path, required=True, help="checkout of the build to compare with")
    parser.add_argument("--baseline-model", type=Path,
                        help="the baseline's trained model (default: its models/larkspur.tar.gz)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one start may take at most")
    args = parser.parse_args(argv)
    model = Path("models", f"{MODEL_NAME}.tar.gz")
    builds = {"baseline": (args.baseline.resolve(), args.baseline_model or args.baseline / model),
              "this build": (ROOT, ROOT / model)}
    seconds: dict[str, list[float]] = {name: [] for name in builds}
    for run in range(args.runs):
        for name, (build, build_model) in builds.items():
            seconds[name].append(time_start(build, build_model.resolve(), args.timeout))
            print(f"run {run + 1}: {name:<10} {seconds[name][-1]:6.1f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name, median in medians.items():
        print(f"median {name:<10} {median:6.1f} s  (runs: {', '.join(f'{s:.1f}' for s in seconds[name])})")
    print(f"this build / baseline: {medians['this build'] / medians['baseline']:.2f}x  (target: <= 15 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
