"""Load test: many concurrent conversations through Rasa's REST channel, on loopback.

    python benchmarks/load_test.py                      # starts the whole stack in a temp dir
    python benchmarks/load_test.py --url http://127.0.0.1:5005 --conversations 50 --turns 20

Two phases, the first being the baseline of the second:
1. unloaded: N conversations (default 50) of T turns (default 20) at once, every turn one the bot
   answers without generating (greetings, order lookups with verification, policies, thanks);
2. loaded: the same conversations again while G workers (default 2) keep the generative fallback
   busy with knowledge questions the whole time.
Each turn is timed from request to reply and typed by the reply itself: a reply carrying the
fallback's `custom.mode` payload (docs/contracts.md) is a fallback turn, any other a
non-generative one. Printed per phase: turns, errors, throughput, p50/p95/p99 per turn type; and
the loaded/unloaded ratio of the non-generative p95 (target: at most 2), the non-generative
throughput (target: at least 100 turns/s) and the error count (target: 0).

Every phase is bounded: T turns per conversation and `--phase-timeout` seconds; turns not sent
when time runs out are reported as not run. Conversations are closed-loop (next turn right after
the reply), so throughput is what the stack sustains and latency includes queueing.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NON_GENERATIVE = "non-generative"
FALLBACK = "fallback"

# Conversations are made of these scenarios, rotated per conversation so that requests interleave
# different dialogue paths. Ids and emails are the shop's demo data (docs/contracts.md).
SCENARIOS: tuple[tuple[str, ...], ...] = (
    ("hi there", "where is my order?", "ORD-10002", "maria.garcia@example.com", "thanks!"),
    ("hello", "what's the status of order ORD-10008", "lukas.becker@example.com", "great, thank you"),
    ("how long does standard shipping take?", "what payment methods do you accept?", "ok thanks"),
    # ORD-10004's return window has closed: the bot offers a person, declined (an accepted offer
    # hands the conversation over and the bot falls silent, which would read as errors here).
    ("I want to return something", "ORD-10004", "john.smith@example.com", "no thanks", "bye"),
    ("when will I get my refund for ORD-10006?", "aiko.tanaka@example.com", "thank you"),
    ("good morning", "what is your return policy?", "cool", "goodbye"),
)

# Questions no rule or story answers: the generative fallback's work. A question the NLU does map
# to an intent is not counted as a fallback turn (see `PhaseResult.background_other`).
KNOWLEDGE_QUESTIONS: tuple[str, ...] = (
    "Is the Ridgeline 2 Tent good for windy ridges above the tree line?",
    "Which of your sleeping bags packs the smallest for a bike trip?",
    "Can I wash the merino base layer in a machine, and how hot?",
    "Do your hiking boots run true to size or should I size up?",
    "How warm is the Emberline 20 sleeping bag?",
    "What is the difference between your two tents?",
    "Are your rain jackets waterproof or just water resistant?",
    "How heavy is the Ridgeline 2 Tent?",
)


@dataclass
class Turn:
    kind: str
    seconds: float
    ok: bool
    error: str = ""
    mode: str = ""  # of a fallback turn: generated | extractive | abstained


@dataclass
class PhaseResult:
    name: str
    wall_seconds: float
    turns: list[Turn] = field(default_factory=list)
    not_run: int = 0
    background_other: int = 0  # knowledge questions the bot answered without the fallback

    def of_kind(self, kind: str) -> list[Turn]:
        return [turn for turn in self.turns if turn.ok and turn.kind == kind]

    @property
    def errors(self) -> list[Turn]:
        return [turn for turn in self.turns if not turn.ok]

    def summary(self) -> dict[str, Any]:
        kinds = {}
        for kind in (NON_GENERATIVE, FALLBACK):
            seconds = [turn.seconds for turn in self.of_kind(kind)]
            kinds[kind] = {
                "turns": len(seconds),
                "turns_per_s": len(seconds) / self.wall_seconds if self.wall_seconds else 0.0,
                **{f"p{q}_ms": percentile(seconds, q) * 1000 for q in (50, 95, 99)},
            }
        error_kinds = Counter(turn.error for turn in self.errors)
        kinds[FALLBACK]["modes"] = dict(Counter(turn.mode for turn in self.of_kind(FALLBACK)))
        return {
            "phase": self.name, "wall_s": self.wall_seconds, "turns": len(self.turns),
            "not_run": self.not_run, "errors": len(self.errors), "error_kinds": dict(error_kinds),
            "background_other": self.background_other, **kinds,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (NaN for no values): the value q% of the samples do not exceed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def conversation_script(index: int, turns: int) -> list[str]:
    """`turns` messages: scenarios one after another, starting at a different one per conversation."""
    scenarios = itertools.cycle(SCENARIOS[index % len(SCENARIOS):] + SCENARIOS[:index % len(SCENARIOS)])
    messages = itertools.chain.from_iterable(scenarios)
    return list(itertools.islice(messages, turns))


def fallback_mode(replies: list[dict[str, Any]]) -> str:
    """The fallback's answer mode when a reply carries one, else the empty string."""
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and "mode" in custom:
            return str(custom["mode"])
    return ""


class Driver:
    """Sends turns through the REST channel and times them."""

    def __init__(self, session: aiohttp.ClientSession, rest_url: str, request_timeout: float) -> None:
        self.session = session
        self.rest_url = rest_url
        self.timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def turn(self, sender: str, text: str) -> Turn:
        started = time.perf_counter()
        try:
            async with self.session.post(self.rest_url, json={"sender": sender, "message": text},
                                         timeout=self.timeout) as response:
                body = await response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    return Turn(NON_GENERATIVE, elapsed, False, f"HTTP {response.status}")
                replies = json.loads(body)
        except asyncio.TimeoutError:
            return Turn(NON_GENERATIVE, time.perf_counter() - started, False, "timeout")
        except (aiohttp.ClientError, json.JSONDecodeError) as error:
            return Turn(NON_GENERATIVE, time.perf_counter() - started, False, type(error).__name__)
        if not replies:
            return Turn(NON_GENERATIVE, elapsed, False, "empty reply")
        mode = fallback_mode(replies)
        return Turn(FALLBACK if mode else NON_GENERATIVE, elapsed, True, mode=mode)


async def _conversation(driver: Driver, sender: str, script: list[str], deadline: float, result: PhaseResult) -> None:
    for sent, text in enumerate(script):
        if time.monotonic() > deadline:
            result.not_run += len(script) - sent
            return
        result.turns.append(await driver.turn(sender, text))


async def _fallback_worker(driver: Driver, sender: str, stop: asyncio.Event, result: PhaseResult) -> None:
    # Only fallback turns (and errors) are recorded: the non-generative figures of a phase are those
    # of its conversations, comparable between phases.
    for question in itertools.cycle(KNOWLEDGE_QUESTIONS):
        if stop.is_set():
            return
        turn = await driver.turn(sender, question)
        if turn.ok and turn.kind != FALLBACK:
            result.background_other += 1
        else:
            result.turns.append(turn)


async def run_phase(
    name: str, driver: Driver, conversations: int, turns: int, fallback_workers: int, phase_timeout: float,
) -> PhaseResult:
    run_id = uuid.uuid4().hex[:8]
    result = PhaseResult(name=name, wall_seconds=0.0)
    deadline = time.monotonic() + phase_timeout
    stop = asyncio.Event()
    background = [
        asyncio.create_task(_fallback_worker(driver, f"load-{run_id}-kb-{index}", stop, result))
        for index in range(fallback_workers)
    ]
    started = time.perf_counter()
    await asyncio.gather(*(
        _conversation(driver, f"load-{run_id}-{index}", conversation_script(index, turns), deadline, result)
        for index in range(conversations)
    ))
    result.wall_seconds = time.perf_counter() - started
    stop.set()
    # The fallback workers finish the question they are on; their turns count, the phase's wall
    # time (throughput) is that of the conversations.
    await asyncio.gather(*background)
    return result


def _format_ms(value: float) -> str:
    return "   n/a" if math.isnan(value) else f"{value:6.0f}"


def report(phases: list[PhaseResult], out=sys.stdout) -> dict[str, Any]:
    summaries = [phase.summary() for phase in phases]
    print(f"{'phase':<10} {'type':<15} {'turns':>6} {'turns/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}", file=out)
    for summary in summaries:
        for kind in (NON_GENERATIVE, FALLBACK):
            figures = summary[kind]
            print(f"{summary['phase']:<10} {kind:<15} {figures['turns']:>6} {figures['turns_per_s']:>8.1f} "
                  f"{_format_ms(figures['p50_ms']):>7} {_format_ms(figures['p95_ms']):>7} "
                  f"{_format_ms(figures['p99_ms']):>7}", file=out)
        kinds = f" {summary['error_kinds']}" if summary["error_kinds"] else ""
        other = (f", knowledge questions answered without the fallback {summary['background_other']}"
                 if summary["background_other"] else "")
        modes = summary[FALLBACK]["modes"]
        other += f", fallback answers by mode {modes}" if modes else ""
        print(f"{summary['phase']:<10} errors {summary['errors']}{kinds}, not run {summary['not_run']}, "
              f"wall {summary['wall_s']:.1f} s{other}", file=out)
    verdict: dict[str, Any] = {"phases": summaries}
    unloaded = summaries[0][NON_GENERATIVE]
    verdict["non_generative_turns_per_s"] = unloaded["turns_per_s"]
    verdict["errors"] = sum(summary["errors"] for summary in summaries)
    print(f"targets: non-generative throughput {unloaded['turns_per_s']:.1f} turns/s (>= 100); "
          f"errors {verdict['errors']} (0)", file=out)
    if len(summaries) > 1:
        ratio = summaries[1][NON_GENERATIVE]["p95_ms"] / unloaded["p95_ms"]
        verdict["p95_loaded_over_unloaded"] = ratio
        print(f"targets: non-generative p95 with fallback generations running / without: {ratio:.2f}x (<= 2); "
              f"fallback turns while loaded: {summaries[1][FALLBACK]['turns']}", file=out)
    return verdict


async def run_load_test(rest_url: str, args: argparse.Namespace) -> list[PhaseResult]:
    connector = aiohttp.TCPConnector(limit=args.conversations + args.fallback_workers)
    async with aiohttp.ClientSession(connector=connector) as session:
        driver = Driver(session, rest_url, args.request_timeout)
        phases = [await run_phase("unloaded", driver, args.conversations, args.turns, 0, args.phase_timeout)]
        if args.fallback_workers:
            phases.append(await run_phase("loaded", driver, args.conversations, args.turns,
                                          args.fallback_workers, args.phase_timeout))
        return phases


def _own_stack(stack: ExitStack) -> str:
    from bot.testing.stack import running_stack

    run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load-test-")))
    running = stack.enter_context(running_stack(run_dir))
    return running.rest_url


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="Rasa server of a running stack (default: start one in a temp dir)")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--fallback-workers", type=int, default=2,
                        help="concurrent knowledge-question senders in the loaded phase (0: skip it)")
    parser.add_argument("--phase-timeout", type=float, default=300.0, help="seconds per phase at most")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.turns < 1 or args.fallback_workers < 0:
        parser.error("--conversations and --turns must be at least 1, --fallback-workers at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        rest_url = f"{args.url.rstrip('/')}/webhooks/rest/webhook" if args.url else _own_stack(stack)
        print(f"load test: {args.conversations} conversations x {args.turns} turns against {rest_url}, "
              f"{args.fallback_workers} fallback workers in the loaded phase", flush=True)
        phases = asyncio.run(run_load_test(rest_url, args))
    verdict = report(phases)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **verdict}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
