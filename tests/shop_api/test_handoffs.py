"""Handoff records: created with conversation id, reason and a capped transcript; read back by id."""
import json

import pytest

from bot.shop_api.validation import MAX_TRANSCRIPT_MESSAGES, MAX_TRANSCRIPT_TEXT_CHARS
from tests.shop_api.client import error_code

TRANSCRIPT = [
    {"sender": "user", "text": "my tent pole snapped on day one", "timestamp": 1767261600.5},
    {
        "sender": "bot",
        "text": "I'm sorry to hear that. Let me get a person.",
        "timestamp": "2026-01-01T10:00:02Z",
    },
    {"sender": "user", "text": "", "timestamp": None},
]


def test_create_and_read_a_handoff(fresh_client, fresh_shop_api):
    body = {"conversation_id": "conv-8d1f", "reason": "Customer asked for a human.", "transcript": TRANSCRIPT}

    created = fresh_client.post("/v1/handoffs", body)

    assert created.status_code == 201
    handoff = created.json()
    assert handoff["handoff_id"] == "HO-40001"
    assert handoff["status"] == "open"
    assert handoff["conversation_id"] == "conv-8d1f"
    assert handoff["transcript"] == TRANSCRIPT
    assert handoff["transcript_truncated"] is False
    read = fresh_client.get("/v1/handoffs/HO-40001")
    assert read.status_code == 200
    assert read.json() == handoff
    with fresh_shop_api.db() as db:
        row = db.execute("SELECT conversation_id, reason, transcript, status FROM handoffs").fetchone()
    assert (row["conversation_id"], row["reason"], row["status"]) == (
        "conv-8d1f",
        "Customer asked for a human.",
        "open",
    )
    assert json.loads(row["transcript"]) == TRANSCRIPT


def test_handoff_ids_count_up(fresh_client):
    body = {"conversation_id": "c", "reason": "r"}

    ids = [fresh_client.post("/v1/handoffs", body).json()["handoff_id"] for _ in range(3)]

    assert ids == ["HO-40001", "HO-40002", "HO-40003"]


def test_a_long_transcript_keeps_the_latest_messages_cut_to_size(fresh_client):
    messages = [{"sender": "user", "text": f"message {index}", "timestamp": index} for index in range(150)]
    messages[-1]["text"] = "é" * (MAX_TRANSCRIPT_TEXT_CHARS + 500)

    handoff = fresh_client.post(
        "/v1/handoffs", {"conversation_id": "long", "reason": "r", "transcript": messages}
    ).json()

    assert handoff["transcript_truncated"] is True
    assert len(handoff["transcript"]) == MAX_TRANSCRIPT_MESSAGES
    assert handoff["transcript"][0]["text"] == f"message {150 - MAX_TRANSCRIPT_MESSAGES}"
    assert handoff["transcript"][-1]["text"] == "é" * MAX_TRANSCRIPT_TEXT_CHARS


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": "r"}, "conversation_id"),
        ({"conversation_id": "c"}, "reason"),
        ({"conversation_id": "c" * 129, "reason": "r"}, "conversation_id"),
        ({"conversation_id": "c", "reason": "r", "transcript": "hello"}, "transcript"),
        ({"conversation_id": "c", "reason": "r", "transcript": [{"text": "hi"}]}, "transcript[0].sender"),
        (
            {"conversation_id": "c", "reason": "r", "transcript": [{"sender": "user", "text": 5}]},
            "transcript[0].text",
        ),
        (
            {"conversation_id": "c", "reason": "r", "transcript": [{"sender": "user", "timestamp": {}}]},
            "transcript[0].timestamp",
        ),
    ],
)
def test_invalid_handoffs_name_the_field(client, body, field):
    response = client.post("/v1/handoffs", body)

    assert response.status_code == 422
    assert error_code(response) == "invalid_handoff"
    assert response.json()["error"]["field"] == field


def test_a_non_finite_timestamp_is_refused(client):
    body = b'{"conversation_id": "c", "reason": "r", "transcript": [{"sender": "user", "timestamp": NaN}]}'

    response = client.post_raw("/v1/handoffs", body)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "transcript[0].timestamp"


@pytest.mark.parametrize("handoff_id", ["HO-49999", "HO-1", "RET-20001", "HO-40001x"])
def test_unknown_handoff_is_not_found(client, handoff_id):
    response = client.get(f"/v1/handoffs/{handoff_id}")

    assert response.status_code == 404
    assert error_code(response) == "handoff_not_found"
