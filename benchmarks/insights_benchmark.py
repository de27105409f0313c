"""Benchmark of the conversation-insights report on a generated tracker store.

    python benchmarks/insights_benchmark.py                          # 100,000 conversations of 20 turns
    python benchmarks/insights_benchmark.py --conversations 20000
    python benchmarks/insights_benchmark.py --db /tmp/t.sqlite3 --keep   # reuse the store next time
    python benchmarks/insights_benchmark.py --grouping-only          # just the grouping quality

1. Generates an SQLite tracker store in Rasa's SQL tracker-store schema (the table is created by
   Rasa's SQLTrackerStore; rows are bulk-inserted for speed): N conversations over 30 days, each of
   T user turns with the events Rasa stores for them (user message with parse data, sentiment and
   retrieved knowledge passages; actions; bot messages, knowledge answers with `custom.mode`; form
   loops and requested slots; handoffs). Conversations overlap in time, so their rows interleave.
2. Runs `python -m rasa_llm.insights` on it as a child process, with 1 and with 2 worker processes:
   wall and CPU time, peak RSS of all its processes together. Target: under 60 s on 2 cores, memory
   bounded (it must not grow with the number of conversations: compare the RSS at two sizes).
3. Baseline, same store and run: Rasa's own `SQLTrackerStore.retrieve_full_tracker` for the first
   `--baseline` conversations, extrapolated to all of them.
4. Grouping quality on benchmarks/data/insights_grouping.yml: pair precision / recall of the to-do
   list's grouping against the file's hand-written topics, for its development and held-out sets.
The load average is printed before and after: on a shared machine the times are pessimistic.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
DAYS = 30
BLOCK = 500  # conversations generated (and interleaved by time) together

CHAT_INTENTS = {
    "greet": "hi there", "thank": "thanks a lot", "delivery_options": "what delivery options do you have",
    "check_refund_policy": "what is your refund policy", "delivery_period": "how long does shipping take",
    "check_payment_methods": "which payment methods do you accept", "goodbye": "bye",
    "product_question": "are the trail runners waterproof", "bot_challenge": "am i talking to a bot",
}
# Questions the bot cannot answer, each topic worded three ways (generated customers reword them).
UNANSWERED = [
    ["do you sell gift cards", "can I buy a gift voucher", "are gift certificates available"],
    ["is there a shop I can visit", "do you have a physical store", "where is your nearest retail location"],
    ["can you repair my tent", "do you fix broken zippers", "is there a repair service for gear"],
    ["do students get a discount", "is there a student discount", "any discounts for university students"],
    ["can I rent a kayak", "do you offer equipment rental", "can I hire camping gear for a weekend"],
    ["are you hiring", "how do I apply for a job", "do you have open positions"],
    [
        "do you ship to antarctica",
        "can you deliver to a research station",
        "do you send parcels to the south pole",
    ],
    ["can I pay with bitcoin", "do you take crypto", "is cryptocurrency accepted"],
]
FORMS = {
    "order_verification_form": (
        "track_order",
        "where is my order",
        ["order_id", "email"],
        "action_track_order",
    ),
    "cancel_order_form": (
        "cancel_order",
        "please cancel my order",
        ["cancel_reason", "cancel_confirmed"],
        "action_cancel_order",
    ),
    "return_form": (
        "return_item",
        "i want to return my boots",
        ["return_items", "return_reason", "return_confirmed"],
        "action_create_return",
    ),
    "address_change_form": (
        "change_shipping_address",
        "i need to change the delivery address",
        ["address_street", "address_city", "address_postal_code", "address_country", "address_confirmed"],
        "action_change_address",
    ),
}
PASSAGE = (
    "Unworn items in their original packaging can be returned within 30 days of delivery. Start a return "
    "from your account or ask the assistant; we email a prepaid label for orders shipped within the "
    "country. Refunds reach the original payment method within 5 to 10 business days after the "
    "warehouse has checked the parcel. Final-sale items are marked on the product page."
)
METADATA = {"model_id": "5e9f0c4a2b7d4b7fa0c1d2e3f4a5b6c7", "assistant_id": "larkspur-support"}


def _split(event: dict) -> tuple[str, str]:
    """The event's JSON around its timestamp, so a row is `before + repr(ts) + after`."""
    text = json.dumps({**event, "timestamp": 1.5})
    before, after = text.split("1.5", 1)
    return before, after


def _user(text: str, intent: str, confidence: float, sentiment: str = "neutral") -> tuple[str, str]:
    ranking = [{"name": intent, "confidence": confidence}] + [
        {"name": name, "confidence": round((1 - confidence) / 9, 4)} for name in list(CHAT_INTENTS)[:9]
    ]
    parse = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "text": text,
        "message_id": "0" * 32,
        "metadata": {},
        "intent_ranking": ranking,
        "sentiment": {"name": sentiment, "confidence": 0.91},
        "knowledge": {
            "passages": [
                {"id": f"kb-{n}", "title": "Returns", "text": PASSAGE, "score": 0.5 - n / 10}
                for n in range(3)
            ],
            "top_score": 0.5,
        },
    }
    return _split({"event": "user", "metadata": METADATA, "text": text, "parse_data": parse,
                   "input_channel": "rest", "message_id": "0" * 32})


def _action(name: str) -> tuple[str, str]:
    return _split({"event": "action", "metadata": METADATA, "name": name, "policy": "policy_2_RulePolicy",
                   "confidence": 1.0, "action_text": None, "hide_rule_turn": False})


def _bot(action: str, text: str, mode: str | None = None) -> tuple[str, str]:
    data = {"elements": None, "quick_replies": None, "buttons": None, "attachment": None, "image": None,
            "custom": {"mode": mode, "sources": [{"id": "kb-0", "title": "Returns"}]} if mode else None}
    return _split(
        {"event": "bot", "metadata": {**METADATA, "utter_action": action}, "text": text, "data": data}
    )


def _slot(name: str, value) -> tuple[str, str]:
    return _split({"event": "slot", "metadata": METADATA, "name": name, "value": value})


def _loop(name: str | None) -> tuple[str, str]:
    return _split({"event": "active_loop", "metadata": METADATA, "name": name})


class Generator:
    """Rows of the `events` table for generated conversations (deterministic for a seed)."""

    def __init__(self, seed: int, turns: int) -> None:
        self.random = random.Random(seed)
        self.turns = turns
        self.listen = _action("action_listen")
        self.cache: dict[tuple, tuple[str, str]] = {}

    def _cached(self, factory, *key) -> tuple[str, str]:
        cache_key = (factory.__name__, *(json.dumps(part, sort_keys=True) for part in key))
        if cache_key not in self.cache:
            self.cache[cache_key] = factory(*key)
        return self.cache[cache_key]

    def conversation(self, sender: str, start: float) -> list[tuple]:
        rows: list[tuple] = []
        clock = [start]

        def add(type_name, template, intent=None, action=None):
            clock[0] += self.random.uniform(0.2, 20.0)
            rows.append(
                (clock[0], sender, type_name, intent, action, template[0] + repr(clock[0]) + template[1])
            )

        add("action", self._cached(_action, "action_session_start"), action="action_session_start")
        add("session_started", self._cached(_split, {"event": "session_started", "metadata": METADATA}))
        add("action", self.listen, action="action_listen")
        turn = 0
        while turn < self.turns:
            turn += self._turn(add, self.turns - turn)
        return rows

    def _user(self, add, text, intent, confidence=0.97, sentiment="neutral"):
        # Texts with an order number are unique per customer: kept out of the template cache.
        template = _user(text, intent, confidence, sentiment) if "ORD-" in text else self._cached(
            _user, text, intent, confidence, sentiment)
        add("user", template, intent=intent)

    def _reply(self, add, action, text="ok", mode=None):
        add("action", self._cached(_action, action), action=action)
        add("bot", self._cached(_bot, action, text, mode))
        add("action", self.listen, action="action_listen")

    def _turn(self, add, turns_left: int) -> int:
        roll = self.random.random()
        if roll < 0.15 and turns_left >= 3:
            return self._form(add, turns_left)
        if roll < 0.30:
            topic = self.random.choice(UNANSWERED)
            text = self.random.choice(topic)
            if self.random.random() < 0.2:
                text += f" for ORD-{self.random.randint(10000, 99999)}"
            fallback = self.random.random() < 0.6
            self._user(
                add, text, "nlu_fallback" if fallback else "product_question", 0.31 if fallback else 0.72
            )
            mode = self.random.choices(("generated", "extractive", "abstained"), (2, 1, 1))[0]
            self._reply(add, "utter_knowledge_answer", "an answer", mode)
            return 1
        if roll < 0.37:
            self._user(add, "this is useless, nothing works", "complaint", 0.9, "negative")
            self._reply(add, "action_acknowledge_frustration", "sorry about that")
            return 1
        if roll < 0.40:
            self._user(add, "let me talk to a person", "contact_human_agent")
            add("action", self._cached(_action, "action_handoff"), action="action_handoff")
            add("bot", self._cached(_bot, "action_handoff", "passing you to a person", None))
            add("action", self.listen, action="action_listen")
            return 1
        intent, text = self.random.choice(list(CHAT_INTENTS.items()))
        confidence = 0.5 if roll < 0.47 else 0.96
        self._user(add, text, intent, confidence)
        self._reply(add, f"utter_{intent}", "a reply")
        return 1

    def _form(self, add, turns_left: int) -> int:
        form = self.random.choice(list(FORMS))
        intent, text, slots, final_action = FORMS[form]
        slots = slots[: turns_left - 1]
        self._user(add, text, intent)
        add("action", self._cached(_action, form), action=form)
        add("active_loop", self._cached(_loop, form), action=form)
        add("slot", self._cached(_slot, "requested_slot", slots[0]), action="requested_slot")
        self._reply(add, f"utter_ask_{slots[0]}")
        abandon_at = self.random.randrange(len(slots)) if self.random.random() < 0.25 else None
        for index, slot in enumerate(slots):
            if index == abandon_at:
                self._user(add, "stop", "stop")
                add(
                    "action", self._cached(_action, "action_deactivate_loop"), action="action_deactivate_loop"
                )
                add("active_loop", self._cached(_loop, None), action=None)
                add("slot", self._cached(_slot, "requested_slot", None), action="requested_slot")
                self._reply(add, "utter_ok")
                return index + 2
            self._user(add, "ORD-10002" if slot == "order_id" else "yes", "inform")
            add("action", self._cached(_action, form), action=form)
            add("slot", self._cached(_slot, slot, "filled"), action=slot)
            following = slots[index + 1] if index + 1 < len(slots) else None
            add("slot", self._cached(_slot, "requested_slot", following), action="requested_slot")
            if following:
                self._reply(add, f"utter_ask_{following}")
        add("active_loop", self._cached(_loop, None), action=None)
        self._reply(add, final_action, "done")
        return len(slots) + 1


def generate(db: Path, conversations: int, turns: int, seed: int) -> int:
    from rasa.core.tracker_store import SQLTrackerStore

    SQLTrackerStore(dialect="sqlite", db=str(db)).engine.dispose()  # Rasa's own schema and index
    generator = Generator(seed, turns)
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    rows_written = 0
    span = DAYS * 86400 - 3 * 3600
    for block_start in range(0, conversations, BLOCK):
        rows = []
        for number in range(block_start, min(conversations, block_start + BLOCK)):
            day_start = START.timestamp() + number * span / conversations
            rows += generator.conversation(
                f"bench-{number:07d}", day_start + generator.random.uniform(0, 600)
            )
        rows.sort()  # stored in time order: conversations interleave as in a live store
        connection.executemany(
            "INSERT INTO events (timestamp, sender_id, type_name, intent_name, action_name, data) "
            "VALUES (?, ?, ?, ?, ?, ?)", rows,
        )
        connection.commit()
        rows_written += len(rows)
    connection.close()
    return rows_written


def run_report(endpoints: Path, out: Path, workers: int) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS (MiB, the report's processes together) and its summary line."""
    import psutil

    command = [
        sys.executable,
        "-m",
        "rasa_llm.insights",
        "--endpoints",
        str(endpoints),
        "--since",
        START.date().isoformat(),
        "--until",
        (START + timedelta(days=DAYS - 1)).date().isoformat(),
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    peak = 0
    watched = psutil.Process(process.pid)
    while process.poll() is None:  # the workers are separate processes: sum the tree's RSS
        try:
            tree = [watched, *watched.children(recursive=True)]
            peak = max(peak, sum(member.memory_info().rss for member in tree))
        except psutil.Error:
            pass
        time.sleep(0.1)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode:
        sys.exit(f"the report failed:\n{stderr}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return wall, cpu, peak / 2**20, stdout.strip()


def retrieve_baseline(db: Path, count: int) -> float:
    """Seconds per conversation for Rasa's own `retrieve_full_tracker`."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    store = SQLTrackerStore(Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(db))
    senders = [f"bench-{number:07d}" for number in range(count)]

    async def fetch_all() -> None:
        for sender in senders:
            assert await store.retrieve_full_tracker(sender) is not None

    started = time.perf_counter()
    asyncio.run(fetch_all())
    return (time.perf_counter() - started) / count


def grouping_quality() -> None:
    import yaml

    from rasa_llm.insights.grouping import DEFAULT_THRESHOLD, group_messages
    from rasa_llm.insights.unhandled import UnhandledText
    from rasa_llm.knowledge.encoder import load_encoder
    from rasa_llm.shared.models import default_encoder_path

    sets = yaml.safe_load((ROOT / "benchmarks/data/insights_grouping.yml").read_text())
    encoder = load_encoder(default_encoder_path())
    for name in ("development", "held_out"):
        topic_of = {text: topic for topic, texts in sets[name].items() for text in texts}
        groups = group_messages(
            [UnhandledText(text, count=1) for text in topic_of], encoder, DEFAULT_THRESHOLD
        )
        group_of = {entry.text: index for index, group in enumerate(groups) for entry in group.texts}
        texts = list(topic_of)
        pairs = [(a, b) for i, a in enumerate(texts) for b in texts[i + 1:]]
        together = {(a, b) for a, b in pairs if group_of[a] == group_of[b]}
        same = {(a, b) for a, b in pairs if topic_of[a] == topic_of[b]}
        precision = len(together & same) / len(together) if together else 1.0
        print(f"grouping {name}: {len(texts)} questions in {len(sets[name])} topics -> {len(groups)} groups; "
              f"pair precision {precision:.2f}, pair recall {len(together & same) / len(same):.2f} "
              f"(threshold {DEFAULT_THRESHOLD})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="store to write (or reuse with --keep); default: a temp file")
    parser.add_argument("--keep", action="store_true", help="keep the store, and reuse it if it exists")
    parser.add_argument(
        "--baseline", type=int, default=300, help="conversations read with retrieve_full_tracker"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="report runs, by worker count")
    parser.add_argument("--grouping-only", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    if args.grouping_only:
        grouping_quality()
        return
    with tempfile.TemporaryDirectory(prefix="insights-bench-") as folder:
        db = args.db or Path(folder) / "trackers.sqlite3"
        print(f"load average before: {open('/proc/loadavg').read().strip()}")
        if not (args.keep and db.is_file()):
            db.unlink(missing_ok=True)
            started = time.perf_counter()
            rows = generate(db, args.conversations, args.turns, args.seed)
            print(f"generated {args.conversations:,} conversations x {args.turns} turns = {rows:,} events, "
                  f"{db.stat().st_size / 2**30:.2f} GiB, in {time.perf_counter() - started:.0f} s")
        else:
            print(f"reusing {db} ({db.stat().st_size / 2**30:.2f} GiB)")
        endpoints = Path(folder) / "endpoints.yml"
        endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{db}"\n')
        for workers in args.workers:
            wall, cpu, peak, summary = run_report(endpoints, Path(folder) / "report", workers)
            print(f"report, {workers} worker(s): {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MiB "
                  f"(all processes; target: < 60 s wall on 2 cores)\n  {summary}")
        per_conversation = retrieve_baseline(db, min(args.baseline, args.conversations))
        projected = per_conversation * args.conversations
        print(
            f"baseline, Rasa retrieve_full_tracker: {per_conversation * 1000:.1f} ms per conversation -> "
            f"{projected:.0f} s projected for {args.conversations:,} ({projected / wall:.1f}x the last "
            "report's time)"
        )
        print(f"load average after: {open('/proc/loadavg').read().strip()}")
        if not args.keep and args.db:
            db.unlink(missing_ok=True)
    grouping_quality()


if __name__ == "__main__":
    main()
