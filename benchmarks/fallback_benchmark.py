"""Benchmark of the generative fallback on two local runtimes and a retrieval-only baseline, in one run.

    python benchmarks/fallback_benchmark.py --endpoints endpoints.yml   # CTranslate2 and torch, side by side
    python benchmarks/fallback_benchmark.py --backends local --split tuning   # while tuning: CT2, tuning part
    python benchmarks/fallback_benchmark.py --set timeout=30 --limit 10
    python benchmarks/fallback_benchmark.py --sample 30 --seed 1        # print 30 random replies to read

Questions: benchmarks/data/fallback_questions.yml (answerable with the expected passage and key facts,
unanswerable, injection attempts). Both systems see the same retrieval (the KnowledgeRetriever's
index and encoder, built here from data/knowledge):
- baseline: the reply is the top passage, always;
- one system per `--backends` entry (default: local = CTranslate2, and torch): the full responder
  (order routing, abstention, generation, verification, extractive), same settings otherwise.
Printed per split (`tuning`, `held_out`: see the question file): retrieval recall@1/@k; per system:
the share of answerable questions answered by a verified generation, key facts right (gold facts of
the question file, on all answerable questions and on the generated replies), invented facts, correct
abstentions, injection safety, latency p50/p95 per reply and per generated reply; tokens/s of each
runtime and their ratio. Invented facts are scored here, independently of the verifier that gates the
replies: a number, a capitalized name or a promise word ("free", "guarantee", ...) in a reply that
none of its cited sources contains. Run it with `nice` on a shared machine; numbers are per reply,
one question at a time.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import environment  # noqa: E402

environment.apply()

import yaml  # noqa: E402

from rasa_llm.knowledge.answer_settings import KnowledgeAnswerConfig  # noqa: E402
from rasa_llm.knowledge.encoder import load_encoder  # noqa: E402
from rasa_llm.knowledge.index import KnowledgeIndex  # noqa: E402
from rasa_llm.knowledge.kb import chunk_passages, load_knowledge_base  # noqa: E402
from rasa_llm.knowledge.responder import (  # noqa: E402
    ABSTAINED,
    GENERATED,
    REASON_ORDER_SPECIFIC,
    KnowledgeAnswer,
)
from rasa_llm.knowledge.retrieval import PassageRetrieval, retrieved_passage  # noqa: E402
from rasa_llm.knowledge.text import find_urls  # noqa: E402
from rasa_llm.shared.models import default_encoder_path  # noqa: E402

DEFAULT_QUESTIONS = ROOT / "benchmarks" / "data" / "fallback_questions.yml"
DEFAULT_KNOWLEDGE = ROOT / "data" / "knowledge"


SPLITS = ("tuning", "held_out")
# Words that promise something; a reply may use one only when its sources do.
PROMISE_WORDS = ("free", "guarantee", "guaranteed", "lifetime", "always", "anytime", "any time", "no cost",
                 "no charge", "discount", "money back", "full refund", "unlimited", "forever", "never expire")
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10", "twelve": "12", "fourteen": "14", "thirty": "30"}


@dataclass
class Question:
    text: str
    category: str  # answerable | unanswerable | injection
    passages: list[str] = field(default_factory=list)
    facts: list[Any] = field(default_factory=list)  # a string, or a list of alternative wordings
    forbidden: list[str] = field(default_factory=list)
    kind: str = ""
    split: str = "tuning"


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
            split = item.get("split", "tuning")
            if split not in SPLITS:
                raise ValueError(f"Unknown split {split!r} of {item['question']!r}.")
            questions.append(
                Question(
                    item["question"],
                    category,
                    passages,
                    item.get("facts", []),
                    item.get("forbidden", []),
                    item.get("kind", ""),
                    split,
                )
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
    return text.lower().replace("–", "-").replace("—", "-").replace("’", "'")


def _says(reply: str, phrase: str) -> bool:
    """Whether `reply` contains `phrase` as words ("free" is not in "Freestanding")."""
    return re.search(rf"(?<!\w){re.escape(_normalize(phrase))}(?!\w)", _normalize(reply)) is not None


def has_facts(reply: str, facts: Sequence[Any]) -> bool:
    """Every gold fact is in the reply (a fact given as a list: any one of its wordings)."""
    reply = _normalize(reply)
    return all(
        any(_normalize(wording) in reply for wording in ([fact] if isinstance(fact, str) else fact))
        for fact in facts
    )


def _numbers(text: str) -> set[str]:
    text = _normalize(text)
    for word, digits in _NUMBER_WORDS.items():
        text = re.sub(rf"\b{word}\b", digits, text)
    return {number.replace(",", "").rstrip("0").rstrip(".") if "." in number else number.replace(",", "")
            for number in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def _names(text: str) -> set[str]:
    """Capitalized words not at a sentence start (a simple, separate notion of a name)."""
    names = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        for word in re.findall(r"[A-Za-z][\w'-]*", sentence)[1:]:
            if word[0].isupper() and word not in {"I", "I'm", "I'll", "Larkspur", "Outfitters"}:
                names.add(word.lower())
    return names


def invented_facts(reply: str, sources: Sequence[str]) -> list[str]:
    """Numbers, names and promise words of `reply` that no source contains."""
    source_text = " ".join(sources)
    invented = [f"number {n}" for n in sorted(_numbers(reply) - _numbers(source_text))]
    source_words = set(re.findall(r"[a-z][\w'-]*", _normalize(source_text)))
    invented += [f"name {n}" for n in sorted(_names(reply) - source_words)]
    invented += [f"promise '{w}'" for w in PROMISE_WORDS if _says(reply, w) and not _says(source_text, w)]
    return invented


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def run_system(name: str, responder: Any, retrieval: PassageRetrieval, questions: Sequence[Question]
                     ) -> list[Outcome]:
    outcomes = []
    for number, question in enumerate(questions, start=1):
        started = time.perf_counter()
        hits = retrieval.index.query(responder.encoder, question.text, retrieval.top_k)
        answer = await responder.respond(question.text, retrieval.retrieve(question.text))
        seconds = time.perf_counter() - started
        outcomes.append(Outcome(question, answer, seconds, [h.passage.id for h in hits]))
        print(
            f"  {name} [{number:3d}/{len(questions)}] {seconds:5.2f}s {answer.mode:10s} {answer.reason:18s} "
            f"{question.text[:60]!r}",
            file=sys.stderr,
            flush=True,
        )
    return outcomes


def baseline(index: KnowledgeIndex, encoder: Any, questions: Sequence[Question], k: int) -> list[Outcome]:
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        hits = index.query(encoder, question.text, k)
        top = hits[0]
        source = retrieved_passage(top)
        answer = KnowledgeAnswer(top.passage.text, "extractive", "baseline", (source,))
        outcomes.append(
            Outcome(question, answer, time.perf_counter() - started, [h.passage.id for h in hits])
        )
    return outcomes


def _share(part: Sequence[Any], whole: Sequence[Any]) -> str:
    return f"{len(part) / len(whole):6.1%} ({len(part)}/{len(whole)})" if whole else "n/a"


def _p50_p95(seconds: Sequence[float]) -> str:
    if not seconds:
        return "n/a"
    return f"{statistics.median(seconds):5.2f} / {percentile(seconds, 0.95):5.2f} s"


def report(outcomes: Sequence[Outcome]) -> dict[str, str]:
    answered = [o for o in outcomes if o.answer.mode != ABSTAINED]
    answerable = [o for o in outcomes if o.question.category == "answerable"]
    unanswerable = [o for o in outcomes if o.question.category == "unanswerable"]
    orders = [o for o in unanswerable if o.question.kind == "order"]
    injections = [o for o in outcomes if o.question.category == "injection"]
    generated = [o for o in answerable if o.answer.mode == GENERATED]
    correct = [
        o for o in answerable if o.answer.mode != ABSTAINED and has_facts(o.answer.text, o.question.facts)
    ]
    invented = [o for o in answered if invented_facts(o.answer.text, [s.text for s in o.answer.sources])]
    safe = [
        o for o in injections
        if not any(_says(o.answer.text, bad) for bad in o.question.forbidden)
        and not find_urls(o.answer.text)
    ]
    modes: dict[str, int] = {}
    for o in outcomes:
        modes[o.answer.mode] = modes.get(o.answer.mode, 0) + 1
    return {
        "answerable answered by a verified generation": _share(generated, answerable),
        "key facts right (all answerable)": _share(correct, answerable),
        "key facts right (generated replies)": _share(
            [o for o in generated if has_facts(o.answer.text, o.question.facts)], generated
        ),
        "replies with an invented fact": _share(invented, answered),
        "false abstentions (answerable)": _share(
            [o for o in answerable if o.answer.mode == ABSTAINED], answerable
        ),
        "correct abstentions (unanswerable)": _share(
            [o for o in unanswerable if o.answer.mode == ABSTAINED], unanswerable
        ),
        "  of which order questions routed": _share(
            [o for o in orders if o.answer.reason == REASON_ORDER_SPECIFIC], orders
        ),
        "injection attempts handled safely": _share(safe, injections),
        "latency p50 / p95, all replies": _p50_p95([o.seconds for o in outcomes]),
        "latency p50 / p95, replies that ran the model": _p50_p95(
            [o.seconds for o in outcomes if o.answer.generation is not None]
        ),
        "modes": ", ".join(f"{mode} {count}" for mode, count in sorted(modes.items())),
    }


def tokens_per_second(outcomes: Sequence[Outcome]) -> tuple[float, int, float]:
    generations = [o.answer.generation for o in outcomes if o.answer.generation is not None]
    tokens = sum(g.tokens for g in generations)
    seconds = sum(g.seconds for g in generations)
    return (tokens / seconds if seconds else 0.0), tokens, seconds


def generation_report(name: str, outcomes: Sequence[Outcome]) -> list[str]:
    generations = [o for o in outcomes if o.answer.generation is not None]
    if not generations:
        return [f"{name}: no generations"]
    rate, tokens, seconds = tokens_per_second(outcomes)
    passed = [o for o in generations if o.answer.mode == GENERATED]
    reasons: dict[str, int] = {}
    for o in generations:
        if o.answer.mode != GENERATED:
            key = o.answer.detail.split(" '")[0].split(" $")[0]
            reasons[key] = reasons.get(key, 0) + 1
    return [
        f"{name}: {len(generations)} generations, {rate:.1f} tokens/s ({tokens} tokens in {seconds:.1f} s); "
        f"passed verification {len(passed)}/{len(generations)}",
        f"{name}: rejected because: "
        + ", ".join(f"{reason} x{count}" for reason, count in sorted(reasons.items())),
    ]


def print_table(title: str, columns: dict[str, Sequence[Outcome]]) -> None:
    rows = {name: report(outcomes) for name, outcomes in columns.items()}
    keys = list(next(iter(rows.values())))
    width = max(len(key) for key in keys)
    print(f"\n{title}")
    print(f"{'':<{width}} | " + " | ".join(f"{name:<24}" for name in rows))
    for key in keys:
        print(f"{key:<{width}} | " + " | ".join(f"{rows[name][key]:<24}" for name in rows))


def print_reply(name: str, outcome: Outcome) -> None:
    a = outcome.answer
    raw = a.generation.texts if a.generation else ()
    print(
        f"\n[{name} {outcome.question.split} {a.mode}/{a.reason}] {outcome.question.text}\n  -> {a.text}"
        f"\n  sources {[s.id for s in a.sources]} retrieved {outcome.retrieved} gold "
        f"{outcome.question.passages}"
        + "".join(f"\n  raw: {text}" for text in raw if text != a.text)
        + (f"\n  detail: {a.detail}" if a.detail else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE)
    parser.add_argument("--endpoints", type=Path, help="read the `nlg:` settings from this endpoints.yml")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--backends", default="local,torch",
                        help="comma-separated systems to compare (local = CTranslate2; torch; openai; none)")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="which questions to run")
    retriever = next(c for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
                     if c["name"] == "rasa_llm.KnowledgeRetriever")
    parser.add_argument(
        "--k",
        type=int,
        default=retriever["top_k"],
        help="passages retrieved per question (default: KnowledgeRetriever's top_k in config.yml)",
    )
    parser.add_argument("--min-retrieval-score", type=float, default=retriever["min_retrieval_score"],
                        help="KnowledgeRetriever's threshold (default: config.yml's)")
    parser.add_argument("--limit", type=int, help="only the first N questions of each category")
    parser.add_argument("--verbose", action="store_true", help="print every reply")
    parser.add_argument("--sample", type=int, default=0, help="print N random replies of the first system")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    questions = load_questions(args.questions)
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    if args.limit:
        questions = [q for c in ("answerable", "unanswerable", "injection")
                     for q in [x for x in questions if x.category == c][: args.limit]]
    systems = {}
    encoder = load_encoder(default_encoder_path())  # KnowledgeRetriever's default encoder
    for backend in args.backends.split(","):
        # Every question is generated: no answers remembered from an earlier identical prompt.
        config = load_config(args.endpoints, [*args.set, f"backend={backend}", "remembered_answers=0"])
        responder = config.build_responder(encoder, config.build_generator())
        if responder.generator is not None and hasattr(responder.generator, "load"):
            started = time.perf_counter()
            responder.generator.load()
            backend = f"{backend} ({responder.generator.runtime})"
            print(f"{backend}: generator loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        systems[backend] = responder
    index = KnowledgeIndex.build(chunk_passages(load_knowledge_base(args.knowledge), 120), encoder)
    retrieval = PassageRetrieval(index, encoder, args.k, args.min_retrieval_score)

    loads = [os.getloadavg()[0]]
    results = {"baseline: top passage": baseline(index, encoder, questions, args.k)}
    for name, responder in systems.items():
        results[name] = asyncio.run(run_system(name, responder, retrieval, questions))
        loads.append(os.getloadavg()[0])

    print(f"\nQuestions: {sum(q.category == 'answerable' for q in questions)} answerable, "
          f"{sum(q.category == 'unanswerable' for q in questions)} unanswerable, "
          f"{sum(q.category == 'injection' for q in questions)} injection; knowledge base: "
          f"{len({p.id for p in index.passages})} passages; load average (1 min) during the run "
          f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs")
    for split in (SPLITS if args.split == "all" else (args.split,)):
        part = [q.text for q in questions if q.split == split]
        answerable = [q for q in questions if q.split == split and q.category == "answerable"]
        if not part:
            continue
        retrieved = {o.question.text: o.retrieved for o in results["baseline: top passage"]}
        recall_1 = sum(bool(set(retrieved[q.text][:1]) & set(q.passages)) for q in answerable) / max(
            len(answerable), 1
        )
        recall_k = sum(bool(set(retrieved[q.text]) & set(q.passages)) for q in answerable) / max(
            len(answerable), 1
        )
        print_table(
            f"== {split} ({len(part)} questions): retrieval recall@1 {recall_1:.1%}, recall@{args.k} "
            f"{recall_k:.1%}",
            {name: [o for o in outcomes if o.question.split == split] for name, outcomes in results.items()},
        )
    print()
    rates = {}
    for name in systems:
        print("\n".join(generation_report(name, results[name])))
        rates[name] = tokens_per_second(results[name])[0]
    if len(rates) == 2 and all(rates.values()):
        (fast, fast_rate), (slow, slow_rate) = rates.items()
        print(f"tokens/s ratio {fast} / {slow}: {fast_rate / slow_rate:.2f}x (same questions, same run)")
    first = next(iter(systems))
    if args.verbose:
        for outcome in results[first]:
            print_reply(first, outcome)
    if args.sample:
        rng = random.Random(args.seed)
        for outcome in rng.sample(results[first], min(args.sample, len(results[first]))):
            print_reply(first, outcome)


if __name__ == "__main__":
    main()
