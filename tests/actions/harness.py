"""Run a rasa_sdk action the way the action server does: a `Tracker`, a `CollectingDispatcher` and the
bot's domain, with the async `run` awaited; answer the messages and the events (as dicts)."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

REPO_ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "domain.yml").read_text())


@dataclass
class Result:
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """Every message's text, joined and lower-cased, for assertions on content."""
        return "\n".join(message.get("text") or "" for message in self.messages).lower()

    def slots(self) -> dict[str, Any]:
        """The slot values the events leave behind (a later event wins)."""
        return {event["name"]: event["value"] for event in self.events if event.get("event") == "slot"}

    def event_types(self) -> list[str]:
        return [event["event"] for event in self.events]


def tracker(
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    text: str = "",
    entities: Iterable[tuple[str, str]] = (),
    events: Sequence[dict[str, Any]] = (),
    active_loop: str | None = None,
    sender_id: str = "conversation-1",
) -> Tracker:
    """A tracker whose latest message has `intent`, `text` and `entities` ((entity, value) pairs)."""
    latest = {
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": entity, "value": value} for entity, value in entities],
        "text": text,
    }
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message=latest,
        events=list(events),
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def form_tracker(
    form: str,
    slots: dict[str, Any],
    candidates: dict[str, Any],
    *,
    starting: bool = False,
    requested_slot: str | None = None,
    intent: str = "inform",
    text: str = "",
    entities: Iterable[tuple[str, str]] = (),
) -> Tracker:
    """What Rasa's FormAction hands the form's validator: the form already marked active (also at
    activation), then the requested slot, the form's own run and the slot candidates as last events.
    `starting`: the form's first run, with no user message since its activation."""
    all_slots = {**slots, **candidates, "requested_slot": requested_slot}
    history = [{"event": "active_loop", "name": form}]
    if not starting:
        history.append({"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}})
    events = [
        *history,
        {"event": "slot", "name": "requested_slot", "value": requested_slot},
        {"event": "action", "name": form},
        *({"event": "slot", "name": name, "value": value} for name, value in candidates.items()),
    ]
    return tracker(all_slots, intent=intent, text=text, entities=entities, events=events, active_loop=form)


def run(action: Action, current: Tracker) -> Result:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, current, domain()))
    return Result(messages=dispatcher.messages, events=list(events))


def has_human_offer(result: Result) -> bool:
    payloads = [
        button.get("payload") for message in result.messages for button in message.get("buttons") or []
    ]
    return "/contact_human_agent" in payloads and result.slots().get("human_offered") is True
