"""CachingSQLTrackerStore: the same rows and trackers as Rasa's SQLTrackerStore, without re-reading a
live conversation, and never a stale one."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from rasa_llm.stores.sql_tracker_store import CachingSQLTrackerStore
from rasa_llm.stores.tracker_states import StateCachingTracker

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, track_order]
slots:
  order_id:
    type: text
    mappings: [{type: custom}]
"""
)


def run(coroutine):
    return asyncio.run(coroutine)


def turn(tracker, text: str, order_id: str | None = None) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}))
    if order_id:
        tracker.update(SlotSet("order_id", order_id))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"reply to {text}"))
    tracker.update(ActionExecuted("action_listen"))


def rows(db) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT sender_id, type_name, intent_name, action_name, data FROM events ORDER BY id"
        ).fetchall()


class Broker:
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def sqlite_store(path, **settings) -> CachingSQLTrackerStore:
    return CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), **settings)


def converse(store, sender: str, texts: list[str]) -> None:
    for number, text in enumerate(texts):
        tracker = run(store.get_or_create_tracker(sender))
        turn(tracker, text, order_id=f"ORD-1000{number}")
        run(store.save(tracker))


def test_writes_the_rows_rasas_sql_store_writes(tmp_path):
    texts = ["hi", "where is my order", "thanks"]
    plain = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "plain.db"))
    caching = sqlite_store(tmp_path / "caching.db")
    converse(plain, "alice", texts)
    converse(caching, "alice", texts)
    assert len(rows(tmp_path / "caching.db")) == len(rows(tmp_path / "plain.db")) > 3 * 4
    columns = [row[:4] for row in rows(tmp_path / "caching.db")]
    assert columns == [row[:4] for row in rows(tmp_path / "plain.db")]
    # The tracker a turn gets is the one Rasa would rebuild from the database.
    cached = run(caching.retrieve("alice"))
    rebuilt = run(plain.retrieve("alice"))
    assert cached.current_slot_values() == rebuilt.current_slot_values()
    assert cached.get_slot("order_id") == "ORD-10002"
    assert [e.as_dict()["event"] for e in cached.applied_events()] == [
        e.as_dict()["event"] for e in rebuilt.applied_events()
    ]


def test_a_live_conversation_is_not_read_again(tmp_path, monkeypatch):
    store = sqlite_store(tmp_path / "t.db")
    converse(store, "alice", ["hi"])
    reads = []
    monkeypatch.setattr(SQLTrackerStore, "retrieve", lambda self, sender: reads.append(sender))
    tracker = run(store.retrieve("alice"))
    assert tracker.latest_message.text == "hi" and reads == []


def test_its_trackers_keep_their_states_whether_live_or_read_from_the_database(tmp_path):
    db = str(tmp_path / "shared.db")
    converse(CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db), "alice", ["hi", "thanks"])
    restarted = CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)

    read_back = run(restarted.retrieve("alice"))
    plain = run(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db).retrieve("alice"))
    assert isinstance(read_back, StateCachingTracker)
    assert read_back.past_states(DOMAIN) == plain.past_states(DOMAIN)
    assert len(read_back.events) == len(plain.events)
    # A new conversation's tracker is Rasa's; the store hands back one that keeps its states.
    converse(restarted, "bob", ["hi"])
    second_turn = run(restarted.retrieve("bob"))
    assert isinstance(second_turn, StateCachingTracker)
    assert run(restarted.retrieve("bob")) is second_turn
    turn(second_turn, "thanks")
    run(restarted.save(second_turn))
    assert run(restarted.retrieve("bob")) is second_turn
    # Without a cache of live conversations the store is Rasa's, trackers included.
    uncached = CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db, cached_conversations=0)
    assert type(run(uncached.retrieve("alice"))) is type(plain)


def test_a_conversation_another_instance_moved_on_is_read_again(tmp_path):
    db = str(tmp_path / "shared.db")
    first = CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    second = CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    converse(first, "alice", ["hi"])
    tracker = run(second.retrieve("alice"))
    turn(tracker, "ORD-10001 please", order_id="ORD-10001")
    run(second.save(tracker))

    seen_by_first = run(first.retrieve("alice"))
    assert seen_by_first.latest_message.text == "ORD-10001 please"
    assert seen_by_first.get_slot("order_id") == "ORD-10001"
    turn(seen_by_first, "thanks")
    run(first.save(seen_by_first))
    assert [row[4] for row in rows(db)].count(rows(db)[-1][4]) == 1  # nothing written twice
    rebuilt = run(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db).retrieve("alice"))
    assert len(rows(db)) == len(rebuilt.events)


def test_a_turn_that_failed_before_its_save_leaves_nothing_behind(tmp_path):
    store = sqlite_store(tmp_path / "t.db")
    converse(store, "alice", ["hi"])
    tracker = run(store.retrieve("alice"))
    turn(tracker, "this turn crashed", order_id="ORD-99999")  # never saved

    again = run(store.retrieve("alice"))
    assert again.latest_message.text == "hi"
    assert again.get_slot("order_id") == "ORD-10000"


def test_an_event_broker_gets_each_new_event_once(tmp_path):
    broker = Broker()
    store = sqlite_store(tmp_path / "t.db", event_broker=broker)
    converse(store, "alice", ["hi", "where is my order", "thanks"])
    published = [(event["event"], event.get("text")) for event in broker.published]
    stored = [(row[1], None) for row in rows(tmp_path / "t.db")]
    assert len(published) == len(stored)
    assert [kind for kind, _ in published] == [kind for kind, _ in stored]
    assert [text for kind, text in published if kind == "user"] == ["hi", "where is my order", "thanks"]


def test_keeps_at_most_the_configured_number_of_conversations(tmp_path):
    store = sqlite_store(tmp_path / "t.db", cached_conversations=2)
    for sender in ("a", "b", "c"):
        converse(store, sender, ["hi"])
    assert list(store._live) == ["b", "c"]
    assert run(store.retrieve("a")).latest_message.text == "hi"  # from the database
    off = sqlite_store(tmp_path / "off.db", cached_conversations=0)
    converse(off, "a", ["hi", "thanks"])
    assert not off._live and run(off.retrieve("a")).latest_message.text == "thanks"
    for wrong in (-1, "500", 2.5, True):
        with pytest.raises(ValueError, match="cached_conversations"):
            sqlite_store(tmp_path / "u.db", cached_conversations=wrong)


def test_sqlite_file_uses_write_ahead_logging(tmp_path):
    store = sqlite_store(tmp_path / "t.db")
    converse(store, "alice", ["hi"])
    with sqlite3.connect(tmp_path / "t.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
