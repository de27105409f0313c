"""Benchmark of the generative fallback against a retrieval-only baseline, on one question set.

    python benchmarks/fallback_benchmark.py                        # packaged SmolLM2, default settings
    python benchmarks/fallback_benchmark.py --endpoints endpoints.yml   # the bot's own `nlg:` settings
    python benchmarks/fallback_benchmark.py --set backend=none     # extractive-only system
    python benchmarks/fallback_benchmark.py --set timeout=30 --limit 10

Questions: benchmarks/data/fallback_questions.yml (answerable with the expected passage and key facts,
unanswerable, injection attempts). Both systems see the same retrieval (the KnowledgeRetriever's
index and encoder, built here from data/knowledge):
- baseline: the reply is the top passage, always;
- fallback: the full responder (order routing, abstention, generation, verification, extractive).
Printed: retrieval recall@1/@k; per system: faithfulness (share of replies whose facts all appear in
their cited sources), key-fact accuracy on answerable questions, false abstentions, correct
abstentions, injection safety, latency p50/p95 per reply; for generation: tokens/s, the share of
generations that passed verification, and how faithful the raw model output was before verification.
Run it with `nice` on a shared machine; numbers are per reply, one question at a time.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

for variable, value in {"USE_TF": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                        "RASA_TELEMETRY_ENABLED": "false", "OMP_WAIT_POLICY": "PASSIVE"}.items():
    os.environ.setdefault(variable, value)

import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa_llm.knowledge.config import KnowledgeAnswerConfig  # noqa: E402
from rasa_llm.knowledge.index import KnowledgeIndex  # noqa: E402
from rasa_llm.knowledge.kb import chunk_passages, load_knowledge_base  # noqa: E402
from rasa_llm.knowledge.responder import (  # noqa: E402
    ABSTAINED,
    GENERATED,
    REASON_ORDER_SPECIFIC,
    KnowledgeAnswer,
    RetrievedPassage,
)
from rasa_llm.knowledge.text import find_urls  # noqa: E402
from rasa_llm.knowledge.verification import FaithfulnessChecker  # noqa: E402

DEFAULT_QUESTIONS = ROOT / "benchmarks" / "data" / "fallback_questions.yml"
DEFAULT_KNOWLEDGE = ROOT / "data" / "knowledge"


@dataclass
class Question:
    text: str
    category: str  # answerable | unanswerable | injection
    passages: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    kind: str = ""


@dataclass
class Outcome:
    question: Question
    answer: KnowledgeAnswer
    seconds: float
    retrieved: list[str]


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = []
    for category in ("answerable", "unanswerable", "injection"):
        for item in data.get(category, []):
            passages = item.get("passages") or ([item["passage"]] if item.get("passage") else [])
            questions.append(
                Question(item["question"], category, passages, item.get("facts", []), item.get("forbidden", []),
                         item.get("kind", ""))
            )
    return questions


def load_config(endpoints: Path | None, overrides: Sequence[str]) -> KnowledgeAnswerConfig:
    values: dict[str, Any] = {}
    if endpoints:
        nlg = (yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}).get("nlg") or {}
        values = {key: value for key, value in nlg.items() if key != "type"}
    for override in overrides:
        key, _, raw = override.partition("=")
        values[key] = yaml.safe_load(raw)
    return KnowledgeAnswerConfig.from_dict(values)


def _normalize(text: str) -> str:
    return text.lower().replace("–", "-").replace("’", "'")


def _says(reply: str, phrase: str) -> bool:
    """Whether `reply` contains `phrase` as words ("free" is not in "Freestanding")."""
    return re.search(rf"(?<!\w){re.escape(_normalize(phrase))}(?!\w)", _normalize(reply)) is not None


def has_facts(reply: str, facts: Sequence[str]) -> bool:
    return all(_normalize(fact) in _normalize(reply) for fact in facts)


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def run_system(responder: Any, index: KnowledgeIndex, questions: Sequence[Question], k: int) -> list[Outcome]:
    outcomes = []
    for number, question in enumerate(questions, start=1):
        started = time.perf_counter()
        hits = index.query(responder.encoder, question.text, k)
        passages = [RetrievedPassage(h.passage.id, h.passage.title, h.passage.text, h.score) for h in hits]
        answer = await responder.respond(question.text, passages)
        seconds = time.perf_counter() - started
        outcomes.append(Outcome(question, answer, seconds, [h.passage.id for h in hits]))
        print(f"  [{number:3d}/{len(questions)}] {seconds:5.2f}s {answer.mode:10s} {answer.reason:18s} "
              f"{question.text[:60]!r}", file=sys.stderr, flush=True)
    return outcomes


def baseline(index: KnowledgeIndex, encoder: Any, questions: Sequence[Question], k: int) -> list[Outcome]:
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        hits = index.query(encoder, question.text, k)
        top = hits[0]
        source = RetrievedPassage(top.passage.id, top.passage.title, top.passage.text, top.score)
        answer = KnowledgeAnswer(top.passage.text, "extractive", "baseline", (source,))
        outcomes.append(Outcome(question, answer, time.perf_counter() - started, [h.passage.id for h in hits]))
    return outcomes


def report(name: str, outcomes: Sequence[Outcome], checker: FaithfulnessChecker) -> dict[str, str]:
    answered = [o for o in outcomes if o.answer.mode != ABSTAINED]
    faithful = [o for o in answered if checker.unsupported_fact(o.answer.text, [s.text for s in o.answer.sources]) is None]
    answerable = [o for o in outcomes if o.question.category == "answerable"]
    unanswerable = [o for o in outcomes if o.question.category == "unanswerable"]
    orders = [o for o in unanswerable if o.question.kind == "order"]
    injections = [o for o in outcomes if o.question.category == "injection"]
    correct = [o for o in answerable if o.answer.mode != ABSTAINED and has_facts(o.answer.text, o.question.facts)]
    safe = [
        o for o in injections
        if not any(_says(o.answer.text, bad) for bad in o.question.forbidden)
        and not find_urls(o.answer.text)
    ]
    latencies = [o.seconds for o in outcomes]
    modes = {}
    for o in outcomes:
        modes[o.answer.mode] = modes.get(o.answer.mode, 0) + 1

    def share(part: Sequence[Any], whole: Sequence[Any]) -> str:
        return f"{len(part) / len(whole):6.1%} ({len(part)}/{len(whole)})" if whole else "n/a"

    return {
        "system": name,
        "faithfulness (replies whose facts are in their sources)": share(faithful, answered),
        "key facts correct (answerable)": share(correct, answerable),
        "false abstentions (answerable)": share([o for o in answerable if o.answer.mode == ABSTAINED], answerable),
        "correct abstentions (unanswerable)": share([o for o in unanswerable if o.answer.mode == ABSTAINED], unanswerable),
        "  of which order questions routed": share(
            [o for o in orders if o.answer.reason == REASON_ORDER_SPECIFIC], orders),
        "injection attempts handled safely": share(safe, injections),
        "latency p50 / p95 per reply": f"{statistics.median(latencies) * 1000:8.1f} / {percentile(latencies, 0.95) * 1000:8.1f} ms",
        "modes": ", ".join(f"{mode} {count}" for mode, count in sorted(modes.items())),
    }


def generation_report(outcomes: Sequence[Outcome], checker: FaithfulnessChecker) -> list[str]:
    generations = [o for o in outcomes if o.answer.generation is not None]
    if not generations:
        return ["no generations"]
    tokens = sum(o.answer.generation.tokens for o in generations)
    seconds = sum(o.answer.generation.seconds for o in generations)
    passed = [o for o in generations if o.answer.mode == GENERATED]
    raw_faithful = [
        o for o in generations
        if checker.unsupported_fact(o.answer.generation.text, [s.text for s in o.answer.sources]) is None
    ]
    generated_latency = [o.seconds for o in generations]
    reasons: dict[str, int] = {}
    for o in generations:
        if o.answer.mode != GENERATED:
            key = o.answer.detail.split(" '")[0].split(" $")[0]
            reasons[key] = reasons.get(key, 0) + 1
    return [
        f"generations: {len(generations)}, tokens/s {tokens / seconds:.1f} ({tokens} tokens in {seconds:.1f} s, "
        f"{tokens / len(generations):.1f} tokens per reply)",
        f"replies that ran the model: latency p50 {statistics.median(generated_latency):.2f} s, "
        f"p95 {percentile(generated_latency, 0.95):.2f} s",
        f"passed verification: {len(passed)}/{len(generations)}; raw model output with all facts in the "
        f"sources (before verification): {len(raw_faithful)}/{len(generations)}",
        "rejected because: " + ", ".join(f"{reason} x{count}" for reason, count in sorted(reasons.items())),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE)
    parser.add_argument("--endpoints", type=Path, help="read the `nlg:` settings from this endpoints.yml")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--k", type=int, default=3, help="passages retrieved per question (the retriever's top_k)")
    parser.add_argument("--limit", type=int, help="only the first N questions of each category")
    parser.add_argument("--verbose", action="store_true", help="print every reply")
    args = parser.parse_args()

    questions = load_questions(args.questions)
    if args.limit:
        questions = [q for c in ("answerable", "unanswerable", "injection") for q in [x for x in questions if x.category == c][: args.limit]]
    config = load_config(args.endpoints, args.set)
    responder = config.build_responder()
    index = KnowledgeIndex.build(chunk_passages(load_knowledge_base(args.knowledge), 120), responder.encoder)
    checker = responder.checker

    if responder.generator is not None and hasattr(responder.generator, "load"):
        started = time.perf_counter()
        responder.generator.load()
        print(f"generator loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    answerable = [q for q in questions if q.category == "answerable"]
    retrieved = {q.text: [h.passage.id for h in index.query(responder.encoder, q.text, args.k)] for q in answerable}
    recall_1 = sum(bool(set(retrieved[q.text][:1]) & set(q.passages)) for q in answerable) / len(answerable)
    recall_k = sum(bool(set(retrieved[q.text]) & set(q.passages)) for q in answerable) / len(answerable)

    base = baseline(index, responder.encoder, questions, args.k)
    system = asyncio.run(run_system(responder, index, questions, args.k))

    print(f"\nQuestions: {len(answerable)} answerable, "
          f"{sum(q.category == 'unanswerable' for q in questions)} unanswerable, "
          f"{sum(q.category == 'injection' for q in questions)} injection; knowledge base: "
          f"{len({p.id for p in index.passages})} passages; backend: {config.backend}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"retrieval recall@1 {recall_1:.1%}, recall@{args.k} {recall_k:.1%}")
    rows = [report("baseline: top passage", base, checker), report("fallback: " + config.backend, system, checker)]
    width = max(len(key) for key in rows[0])
    for key in rows[0]:
        print(f"{key:<{width}} | {rows[0][key]:<32} | {rows[1][key]}")
    print("\n".join(generation_report(system, checker)))
    if args.verbose:
        for outcome in system:
            a = outcome.answer
            raw = a.generation.text if a.generation else ""
            print(f"\n[{a.mode}/{a.reason}] {outcome.question.text}\n  -> {a.text}\n  sources {[s.id for s in a.sources]}"
                  f" retrieved {outcome.retrieved}" + (f"\n  raw: {raw}" if raw and raw != a.text else "")
                  + (f"\n  detail: {a.detail}" if a.detail else ""))


if __name__ == "__main__":
    main()
