"""Rasa's SQL tracker store, with the trackers of live conversations kept in memory.

Its trackers also keep the dialogue states the policies asked for (tracker_states.py).

Rasa 3.6's `SQLTrackerStore` rebuilds a conversation on every turn: it reads all events of the session,
decodes their JSON and replays them into a new tracker (the largest part of Rasa's work per turn in
benchmarks/load_test.py, growing with the conversation), and before saving it counts the stored
events again. This store keeps the tracker it saved last for the most recently active conversations
and hands it back on the next turn when the database still holds exactly the events it wrote: one
indexed count per turn, so several Rasa processes sharing one database stay correct (a conversation
that another process moved on is read again from the database). The database stays the record: every
event is written as Rasa writes it, and an event broker gets the same new events.

On SQLite (the reference bot's store) it also keeps its connections open and switches the file to
write-ahead logging with `synchronous=NORMAL`: Rasa's default rollback journal waits for the disk (fsync)
on every commit, and Rasa commits from its event loop, so every other conversation waits too. A crash
of the process loses nothing; a power cut can lose the last commits (PostgreSQL is the production
store, README).

    tracker_store:
      type: rasa_llm.CachingSQLTrackerStore
      dialect: "sqlite"
      db: ".run/trackers.sqlite3"
      cached_conversations: 500   # trackers kept in memory (the least recently active go first)
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_llm.stores.tracker_states import StateCachingTracker

DEFAULT_CACHED_CONVERSATIONS = 500


class CachingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that keeps the trackers of recently active conversations in memory."""

    def __init__(self, cached_conversations: int = DEFAULT_CACHED_CONVERSATIONS, **kwargs: Any) -> None:
        whole = isinstance(cached_conversations, int) and not isinstance(cached_conversations, bool)
        if not whole or cached_conversations < 0:
            raise ValueError(
                f"cached_conversations must be a whole number, 0 or more; got {cached_conversations!r}."
            )
        super().__init__(**kwargs)
        self.cached_conversations = cached_conversations
        # sender id -> (tracker as saved, how many of its events are stored, the sender's stored rows)
        self._live: OrderedDict[str, tuple[DialogueStateTracker, int, int]] = OrderedDict()
        # Asked every turn: one statement, compiled once (half the time of building the ORM query).
        self._count_rows = sa.select(sa.func.count(self.SQLEvent.id)).where(
            self.SQLEvent.sender_id == sa.bindparam("sender_id")
        )
        if self.engine.dialect.name == "sqlite":
            self._reuse_sqlite_connections()

    def _reuse_sqlite_connections(self) -> None:
        # SQLAlchemy 1.4 opens a new connection to an SQLite file for every session (NullPool); in WAL
        # mode closing the last one also checkpoints the log to the file. Keep them open instead
        # (SQLAlchemy 2.0's default for files); Rasa uses each from one thread at a time.
        self.engine.dispose()
        self.engine = sa.create_engine(
            self.engine.url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _write_ahead_logging)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        entry = self._live.pop(sender_id, None)
        if entry is not None:
            tracker, saved_events, stored_rows = entry
            # A turn that failed before its save leaves unsaved events on the tracker: read it again.
            if len(tracker.events) == saved_events and self._stored_rows(sender_id) == stored_rows:
                if not isinstance(tracker, StateCachingTracker):
                    # Rasa builds a new conversation's tracker itself (its tracker-store wrapper
                    # does not ask this store): from the second turn on, it is one that keeps states.
                    tracker = self._keeping_states(tracker)
                    entry = (tracker, saved_events, stored_rows)
                self._live[sender_id] = entry
                return tracker
        stored = await super().retrieve(sender_id)
        if stored is None or not self.cached_conversations:
            return stored
        return self._keeping_states(stored)  # read from the database, it goes on as a live one

    async def save(self, tracker: DialogueStateTracker) -> None:
        entry = self._live.pop(tracker.sender_id, None)
        if entry is None or entry[0] is not tracker:
            await super().save(tracker)  # Rasa's own way: count what is stored, write the rest
            if self.cached_conversations:
                self._remember(tracker, self._stored_rows(tracker.sender_id))
            return
        _, saved_events, stored_rows = entry
        new_events = list(itertools.islice(tracker.events, saved_events, None))
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        with self.session_scope() as session:
            session.add_all(self._row(tracker.sender_id, event) for event in new_events)
            session.commit()
        self._remember(tracker, stored_rows + len(new_events))

    def _keeping_states(self, tracker: DialogueStateTracker) -> StateCachingTracker:
        return StateCachingTracker.from_events(
            tracker.sender_id, list(tracker.events), self.domain.slots,
            max_event_history=self.max_event_history,
        )

    def _remember(self, tracker: DialogueStateTracker, stored_rows: int) -> None:
        self._live[tracker.sender_id] = (tracker, len(tracker.events), stored_rows)
        while len(self._live) > self.cached_conversations:
            self._live.popitem(last=False)

    def _stored_rows(self, sender_id: str) -> int:
        with self.session_scope() as session:
            return session.execute(self._count_rows, {"sender_id": sender_id}).scalar() or 0

    def _row(self, sender_id: str, event: Event) -> SQLTrackerStore.SQLEvent:
        # The columns SQLTrackerStore.save fills, the same way.
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
            action_name=data.get("name"),
            data=json.dumps(data),
        )


def _write_ahead_logging(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
