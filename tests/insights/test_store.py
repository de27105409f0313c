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
    assert [e.type_name for e in events[:4]] == ["action", "action", "user", "action"]
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


def test_only_the_json_the_report_reads_is_decoded(small_store):
    events = read(small_store)["verified"].events
    user = next(e for e in events if e.type_name == "user")
    assert user.data["text"] == "where is my order" and user.intent_name == "track_order"
    actions = [e for e in events if e.type_name == "action"]
    assert actions and all(e.data is None and e.action_name for e in actions)
    slots = {e.action_name: e.data for e in events if e.type_name == "slot"}
    assert slots["requested_slot"]["value"] in ("order_id", "email", None)
    assert slots["order_id"] is None  # a customer's value the report never needs


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
