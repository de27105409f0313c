"""Fault scenarios run against a `ControllableStack`: what the customer sees while a service fails,
and whether the conversation goes on once it is back.

Each scenario returns an `Observation`; tests/system/hardening/test_faults.py asserts on them and
benchmarks/fault_table.py prints them as the fault table.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.testing.fault_proxy import ERROR, LOST_REPLY, SLOW
from bot.testing.stack import ControllableStack, RunningStack, texts

TRACK_OPENING = "where is my order?"
TRACK_ANSWERS = {"order_id": "ORD-10002", "email": "maria.garcia@example.com"}
HUMAN_OFFER_RE = re.compile(r"\b(person|agent|human|our team)\b")
_PROBLEM_RE = re.compile(r"\b(WARNING|ERROR|CRITICAL|Traceback)\b")


@dataclass
class Observation:
    fault: str
    during: str  # the bot's replies while the fault lasted
    after: str  # the bot's replies once the service was back
    services_up: bool  # every service still running at the end (one stopped on purpose was restarted)
    problems_logged: dict[str, int] = field(
        default_factory=dict
    )  # log -> warning/error lines during the fault
    details: dict[str, Any] = field(default_factory=dict)


def converse(stack: RunningStack, sender: str, opening: str, answers: dict[str, str],
             stop_at: str | None = None, max_turns: int = 12) -> list[dict]:
    """Send `opening`, then answer each slot the bot requests from `answers` until no slot is
    requested (or `stop_at` is); all the bot's messages."""
    transcript = stack.say(sender, opening)
    for _ in range(max_turns):
        requested = stack.tracker(sender)["slots"].get("requested_slot")
        if not requested or requested == stop_at:
            return transcript
        if requested not in answers:
            raise AssertionError(f"bot asked for {requested!r}; transcript so far: {texts(transcript)}")
        transcript += stack.say(sender, answers[requested])
    raise AssertionError(f"conversation did not finish in {max_turns} turns: {texts(transcript)}")


class _LogWatch:
    """Counts the warning and error lines each log gains while it is open."""

    def __init__(self, paths: list[Path]) -> None:
        self._sizes = {path: path.stat().st_size for path in paths}

    def problems(self) -> dict[str, int]:
        counts = {}
        for path, size in self._sizes.items():
            with open(path, "rb") as log:
                log.seek(size)
                new_lines = log.read().decode(errors="replace").splitlines()
            counts[path.stem] = sum(bool(_PROBLEM_RE.search(line)) for line in new_lines)
        return counts


def _all_up(stack: ControllableStack) -> bool:
    return stack.shop.running and stack.actions.running and stack.rasa.running


def _returns_of(stack: ControllableStack, order_id: str) -> int:
    with stack.running.shop_db() as db:
        return db.execute("SELECT COUNT(*) FROM returns WHERE order_id = ?", (order_id,)).fetchone()[0]


def _shop_api_fault(stack: ControllableStack, name: str, mode: str) -> Observation:
    sender = RunningStack.new_sender()
    watch = _LogWatch(stack.log_paths)
    with stack.proxy.fault(mode):
        during = texts(converse(stack.running, sender, TRACK_OPENING, TRACK_ANSWERS))
    problems = watch.problems()
    after = texts(converse(stack.running, sender, TRACK_OPENING, TRACK_ANSWERS))
    return Observation(name, during, after, _all_up(stack), problems)


def shop_api_slow(stack: ControllableStack) -> Observation:
    return _shop_api_fault(
        stack, f"shop API slow ({stack.proxy.delay_s:.0f} s, past the action's timeout)", SLOW
    )


def shop_api_error(stack: ControllableStack) -> Observation:
    return _shop_api_fault(stack, "shop API answers 500", ERROR)


def _stopped_service(stack: ControllableStack, name: str, process_name: str) -> Observation:
    process = getattr(stack, process_name)
    sender = RunningStack.new_sender()
    watch = _LogWatch(stack.log_paths)
    process.stop()
    try:
        during = texts(converse(stack.running, sender, TRACK_OPENING, TRACK_ANSWERS))
    finally:
        problems = watch.problems()
        process.start()
    after = texts(converse(stack.running, sender, TRACK_OPENING, TRACK_ANSWERS))
    return Observation(name, during, after, _all_up(stack), problems)


def shop_api_down(stack: ControllableStack) -> Observation:
    return _stopped_service(stack, "shop API down", "shop")


def action_server_down(stack: ControllableStack) -> Observation:
    return _stopped_service(stack, "action server down", "actions")


# A Canadian postal code: a US one (5 digits) is also read as a bare order number.
ADDRESS_ANSWERS = {
    "order_id": "ORD-10001", "email": "maria.garcia@example.com", "address_street": "7 Larch Court",
    "address_city": "Vancouver", "address_postal_code": "V6B 1A1", "address_country": "Canada",
    "address_confirmed": "yes",
}
_KEPT_SLOTS = ("order_id", "email", "order_verified", "address_street", "address_city", "requested_slot")


def rasa_restart(stack: ControllableStack) -> Observation:
    """Rasa stopped and started in the middle of the address-change form (SQL tracker store)."""
    sender = RunningStack.new_sender()
    converse(stack.running, sender, "I need to change the shipping address of my order", ADDRESS_ANSWERS,
             stop_at="address_postal_code")
    before = stack.running.tracker(sender)
    stack.restart(stack.rasa)
    resumed = stack.running.tracker(sender)
    after = texts(converse(stack.running, sender, ADDRESS_ANSWERS["address_postal_code"], ADDRESS_ANSWERS))
    with stack.running.shop_db() as db:
        row = db.execute("SELECT shipping_address FROM orders WHERE order_id = 'ORD-10001'").fetchone()
    new_street = json.loads(row["shipping_address"])["line1"]
    return Observation(
        "Rasa restarted mid-conversation (SQL tracker store)",
        "(Rasa stopped and started while the address form asked for the postal code)", after, _all_up(stack),
        details={
            "slots_before": {name: before["slots"].get(name) for name in _KEPT_SLOTS},
            "slots_after": {name: resumed["slots"].get(name) for name in _KEPT_SLOTS},
            "active_loop_before": (before.get("active_loop") or {}).get("name"),
            "active_loop_after": (resumed.get("active_loop") or {}).get("name"),
            "address_line1_at_end": new_street,
        },
    )


# ORD-10008 also holds a gift card, which cannot be returned: only the pants go back.
RETRY_ANSWERS = {
    "order_id": "ORD-10008",
    "email": "lukas.becker@example.com",
    "return_items": "the hiking pants",
    "return_reason": "too small",
    "return_confirmed": "yes",
}


def return_reply_lost(stack: ControllableStack) -> Observation:
    """The shop API creates the return but its reply is lost; the customer asks again."""
    sender = RunningStack.new_sender()
    watch = _LogWatch(stack.log_paths)
    with stack.proxy.fault(LOST_REPLY, path=r"/returns$"):
        during = texts(converse(stack.running, sender, "I'd like to return an order", RETRY_ANSWERS))
    problems = watch.problems()
    created_during_fault = _returns_of(stack, "ORD-10008")
    after = texts(converse(stack.running, sender, "please try the return again", RETRY_ANSWERS))
    return Observation(
        "shop API creates the return, its reply is lost; customer retries",
        during,
        after,
        _all_up(stack),
        problems,
        details={
            "returns_after_fault": created_during_fault,
            "returns_at_end": _returns_of(stack, "ORD-10008"),
        },
    )


DOUBLE_ANSWERS = {"order_id": "ORD-10003", "email": "john.smith@example.com", "return_items": "all of them",
                  "return_reason": "wrong colour"}


def double_confirm(stack: ControllableStack) -> Observation:
    """The confirmation sent twice at once (a double click, a client resending)."""
    sender = RunningStack.new_sender()
    converse(stack.running, sender, "I want to return something", DOUBLE_ANSWERS, stop_at="return_confirmed")
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda _: stack.running.say(sender, "yes"), range(2)))
    return Observation(
        "return confirmed twice at once (double submit)", " || ".join(texts(reply) for reply in replies), "",
        _all_up(stack), details={"returns_at_end": _returns_of(stack, "ORD-10003")},
    )


SCENARIOS: tuple[Callable[[ControllableStack], Observation], ...] = (
    shop_api_slow, shop_api_error, shop_api_down, action_server_down, rasa_restart, return_reply_lost,
    double_confirm,
)
