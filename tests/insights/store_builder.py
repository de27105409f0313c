"""Small tracker stores for the insights tests, written by Rasa's own SQLTrackerStore from Rasa events."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc).timestamp()
DAY2 = DAY1 + 86400
DAY0 = DAY1 - 86400


class Script:
    """A conversation's events, one second apart from `start`."""

    def __init__(self, start: float) -> None:
        self.clock = start
        self.events: list[Event] = [ActionExecuted("action_session_start", timestamp=self._tick()),
                                    ActionExecuted("action_listen", timestamp=self._tick())]

    def _tick(self) -> float:
        self.clock += 1
        return self.clock

    def user(self, text: str, intent: str, confidence: float = 0.95, sentiment: str = "neutral",
             best: str | None = None) -> Script:
        ranking = [{"name": intent, "confidence": confidence}]
        if best:
            ranking.append({"name": best, "confidence": 0.3})
        parse_data: dict[str, Any] = {
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
            "entities": [],
            "text": text,
            "sentiment": {"name": sentiment, "confidence": 0.9},
        }
        self.events.append(UserUttered(text, parse_data["intent"], [], parse_data, timestamp=self._tick()))
        return self

    def bot(self, action: str, text: str = "ok", mode: str | None = None) -> Script:
        self.events.append(ActionExecuted(action, timestamp=self._tick()))
        data = {"custom": {"mode": mode, "sources": []}} if mode else {}
        self.events.append(BotUttered(text, data, {"utter_action": action}, timestamp=self._tick()))
        return self

    def action(self, name: str) -> Script:
        self.events.append(ActionExecuted(name, timestamp=self._tick()))
        return self

    def form_start(self, form: str, slot: str) -> Script:
        self.events += [
            ActionExecuted(form, timestamp=self._tick()),
            ActiveLoop(form, timestamp=self._tick()),
            SlotSet("requested_slot", slot, timestamp=self._tick()),
        ]
        return self

    def slot(self, name: str, value: Any) -> Script:
        self.events.append(SlotSet(name, value, timestamp=self._tick()))
        return self

    def form_end(self, completed: bool) -> Script:
        ends = [
            SlotSet("requested_slot", None, timestamp=self._tick()),
            ActiveLoop(None, timestamp=self._tick()),
        ]
        self.events += ends if completed else list(reversed(ends))  # Rasa's deactivation comes loop first
        return self

    def listen(self) -> Script:
        return self.action("action_listen")


def write_store(path: Path | None, conversations: dict[str, Script], **settings: Any) -> SQLTrackerStore:
    """Save the conversations with Rasa's SQLTrackerStore (an SQLite file at `path`, or `settings`)."""
    store = SQLTrackerStore(Domain.empty(), **(settings or {"dialect": "sqlite", "db": str(path)}))
    for sender_id, script in conversations.items():
        tracker = DialogueStateTracker.from_events(sender_id, script.events)
        asyncio.run(store.save(tracker))
    return store


def write_endpoints(path: Path, db: Path) -> Path:
    path.write_text(f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{db}"\n')
    return path
