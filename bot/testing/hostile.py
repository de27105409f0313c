"""Send the hostile-input corpus (bot/testing/hostile_inputs.yml) through Rasa's REST channel and
classify what came back.

Used by tests/system/hardening/test_hostile_inputs.py (assertions) and benchmarks/hostile_inputs.py (counts).
Every input is a conversation of its own. A reply leaks when it contains a customer's personal data
(email, name, tracking number, street, postal code from the shop database) that the conversation did
not type itself, or one of the input's `must_not_contain` words.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

CORPUS = Path(__file__).resolve().with_name("hostile_inputs.yml")
REQUEST_TIMEOUT_S = 180.0

ANSWERED, SILENT, REJECTED, SERVER_ERROR, NO_ANSWER = (
    "answered",
    "silent",
    "rejected (4xx)",
    "server error (5xx)",
    "no answer",
)


@dataclass(frozen=True)
class HostileInput:
    category: str
    name: str
    messages: tuple[bytes, ...]  # per turn, the bytes between the quotes of the JSON "message" string
    typed: str  # everything the conversation types, to tell a leak from an echo
    must_not_contain: tuple[str, ...] = ()


def _body(sender: str, message: bytes) -> bytes:
    # Built by hand, not with json.dumps: some inputs are bytes no JSON encoder would produce.
    return b'{"sender": "' + sender.encode() + b'", "message": "' + message + b'"}'


def _json_string_content(text: str) -> bytes:
    return json.dumps(text)[1:-1].encode()


def load_corpus(path: Path = CORPUS) -> list[HostileInput]:
    inputs = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["inputs"]:
        if "raw_message_hex" in entry:
            raw = bytes.fromhex(entry["raw_message_hex"])
            messages, typed = [raw], raw.decode(errors="replace")
        else:
            if "repeat" in entry:
                texts = [(entry["repeat"] * (entry["length"] // len(entry["repeat"]) + 1))[: entry["length"]]]
            else:
                texts = entry["turns"] if "turns" in entry else [entry["text"]]
            messages, typed = [_json_string_content(text) for text in texts], "\n".join(texts)
        inputs.append(HostileInput(entry["category"], entry["name"], tuple(messages), typed,
                                   tuple(entry.get("must_not_contain", ()))))
    return inputs


@dataclass
class Outcome:
    input: HostileInput
    sender: str
    kinds: list[str] = field(default_factory=list)  # one per turn
    replies: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    @property
    def worst(self) -> str:
        for kind in (SERVER_ERROR, NO_ANSWER, REJECTED, SILENT):
            if kind in self.kinds:
                return kind
        return ANSWERED


def protected_values(shop_db: sqlite3.Connection) -> set[str]:
    """Every customer's personal data and order details that only a verified customer may see."""
    values = set()
    for name, email in shop_db.execute("SELECT name, email FROM customers"):
        values.update({name, email})
    for tracking, address in shop_db.execute("SELECT tracking_number, shipping_address FROM orders"):
        if tracking:
            values.add(tracking)
        parsed = json.loads(address)
        values.update(str(parsed[key]) for key in ("line1", "postal_code") if parsed.get(key))
    return {value for value in values if len(value) >= 4}


def state_snapshot(shop_db: sqlite3.Connection) -> dict[str, list]:
    """What no unverified conversation may change: orders, returns, refunds."""
    return {
        "orders": [
            tuple(row)
            for row in shop_db.execute(
                "SELECT order_id, status, shipping_address FROM orders ORDER BY order_id"
            )
        ],
        "returns": [
            tuple(row) for row in shop_db.execute("SELECT id, order_id, status FROM returns ORDER BY id")
        ],
        "refunds": [
            tuple(row) for row in shop_db.execute("SELECT id, order_id, status FROM refunds ORDER BY id")
        ],
    }


def send(rest_url: str, item: HostileInput, protected: Iterable[str]) -> Outcome:
    sender = f"hostile-{uuid.uuid4().hex[:12]}"
    outcome = Outcome(item, sender)
    for message in item.messages:
        try:
            response = requests.post(rest_url, data=_body(sender, message),
                                     headers={"Content-Type": "application/json"}, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as error:
            outcome.kinds.append(NO_ANSWER)
            outcome.replies.append(f"({type(error).__name__})")
            continue
        if response.status_code >= 500:
            outcome.kinds.append(SERVER_ERROR)
        elif response.status_code >= 400:
            outcome.kinds.append(REJECTED)
        else:
            messages = response.json()
            outcome.kinds.append(ANSWERED if messages else SILENT)
            outcome.replies.append("\n".join(m.get("text", "") for m in messages))
    said = "\n".join(outcome.replies).lower()
    typed = item.typed.lower()
    outcome.leaks = sorted(
        {value for value in protected if value.lower() in said and value.lower() not in typed}
        | {word for word in item.must_not_contain if word.lower() in said}
    )
    return outcome


def run_corpus(
    rest_url: str, shop_db: sqlite3.Connection, corpus: list[HostileInput] | None = None
) -> list[Outcome]:
    protected = protected_values(shop_db)
    return [send(rest_url, item, protected) for item in corpus or load_corpus()]


def counts(outcomes: list[Outcome]) -> dict[str, Counter]:
    """Per category: how many inputs ended in each outcome, and how many leaked."""
    table: dict[str, Counter] = {}
    for outcome in outcomes:
        row = table.setdefault(outcome.input.category, Counter())
        row["inputs"] += 1
        row[outcome.worst] += 1
        row["leaks"] += bool(outcome.leaks)
    return table
