from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rasa_llm.insights.report import utc_timestamp
from rasa_llm.insights.store import StoreError, TrackerStoreReader
from tests.insights.conftest import WINDOW


def read(endpoints: Path, window=WINDOW) -> dict:
    reader = TrackerStoreReader.from_endpoints(endpoints)
    return {c.sender_id: c for c in reader.conversations(*(utc_timestamp(moment) for moment in window))}


def test_streams_each_conversation_of_the_window_once_in_stored_order(small_store):
    conversations = read(small_store)
    assert sorted(conversations) == ["abandoned", "handoff", "knowledge", "verified"]
    events = conversations["handoff"].events
    # action_session_start, the greeting and its reply; action_listen is never read
    assert [(e.type_name, e.action_name) for e in events[:4]] == [
        ("action", "action_session_start"), ("user", None), ("action", "utter_greet"), ("bot", None)]
    assert all(e.action_name != "action_listen" for e in events)
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


def test_only_the_json_the_report_reads_is_decoded(small_store):
    events = read(small_store)["verified"].events
    user = next(e for e in events if e.type_name == "user")
    assert user.data["text"] == "where is my order" and user.intent_name == "track_order"
    actions = [e for e in events if e.type_name == "action"]
    assert actions and all(e.data is None and e.action_name for e in actions)
    slots = [(e.action_name, e.data["value"]) for e in events if e.type_name == "slot"]
    # The customer's order number and email are never read: only the questions the form asked.
    assert slots == [("requested_slot", "order_id"), ("requested_slot", "email"), ("requested_slot", None)]


def test_unreadable_events_are_skipped_and_counted(small_store):
    conversation = read(small_store)["knowledge"]
    assert conversation.unreadable == 1
    assert all(e.data is not None for e in conversation.events if e.type_name == "user")


def test_missing_sqlite_file_is_an_error_not_a_new_empty_store(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{tmp_path}/nope.db"\n')
    with pytest.raises(StoreError, match="does not exist"):
        TrackerStoreReader.from_endpoints(endpoints)
    assert not (tmp_path / "nope.db").exists()


def test_unreachable_postgresql_fails_fast_instead_of_retrying_forever(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: SQL\n  dialect: "postgresql"\n  url: "127.0.0.1"\n'
                         f'  port: {port}\n  db: "rasa"\n  username: "rasa"\n  password: "secret-pw"\n')
    with pytest.raises(StoreError, match="Cannot reach") as error:
        TrackerStoreReader.from_endpoints(endpoints)
    assert "\n" not in str(error.value) and "secret-pw" not in str(error.value)


def test_a_store_that_is_not_sql_is_refused(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n  url: localhost\n")
    with pytest.raises(StoreError, match="no SQL tracker store"):
        TrackerStoreReader.from_endpoints(endpoints)


def test_fields_extracted_by_sqlite_match_the_events_decoded_in_python(small_store):
    """SQLite extracts the report's fields itself; other databases send the whole JSON (same result)."""
    window = [utc_timestamp(moment) for moment in WINDOW]
    extracted = TrackerStoreReader.from_endpoints(small_store)
    assert extracted.extract_in_sql
    decoded = TrackerStoreReader(extracted.store, extract_in_sql=False)
    for fast, full in zip(extracted.conversations(*window), decoded.conversations(*window), strict=True):
        assert (fast.sender_id, fast.unreadable) == (full.sender_id, full.unreadable)
        assert [e[:4] for e in fast.events] == [e[:4] for e in full.events]
        for fast_event, full_event in zip(fast.events, full.events, strict=True):
            if fast_event.type_name == "user":
                parse = full_event.data["parse_data"]
                assert fast_event.data["text"] == full_event.data["text"]
                assert fast_event.data["parse_data"]["intent"] == parse["intent"]
                assert fast_event.data["parse_data"]["sentiment"]["name"] == parse["sentiment"]["name"]
                assert [r["name"] for r in fast_event.data["parse_data"]["intent_ranking"]][:len(
                    parse["intent_ranking"])] == [r["name"] for r in parse["intent_ranking"]][:2]
            elif fast_event.type_name == "bot":
                assert fast_event.data["data"]["custom"]["mode"] == ((full_event.data["data"] or {}).get(
                    "custom") or {}).get("mode")
            elif fast_event.type_name == "slot":
                assert fast_event.data["value"] == full_event.data["value"]


def test_the_reference_bots_caching_store_is_read_like_rasas_sql_store(small_store, tmp_path):
    settings = small_store.read_text().replace("type: SQL", "type: rasa_llm.CachingSQLTrackerStore")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(settings)
    assert {sender: len(c.events) for sender, c in read(endpoints).items()} == {
        sender: len(c.events) for sender, c in read(small_store).items()
    }
