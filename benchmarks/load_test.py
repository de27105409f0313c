"""Load test: many concurrent conversations through Rasa's REST channel, on loopback.

    python benchmarks/load_test.py                      # starts the whole stack in a temp dir
    python benchmarks/load_test.py --baseline /path/to/older/checkout   # and that build's, same run
    python benchmarks/load_test.py --url http://127.0.0.1:5005 --conversations 50 --turns 20

Three phases (`--phases`), each against every build in turn (baseline first), so that both builds
see the same machine load:
1. unloaded: N conversations (default 50) of T turns (default 20) at once, closed-loop (next turn
   right after the reply), every turn one the bot answers without generating (greetings, order
   lookups with verification, policies, thanks): the throughput the stack sustains;
2. loaded: the same conversations again while G workers (default 2) keep the generative fallback
   busy with knowledge questions the whole time;
3. realistic: R conversations (default 100) where the customer thinks 3-8 s (uniform) before each
   turn, for `--realistic-seconds` (default 180): the latency customers see at a realistic load.
Each turn is timed from request to reply and typed by the reply itself: a reply carrying the
fallback's `custom.mode` payload (docs/contracts.md) is a fallback turn, any other a
non-generative one. Printed per build and phase: turns, errors, throughput, p50/p95/p99 per turn
type, and the CPU time of the Rasa server per turn (a stack this script starts): of all its threads,
which includes the generations of knowledge answers, and of its event loop thread alone, which is
Rasa's own work per turn; then the targets and the this-build/baseline ratios.

Before the phases, each build serves `--warmup` conversations at once (default 12: two starting at
each scenario, 5 turns each) that are not counted: a server that has just started answers its first
turns slowly (first generation of each prompt, first calls of each code path), which a server in use
has long done.

Every phase is bounded: T turns per conversation (the realistic phase: its duration) and
`--phase-timeout` seconds; turns not sent when time runs out are reported as not run.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

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
    build: str = ""
    turns: list[Turn] = field(default_factory=list)
    not_run: int = 0
    background_other: int = 0  # knowledge questions the bot answered without the fallback
    rasa_cpu_seconds: float = math.nan  # of the Rasa server's processes during the phase
    rasa_loop_cpu_seconds: float = math.nan  # of their main (event loop) threads: no generation

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
            "phase": self.name,
            "build": self.build,
            "wall_s": self.wall_seconds,
            "turns": len(self.turns),
            "not_run": self.not_run,
            "errors": len(self.errors),
            "error_kinds": dict(error_kinds),
            "background_other": self.background_other,
            "rasa_cpu_ms_per_turn": self.rasa_cpu_seconds * 1000 / len(self.turns)
            if self.turns
            else math.nan,
            "rasa_loop_cpu_ms_per_turn": (
                self.rasa_loop_cpu_seconds * 1000 / len(self.turns) if self.turns else math.nan
            ),
            **kinds,
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


async def _conversation(
    driver: Driver, sender: str, script: list[str], deadline: float, result: PhaseResult
) -> None:
    for sent, text in enumerate(script):
        if time.monotonic() > deadline:
            result.not_run += len(script) - sent
            return
        result.turns.append(await driver.turn(sender, text))


async def _thinking_customer(driver: Driver, sender: str, index: int, think: tuple[float, float],
                             deadline: float, result: PhaseResult) -> None:
    """Scenario after scenario, thinking `think` seconds (uniform) before each turn, until `deadline`."""
    rng = random.Random(index)
    for text in conversation_script(index, 10_000):
        await asyncio.sleep(rng.uniform(*think))
        if time.monotonic() > deadline:
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


async def run_realistic_phase(driver: Driver, conversations: int, seconds: float,
                              think: tuple[float, float] = (3.0, 8.0)) -> PhaseResult:
    run_id = uuid.uuid4().hex[:8]
    result = PhaseResult(name="realistic", wall_seconds=0.0)
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(
        _thinking_customer(driver, f"load-{run_id}-{index}", index, think, deadline, result)
        for index in range(conversations)
    ))
    result.wall_seconds = time.perf_counter() - started
    return result


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


async def run_warmup(rest_url: str, args: argparse.Namespace) -> PhaseResult:
    async with aiohttp.ClientSession() as session:
        driver = Driver(session, rest_url, args.request_timeout)
        turns = max(len(scenario) for scenario in SCENARIOS)
        return await run_phase("warm-up", driver, args.warmup, turns, 0, args.phase_timeout)


def _format_ms(value: float) -> str:
    return "   n/a" if math.isnan(value) else f"{value:6.0f}"


def report(phases: list[PhaseResult], out=sys.stdout) -> dict[str, Any]:
    summaries = [phase.summary() for phase in phases]
    # Rasa CPU per turn, all turns of the phase: of all its threads, and of its event loop thread
    # only (Rasa's own work: NLU, policies, tracker store, actions; generations run on other threads).
    print(f"{'build':<10} {'phase':<10} {'type':<15} {'turns':>6} {'turns/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'Rasa CPU ms/turn: all / event loop':>35}", file=out)
    for summary in summaries:
        for kind in (NON_GENERATIVE, FALLBACK):
            figures = summary[kind]
            cpu = (
                f"{_format_ms(summary['rasa_cpu_ms_per_turn'])} / "
                f"{_format_ms(summary['rasa_loop_cpu_ms_per_turn'])}"
                if kind == NON_GENERATIVE
                else ""
            )
            print(
                f"{summary['build']:<10} {summary['phase']:<10} {kind:<15} {figures['turns']:>6} "
                f"{figures['turns_per_s']:>8.1f} {_format_ms(figures['p50_ms']):>7} "
                f"{_format_ms(figures['p95_ms']):>7} {_format_ms(figures['p99_ms']):>7} {cpu:>35}",
                file=out,
            )
        kinds = f" {summary['error_kinds']}" if summary["error_kinds"] else ""
        other = (f", knowledge questions answered without the fallback {summary['background_other']}"
                 if summary["background_other"] else "")
        modes = summary[FALLBACK]["modes"]
        other += f", fallback answers by mode {modes}" if modes else ""
        print(f"{summary['build']:<10} {summary['phase']:<10} errors {summary['errors']}{kinds}, "
              f"not run {summary['not_run']}, wall {summary['wall_s']:.1f} s{other}", file=out)
    verdict: dict[str, Any] = {"phases": summaries, "errors": sum(summary["errors"] for summary in summaries)}
    by_build: dict[str, dict[str, dict[str, Any]]] = {}
    for summary in summaries:
        by_build.setdefault(summary["build"], {})[summary["phase"]] = summary
    for build, phase in by_build.items():
        if "unloaded" in phase:
            unloaded = phase["unloaded"]
            print(f"targets ({build}): unloaded non-generative throughput "
                  f"{unloaded[NON_GENERATIVE]['turns_per_s']:.1f} turns/s (>= 30), Rasa event-loop CPU "
                  f"{unloaded['rasa_loop_cpu_ms_per_turn']:.0f} ms per turn (<= 50)", file=out)
            if "loaded" in phase:
                ratio = phase["loaded"][NON_GENERATIVE]["p95_ms"] / unloaded[NON_GENERATIVE]["p95_ms"]
                print(
                    f"targets ({build}): non-generative p95 with fallback generations running / without: "
                    f"{ratio:.2f}x (<= 2); fallback turns while loaded: {phase['loaded'][FALLBACK]['turns']}",
                    file=out,
                )
        if "realistic" in phase:
            print(f"targets ({build}): realistic non-generative p95 "
                  f"{phase['realistic'][NON_GENERATIVE]['p95_ms']:.0f} ms (<= 1000)", file=out)
        errors = sum(summary["errors"] for summary in phase.values())
        print(f"targets ({build}): errors {errors} (0)", file=out)
    if "baseline" in by_build and THIS_BUILD in by_build:
        for name, phase in by_build[THIS_BUILD].items():
            before = by_build["baseline"].get(name)
            if before is None:
                continue
            ratios = {
                "turns/s": phase[NON_GENERATIVE]["turns_per_s"] / before[NON_GENERATIVE]["turns_per_s"],
                "p50": phase[NON_GENERATIVE]["p50_ms"] / before[NON_GENERATIVE]["p50_ms"],
                "p95": phase[NON_GENERATIVE]["p95_ms"] / before[NON_GENERATIVE]["p95_ms"],
                "Rasa CPU/turn": phase["rasa_cpu_ms_per_turn"] / before["rasa_cpu_ms_per_turn"],
                "event-loop CPU/turn": phase["rasa_loop_cpu_ms_per_turn"]
                / before["rasa_loop_cpu_ms_per_turn"],
            }
            verdict.setdefault("this_build_over_baseline", {})[name] = ratios
            print(f"this build / baseline, {name}: "
                  + ", ".join(f"{key} {value:.2f}x" for key, value in ratios.items()), file=out)
    return verdict


THIS_BUILD = "this build"


def _rasa_cpu_seconds(pid: int | None) -> tuple[float, float]:
    """User + system CPU seconds of the Rasa server and its children (Sanic workers) so far: all
    threads, and their main threads (each process's event loop)."""
    if pid is None:
        return math.nan, math.nan
    root = psutil.Process(pid)
    total = loop = 0.0
    for process in (root, *root.children(recursive=True)):
        try:
            times = process.cpu_times()
            total += times.user + times.system
            loop += sum(thread.user_time + thread.system_time for thread in process.threads()
                        if thread.id == process.pid)
        except psutil.NoSuchProcess:
            pass
    return total, loop


async def run_load_test(rest_url: str, rasa_pid: int | None, build: str, phase: str,
                        args: argparse.Namespace) -> PhaseResult:
    connector = aiohttp.TCPConnector(
        limit=max(args.conversations + args.fallback_workers, args.realistic_conversations)
    )
    async with aiohttp.ClientSession(connector=connector) as session:
        driver = Driver(session, rest_url, args.request_timeout)
        cpu_before = _rasa_cpu_seconds(rasa_pid)
        if phase == "realistic":
            result = await run_realistic_phase(driver, args.realistic_conversations, args.realistic_seconds)
        else:
            workers = args.fallback_workers if phase == "loaded" else 0
            result = await run_phase(
                phase, driver, args.conversations, args.turns, workers, args.phase_timeout
            )
        cpu_after = _rasa_cpu_seconds(rasa_pid)
        result.rasa_cpu_seconds = cpu_after[0] - cpu_before[0]
        result.rasa_loop_cpu_seconds = cpu_after[1] - cpu_before[1]
        result.build = build
        return result


# Runs in the build's own folder, with its own code: starts its stack (bot/testing/stack.py; in builds
# before the tidy, tests/support/stack.py), says where its REST channel is, and stops the stack when
# this script closes its stdin.
_SERVE_STACK = """
import json, sys, tempfile
from pathlib import Path
try:
    from bot.testing.stack import running_stack
except ImportError:
    from tests.support.stack import running_stack
with tempfile.TemporaryDirectory(prefix="load-test-") as run_dir, running_stack(Path(run_dir)) as running:
    where = {"rest_url": running.rest_url, "rasa_port": running.settings.rasa_port}
    print("STACK " + json.dumps(where), flush=True)
    sys.stdin.read()
"""


def _rasa_server_pid(port: int) -> int | None:
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "rasa" in cmdline and "run" in cmdline and str(port) in cmdline:
            return process.pid
    return None


@contextmanager
def build_stack(root: Path) -> Iterator[tuple[str, int | None]]:
    """The REST URL and Rasa server pid of `root`'s whole stack, started on free ports."""
    process = subprocess.Popen([sys.executable, "-c", _SERVE_STACK], cwd=root, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        for line in process.stdout:
            if line.startswith("STACK "):
                started = json.loads(line.removeprefix("STACK "))
                break
            print(f"{root.name}: {line}", end="", file=sys.stderr)
        else:
            raise SystemExit(f"the stack of {root} did not start (exit status {process.wait()})")
        yield started["rest_url"], _rasa_server_pid(started["rasa_port"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="Rasa server of a running stack (default: start one in a temp dir)")
    parser.add_argument("--baseline", type=Path,
                        help="checkout of an older build (with its trained model) to measure in the same run")
    parser.add_argument("--phases", default="unloaded,loaded,realistic",
                        help="comma-separated, of unloaded, loaded, realistic")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--fallback-workers", type=int, default=2,
                        help="concurrent knowledge-question senders in the loaded phase")
    parser.add_argument("--realistic-conversations", type=int, default=100)
    parser.add_argument("--realistic-seconds", type=float, default=180.0)
    parser.add_argument("--phase-timeout", type=float, default=300.0, help="seconds per phase at most")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--warmup", type=int, default=2 * len(SCENARIOS),
                        help="conversations (one scenario each) served before the phases, not counted")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.phases = [phase.strip() for phase in args.phases.split(",") if phase.strip()]
    if not set(args.phases) <= {"unloaded", "loaded", "realistic"} or not args.phases:
        parser.error("--phases: a comma-separated list of unloaded, loaded, realistic")
    if (
        args.conversations < 1
        or args.turns < 1
        or args.fallback_workers < 1
        or args.realistic_conversations < 1
        or args.warmup < 0
    ):
        parser.error(
            "--conversations, --turns, --fallback-workers and --realistic-conversations must be at least 1"
        )
    if args.url and args.baseline:
        parser.error("--baseline starts both builds' stacks itself; it cannot be combined with --url")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    builds = {"baseline": args.baseline.resolve()} if args.baseline else {}
    builds[THIS_BUILD] = ROOT
    phases: list[PhaseResult] = []
    with ExitStack() as stack:
        if args.url:
            stacks = {THIS_BUILD: (f"{args.url.rstrip('/')}/webhooks/rest/webhook", None)}
        else:
            stacks = {name: stack.enter_context(build_stack(root)) for name, root in builds.items()}
        for name, (rest_url, _) in stacks.items():
            print(f"load test: {name} at {rest_url}", flush=True)
        print(f"phases {', '.join(args.phases)}: {args.conversations} conversations x {args.turns} turns, "
              f"{args.fallback_workers} fallback workers when loaded; {args.realistic_conversations} "
              f"conversations thinking 3-8 s for {args.realistic_seconds:.0f} s when realistic", flush=True)
        for name, (rest_url, _) in stacks.items():
            warm_up = asyncio.run(run_warmup(rest_url, args))
            print(f"warmed up: {name}, {len(warm_up.turns)} turns, {len(warm_up.errors)} errors", flush=True)
        for phase in args.phases:
            for name, (rest_url, rasa_pid) in stacks.items():
                phases.append(asyncio.run(run_load_test(rest_url, rasa_pid, name, phase, args)))
                print(f"done: {name} {phase}", flush=True)
    verdict = report(phases)
    if args.json:
        args.json.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **verdict}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
