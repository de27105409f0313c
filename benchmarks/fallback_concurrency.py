"""Does a normal turn stay fast while another conversation is generating a fallback answer?

    python benchmarks/fallback_concurrency.py                 # trains and serves the tiny test bot
    python benchmarks/fallback_concurrency.py --url http://127.0.0.1:5005 \\
        --normal "hello" --fallback "how long do refunds take?"   # any running bot with the fallback

Over Rasa's REST channel, on loopback:
1. quiet: normal turns (greetings the bot has rules for) one after another, then fallback turns alone;
2. busy: the same normal turns from one conversation while another conversation keeps the generative
   fallback busy (a new knowledge question as soon as the previous one is answered).
Printed: p50/p95 per turn type in both phases, the fallback answer modes, and the busy/quiet ratio
of the normal turns. The generator runs on a worker thread, so Rasa's event loop keeps serving the
normal turns; what remains is CPU sharing on a small machine.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NORMAL_TURNS = ("hello", "thanks", "bye")
KNOWLEDGE_QUESTIONS = (
    "how long do I have to send something back?",
    "what does express shipping cost?",
    "can I pay with google pay?",
    "how long is the warranty on a tent?",
    "how long until I get my money back after a return?",
    "what sizes does the stormfront rain jacket come in?",
    "can I change the delivery address after ordering?",
    "how do I reset my password?",
)


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[float, list]:
    started = time.perf_counter()
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as response:
        response.raise_for_status()
        messages = await response.json()
    return time.perf_counter() - started, messages


def mode_of(messages: list) -> str:
    return next((m["custom"].get("mode", "?") for m in messages if isinstance(m.get("custom"), dict)), "none")


def summary(label: str, seconds: list[float]) -> str:
    if not seconds:
        return f"{label:<34} no turns"
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{label:<34} n={len(seconds):3d}  p50 {statistics.median(seconds) * 1000:8.1f} ms  "
            f"p95 {p95 * 1000:8.1f} ms")


async def measure(url: str, normal: list[str], fallback: list[str], turns: int, fallback_turns: int) -> None:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        # Warm-up: the first fallback loads the generator, the first turns fill caches.
        for text in (normal[0], fallback[0]):
            await turn(session, url, "warm-up", text)

        quiet_normal = [(await turn(session, url, "quiet-normal", text))[0]
                        for text in itertools.islice(itertools.cycle(normal), turns)]
        quiet_fallback, quiet_modes = [], []
        for text in itertools.islice(itertools.cycle(fallback), fallback_turns):
            seconds, messages = await turn(session, url, "quiet-fallback", text)
            quiet_fallback.append(seconds)
            quiet_modes.append(mode_of(messages))

        busy_fallback, busy_modes = [], []
        stop = asyncio.Event()

        async def keep_generating() -> None:
            for number, text in enumerate(itertools.cycle(fallback)):
                if stop.is_set():
                    return
                seconds, messages = await turn(session, url, f"busy-fallback-{number % 4}", text)
                busy_fallback.append(seconds)
                busy_modes.append(mode_of(messages))

        generating = asyncio.create_task(keep_generating())
        await asyncio.sleep(0.3)  # let the first generation start
        busy_normal = []
        for text in itertools.islice(itertools.cycle(normal), turns):
            busy_normal.append((await turn(session, url, "busy-normal", text))[0])
            await asyncio.sleep(0.05)
        stop.set()
        await generating

    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(summary("normal turns, quiet", quiet_normal))
    print(summary("normal turns, while generating", busy_normal))
    print(summary("fallback turns, alone", quiet_fallback))
    print(summary("fallback turns, with normal turns", busy_fallback))
    print(f"fallback modes: quiet {dict(sorted(_count(quiet_modes).items()))}, "
          f"busy {dict(sorted(_count(busy_modes).items()))}")
    print(
        f"normal-turn p50 busy/quiet: {statistics.median(busy_normal) / statistics.median(quiet_normal):.2f}x"
    )


def _count(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", help="a running Rasa server with the REST channel (default: start the tiny bot)"
    )
    parser.add_argument("--normal", action="append", help="a message the bot answers without the fallback")
    parser.add_argument("--fallback", action="append", help="a knowledge question that reaches the fallback")
    parser.add_argument("--turns", type=int, default=30, help="normal turns per phase")
    parser.add_argument("--fallback-turns", type=int, default=8, help="fallback turns in the quiet phase")
    parser.add_argument(
        "--timeout", type=float, default=4.0, help="the tiny bot's per-reply generation timeout"
    )
    args = parser.parse_args()
    normal = args.normal or list(NORMAL_TURNS)
    fallback = args.fallback or list(KNOWLEDGE_QUESTIONS)

    if args.url:
        asyncio.run(measure(args.url, normal, fallback, args.turns, args.fallback_turns))
        return

    from bot.testing.tiny_bot import prepare_bot, rasa_server, train, write_endpoints

    with tempfile.TemporaryDirectory(prefix="fallback-concurrency-") as tmp:
        folder = prepare_bot(Path(tmp))
        print("training the tiny bot...", file=sys.stderr)
        model, _ = train(folder, "tiny")
        endpoints = write_endpoints(folder, backend="local", timeout=args.timeout)
        process, url = rasa_server(folder, model, endpoints)
        print("starting Rasa...", file=sys.stderr)
        process.start(timeout=600)
        try:
            asyncio.run(measure(url, normal, fallback, args.turns, args.fallback_turns))
        finally:
            process.stop()


if __name__ == "__main__":
    main()
