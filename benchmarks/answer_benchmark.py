"""Does the bot answer the question the customer asked? The whole bot, new build vs an older build.

    python benchmarks/answer_benchmark.py --baseline /work/wt/baseline        # both builds, both splits
    python benchmarks/answer_benchmark.py --baseline ../old --split tuning      # while tuning
    python benchmarks/answer_benchmark.py --calibrate                           # thresholds, no bot
    python benchmarks/answer_benchmark.py --split tuning --dump /tmp/outcomes.json  # per message

Data: benchmarks/data/answer_questions.yml (shop questions with the passage ids that answer them or
`none`, off-topic requests, order requests with the flow they must start), in a `tuning` and a
`heldout` split; report the held-out split separately and do not tune on it.

For each build (this checkout, and `--baseline`: another checkout with its trained model in
models/larkspur.tar.gz), the script starts the shop API, the action server and Rasa on free loopback
ports (bot/testing/stack.py's way, with that checkout's code and endpoints.yml), sends every message
as the first message of a fresh conversation through the REST channel, to each build in turn, and
reads the outcome from the reply (`custom.sources`, `custom.mode`) and the tracker (actions run,
form started, `order_request`):
- a reply citing passages is right when one of them is a gold passage (also when an order flow starts
  after it: counted on its own line too); a fixed template is scored by
  the passages it covers (`templates:` in the data); an abstention or the out-of-scope decline is an
  honest "I don't know"; anything else (another passage or template, an order flow) is wrong-topic;
- an off-topic request is declined when the reply is an abstention or the decline and no form started;
- an order request is routed right when the order verification form started with the gold
  `order_request`;
- the intent the classifier gave: out-of-scope share (`out_of_scope` or `nlu_fallback`) on the
  off-topic requests, and false rejections (the same intents) on the in-scope messages;
- REST reply latency p50 / p95.

Both builds answer with `backend: none` (extractive answers; the cited passage is the one a generated
answer would be checked against) unless `--backend` says otherwise, so the run takes minutes, not an
hour, and latencies are those of non-generative replies. Run it with `nice` on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stack import (  # noqa: E402
    MODEL_NAME,
    QUIET_ENV,
    StackSettings,
    backend_processes,
    ensure_model,
    rasa_server,
    start_in,
    write_endpoints,
)
from bot.testing import free_port  # noqa: E402

DEFAULT_DATA = ROOT / "benchmarks" / "data" / "answer_questions.yml"
NONE = "none"
REJECTED_INTENTS = {"out_of_scope", "nlu_fallback"}
DECLINE_ACTIONS = {"utter_out_of_scope"}
SPLITS = ("tuning", "heldout")


@dataclass
class Turn:
    """What one fresh conversation's first message got."""

    text: str
    seconds: float
    sources: set[str] = field(default_factory=set)
    abstained: bool = False
    actions: list[str] = field(default_factory=list)
    form: str | None = None
    order_request: str | None = None
    intent: str | None = None

    @property
    def declined(self) -> bool:
        return self.form is None and not self.sources and (
            self.abstained or any(action in DECLINE_ACTIONS for action in self.actions)
        )


class BotUnderTest:
    """One build's services on free loopback ports."""

    def __init__(self, root: Path, run_dir: Path, backend: str | None) -> None:
        self.root = root
        self.settings = StackSettings(
            run_dir=run_dir, shop_port=free_port(), actions_port=free_port(), rasa_port=free_port(),
            webchat_port=free_port(),
        )
        self.backend = backend
        self.session = requests.Session()

    def start(self, stack: ExitStack, model: Path) -> None:
        endpoints_path = write_endpoints(self.settings, self.root)
        if self.backend:
            endpoints = yaml.safe_load(endpoints_path.read_text())
            endpoints["nlg"]["backend"] = self.backend
            endpoints_path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
        processes = [*backend_processes(self.settings, self.root),
                     rasa_server(self.settings, model, endpoints_path, self.root)]
        for process in processes:
            # Each build imports its own rasa_llm / actions, whatever this process's PYTHONPATH says.
            process.env["PYTHONPATH"] = str(self.root)
            start_in(stack, process, timeout=600)

    def ask(self, text: str) -> Turn:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        url = f"{self.settings.rasa_url}/webhooks/rest/webhook"
        started = time.perf_counter()
        response = self.session.post(url, json={"sender": sender, "message": text}, timeout=120)
        seconds = time.perf_counter() - started
        response.raise_for_status()
        turn = Turn(text, seconds)
        for message in response.json():
            custom = message.get("custom") or {}
            turn.sources |= {source["id"] for source in custom.get("sources") or []}
            turn.abstained = turn.abstained or custom.get("mode") == "abstained"
        tracker = self.session.get(
            f"{self.settings.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.settings.rasa_token}, timeout=60,
        ).json()
        turn.intent = ((tracker.get("latest_message") or {}).get("intent") or {}).get("name")
        turn.form = (tracker.get("active_loop") or {}).get("name")
        turn.order_request = (tracker.get("slots") or {}).get("order_request")
        turn.actions = [
            event["name"] for event in tracker.get("events", []) if event.get("event") == "action"
        ]
        return turn


def question_outcome(turn: Turn, gold: list[str], templates: dict[str, list[str]]) -> str:
    """right | wrong | dont_know for one shop question.

    An order flow that starts is wrong-topic unless the reply before it cited a right passage (a
    question worded like a request, "can i return socks i opened", gets the answer and then the
    order number is asked: counted right, and shown on its own line)."""
    if turn.form is not None and not turn.sources & set(gold):
        return "wrong"
    if turn.sources:
        return "right" if turn.sources & set(gold) else "wrong"
    if turn.declined:
        return "right" if gold == [NONE] else "dont_know"
    covered = {passage for action in turn.actions for passage in templates.get(action, [])}
    if covered:
        return "right" if covered & set(gold) else "wrong"
    return "wrong"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def run_builds(bots: dict[str, BotUnderTest], split_data: dict[str, Any], templates: dict[str, list[str]]
               ) -> dict[str, dict[str, Any]]:
    """Every message of the split to every build in turn (so that a change in the machine's load hits
    all builds alike), then each build's figures."""
    texts = ([item["text"] for item in split_data["questions"]] + list(split_data["off_topic"])
             + [item["text"] for item in split_data["order_requests"]])
    turns: dict[str, list[Turn]] = {name: [] for name in bots}
    for text in texts:
        for name, bot in bots.items():
            turns[name].append(bot.ask(text))
    return {name: score_build(turns[name], split_data, templates) for name in bots}


def score_build(
    turns: list[Turn], split_data: dict[str, Any], templates: dict[str, list[str]]
) -> dict[str, Any]:
    asked = iter(turns)
    questions = [(item, next(asked)) for item in split_data["questions"]]
    off_topic = [next(asked) for _ in split_data["off_topic"]]
    orders = [(item, next(asked)) for item in split_data["order_requests"]]
    answerable = [(item, turn) for item, turn in questions if item["gold"] != [NONE]]
    unanswerable = [(item, turn) for item, turn in questions if item["gold"] == [NONE]]
    scored = [question_outcome(turn, item["gold"], templates) for item, turn in answerable]
    unanswered = [question_outcome(turn, item["gold"], templates) for item, turn in unanswerable]
    in_scope = [turn for _, turn in answerable] + [turn for _, turn in orders]
    latencies = (
        [turn.seconds for _, turn in questions]
        + [t.seconds for t in off_topic]
        + [t.seconds for _, t in orders]
    )

    def got(turn: Any) -> Any:  # what the bot did instead of citing the gold passage
        fallback = "declined" if turn.declined else turn.actions[-2:]
        return ",".join(sorted(turn.sources)) or turn.form or fallback

    misses = [
        f"{item['text']!r}: gold {','.join(item['gold'])}, got {got(turn)}"
        for (item, turn), outcome in zip(answerable, scored, strict=True)
        if outcome != "right"
    ]
    def row(kind: str, turn: Turn, **extra: Any) -> dict[str, Any]:
        return {
            "kind": kind, "text": turn.text, **extra, "intent": turn.intent,
            "sources": sorted(turn.sources), "abstained": turn.abstained, "form": turn.form,
            "order_request": turn.order_request, "actions": turn.actions[-3:],
        }

    rows = [
        row("question", turn, gold=item["gold"], outcome=question_outcome(turn, item["gold"], templates))
        for item, turn in questions
    ]
    rows += [row("off_topic", turn, outcome="right" if turn.declined else "wrong") for turn in off_topic]
    rows += [
        row("order_request", turn, gold=item["flow"],
            outcome="right" if turn.form == "order_verification_form" and turn.order_request == item["flow"]
            else "wrong")
        for item, turn in orders
    ]
    return {
        "answerable": len(answerable),
        "right passage": scored.count("right") / len(answerable),
        "wrong-topic (answerable)": scored.count("wrong") / len(answerable),
        "honest don't-know (answerable)": scored.count("dont_know") / len(answerable),
        "right passage, then an order flow started": sum(
            outcome == "right" and turn.form is not None
            for outcome, (item, turn) in zip(scored, answerable, strict=True)
        ) / len(answerable),
        "unanswerable": len(unanswerable),
        "unanswerable: honest don't-know": unanswered.count("right") / max(1, len(unanswerable)),
        "wrong-topic (all questions)": (scored.count("wrong") + unanswered.count("wrong")) / len(questions),
        "off-topic": len(off_topic),
        "off-topic declined, no flow": sum(turn.declined for turn in off_topic) / len(off_topic),
        "off-topic that started a flow": sum(turn.form is not None for turn in off_topic) / len(off_topic),
        "off-topic intent out_of_scope / nlu_fallback": sum(t.intent in REJECTED_INTENTS for t in off_topic)
        / len(off_topic),
        "in-scope intent out_of_scope / nlu_fallback": sum(t.intent in REJECTED_INTENTS for t in in_scope)
        / len(in_scope),
        "order requests": len(orders),
        "order requests routed right": sum(
            turn.form == "order_verification_form" and turn.order_request == item["flow"]
            for item, turn in orders
        )
        / len(orders),
        "latency p50 (ms)": 1000 * statistics.median(latencies),
        "latency p95 (ms)": 1000 * percentile(latencies, 0.95),
        "_misses": misses,
        "_off_topic_not_declined": [t.text for t in off_topic if not t.declined],
        "_orders_misrouted": [
            f"{item['text']!r} -> {turn.form}/{turn.order_request}"
            for item, turn in orders
            if not (turn.form == "order_verification_form" and turn.order_request == item["flow"])
        ],
        "_rows": rows,
    }


def print_table(split: str, results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print(f"\n== {split} split ==")
    print(f"{'':48}" + "".join(f"{name:>14}" for name in names))
    for key in results[names[0]]:
        if key.startswith("_"):
            continue
        cells = []
        for name in names:
            value = results[name][key]
            cells.append(
                f"{value:>14.0f}" if isinstance(value, int) or "ms" in key else f"{100 * value:>13.1f}%"
            )
        print(f"{key:48}" + "".join(cells))


def calibrate(data: dict[str, Any]) -> None:
    """Offline: the tuning questions through retrieval + the relevance check, over a threshold grid."""
    from rasa_llm.knowledge.encoder import load_encoder
    from rasa_llm.knowledge.index import KnowledgeIndex
    from rasa_llm.knowledge.kb import chunk_passages, load_knowledge_base
    from rasa_llm.knowledge.relevance import RelevanceCheck
    from rasa_llm.knowledge.retrieval import retrieved_passage
    from rasa_llm.shared.models import default_encoder_path

    encoder = load_encoder(default_encoder_path())  # KnowledgeRetriever's default encoder
    index = KnowledgeIndex.build(
        chunk_passages(load_knowledge_base(ROOT / "data" / "knowledge"), 120), encoder
    )
    rows = []
    for item in data["tuning"]["questions"]:
        hits = [retrieved_passage(h) for h in index.query(encoder, item["text"], 3)]
        judged = RelevanceCheck(encoder, 0.0).judge(item["text"], hits)
        rows.append((item["gold"], [(j.passage.id, j.passage.score, j.relevance) for j in judged]))
    grid = []
    for min_score in (0.5, 0.55, 0.575, 0.6, 0.625, 0.65, 0.675, 0.7, 0.75, 0.8):
        for min_relevance in (0.45, 0.5, 0.525, 0.55, 0.575, 0.6):
            counts = {"right": 0, "wrong": 0, "dont_know": 0}
            for gold, hits in rows:
                chosen = [pid for pid, score, rel in hits if score >= min_score and rel >= min_relevance]
                if not chosen:
                    counts["dont_know" if gold != [NONE] else "right"] += 1
                else:
                    counts["right" if chosen[0] in gold else "wrong"] += 1
            grid.append(
                (
                    min_score,
                    min_relevance,
                    *(100 * counts[k] / len(rows) for k in ("right", "wrong", "dont_know")),
                )
            )
    # The priority: wrong topic first (at most 3%), then right passages. The trade-off curve
    # (the most right passages at each wrong-topic level) says more than the whole grid.
    # min_retrieval_score is KnowledgeRetriever's (config.yml), min_relevance the nlg's (endpoints.yml).
    print(f"{'min_retrieval_score':>20}{'min_relevance':>15}{'right':>8}{'wrong':>8}{'dont_know':>10}")
    best_right = -1.0
    for row in sorted(grid, key=lambda r: (r[3], -r[2], r[0], r[1])):
        if row[2] > best_right:
            best_right = row[2]
            print(f"{row[0]:>20.2f}{row[1]:>15.3f}{row[2]:>8.1f}{row[3]:>8.1f}{row[4]:>10.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--baseline", type=Path, help="checkout of the build to compare with (its models/ trained)"
    )
    parser.add_argument("--baseline-model", type=Path,
                        help="the baseline's model when not in its models/ (trained on the same inputs)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    parser.add_argument(
        "--backend", default="none", help="nlg backend for both builds ('' keeps endpoints.yml's)"
    )
    parser.add_argument(
        "--calibrate", action="store_true", help="print the relevance threshold grid and exit"
    )
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--dump", type=Path,
        help="write every message's outcome (intent, sources, actions, form) to this JSON file",
    )
    args = parser.parse_args(argv)
    os.environ.update(QUIET_ENV)
    data = yaml.safe_load(args.data.read_text(encoding="utf-8"))
    if args.calibrate:
        calibrate(data)
        return 0
    builds = {"new": (ROOT, ensure_model(ROOT))}
    if args.baseline:
        model = args.baseline_model or args.baseline / "models" / f"{MODEL_NAME}.tar.gz"
        if not model.exists():
            parser.error(f"{model} does not exist: train the baseline checkout first")
        builds = {"baseline": (args.baseline.resolve(), model), **builds}
    splits = SPLITS if args.split == "both" else (args.split,)
    results: dict[str, dict[str, dict[str, Any]]] = {split: {} for split in splits}
    run_root = ROOT / ".run" / "answer_benchmark"
    with ExitStack() as stack:
        bots = {}
        for name, (root, model) in builds.items():
            bots[name] = BotUnderTest(root, run_root / name, args.backend or None)
            print(f"starting the {name} build from {root}", flush=True)
            bots[name].start(stack, model)
            bots[name].ask("hello")  # the first turn loads lazily initialised models
        for split in splits:
            results[split] = run_builds(bots, data[split], data["templates"])
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
    if args.dump:
        args.dump.write_text(json.dumps(
            {split: {name: result["_rows"] for name, result in results[split].items()} for split in splits},
            indent=1, ensure_ascii=False,
        ), encoding="utf-8")
    for split in splits:
        print_table(split, results[split])
        if args.show_misses:
            for name, result in results[split].items():
                print(f"\n[{split} / {name}] misses:", *result["_misses"], sep="\n  ")
                print(
                    f"[{split} / {name}] off-topic not declined:",
                    *result["_off_topic_not_declined"],
                    sep="\n  ",
                )
                print(f"[{split} / {name}] orders misrouted:", *result["_orders_misrouted"], sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
