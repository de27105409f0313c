"""Handoff, frustration and the per-turn bookkeeping, against the real shop API where they use it."""
from __future__ import annotations

import json

import pytest

from actions.common import asks_something
from actions.conversation import (
    MAX_TRANSCRIPT_BYTES,
    ActionAcknowledgeFrustration,
    ActionHandoff,
    ValidateEveryTurn,
    build_transcript,
)
from tests.actions.harness import has_human_offer, run, tracker

CONVERSATION = [
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "my tent pole snapped", "timestamp": 1700000000.0},
    {"event": "bot", "text": "I'm really sorry about that.", "timestamp": 1700000001.0},
    {"event": "slot", "name": "human_offered", "value": True},
    {"event": "user", "text": "yes", "timestamp": 1700000002.0},
]


def test_handoff_is_recorded_with_the_transcript_and_pauses_the_bot(fresh_api) -> None:
    current = tracker(
        {"human_offered": True, "handoff_reason": "complaint"}, intent="affirm", events=CONVERSATION,
        sender_id="conv-handoff",
    )
    result = run(ActionHandoff(), current)
    assert "passed our conversation to a person" in result.text and "ho-" in result.text
    notice = result.messages[-1]["custom"]  # what the web chat shows its handoff notice on
    assert notice["handoff"] is True and notice["handoff_id"].lower() in result.text
    assert result.event_types()[-1] == "pause"
    assert any(event["event"] == "active_loop" and event["name"] is None for event in result.events)
    assert result.slots()["human_offered"] is None
    with fresh_api.db() as db:
        row = db.execute("SELECT conversation_id, reason, transcript, status FROM handoffs").fetchone()
    assert row["conversation_id"] == "conv-handoff"
    assert row["reason"] == "accepted the offer of a person (complaint)"
    assert row["status"] == "open"
    assert [(m["sender"], m["text"]) for m in json.loads(row["transcript"])] == [
        ("user", "my tent pole snapped"), ("bot", "I'm really sorry about that."), ("user", "yes"),
    ]


def test_a_direct_request_for_a_person_says_so(fresh_api) -> None:
    run(ActionHandoff(), tracker({}, intent="contact_human_agent", events=CONVERSATION))
    with fresh_api.db() as db:
        (reason,) = db.execute("SELECT reason FROM handoffs").fetchone()
    assert reason == "customer asked for a person"


def test_handoff_with_the_shop_api_down_apologises_and_does_not_pause(down_api) -> None:
    result = run(ActionHandoff(), tracker({}, intent="contact_human_agent", events=CONVERSATION))
    assert "couldn't reach our support team" in result.text
    assert "pause" not in result.event_types()


def test_transcript_fits_what_the_shop_api_accepts() -> None:
    events = [{"event": "user", "text": "x" * 5000, "timestamp": i} for i in range(300)]
    transcript = build_transcript(events)
    assert 0 < len(transcript) <= 100
    assert all(len(message["text"]) <= 1000 for message in transcript)
    assert len(json.dumps(transcript).encode()) <= MAX_TRANSCRIPT_BYTES
    assert transcript[-1]["timestamp"] == 299  # the newest messages are kept


def test_complaint_gets_an_apology_and_the_offer_of_a_person() -> None:
    result = run(ActionAcknowledgeFrustration(), tracker({}, intent="complaint"))
    assert "sorry" in result.text
    assert has_human_offer(result)
    assert result.slots()["handoff_reason"] == "complaint"


def test_a_complaint_that_asks_nothing_gets_the_passage_about_it_only_if_there_is_one() -> None:
    result = run(ActionAcknowledgeFrustration(), tracker({}, intent="complaint", text="i got the wrong item"))
    assert [message.get("response") for message in result.messages] == [None, "utter_knowledge_answer", None]
    assert result.messages[1]["only_if_answered"] is True
    assert "sorry" in result.messages[0]["text"].lower() and has_human_offer(result)


def test_a_complaint_that_asks_something_gets_the_answer_between_apology_and_offer() -> None:
    complaint = tracker(
        {}, intent="complaint", text="the zipper on my jacket broke after 3 months is that covered"
    )
    result = run(ActionAcknowledgeFrustration(), complaint)
    assert [message.get("response") for message in result.messages] == [None, "utter_knowledge_answer", None]
    assert "sorry" in result.messages[0]["text"].lower() and not result.messages[0].get("buttons")
    assert "pass this to a person" in result.messages[-1]["text"]
    assert has_human_offer(result)
    assert result.slots()["handoff_reason"] == "complaint"


@pytest.mark.parametrize(
    "text, asks",
    [
        ("the zipper on my jacket broke after 3 months is that covered", True),
        ("my stove stopped working after a year, what can i do", True),
        ("why is it so hard to get a refund", True),
        ("broken on arrival?!", True),
        ("this is unacceptable", False),
        ("i want my money back", False),
        ("nobody answered my emails for a week", False),
    ],
)
def test_asks_something_tells_questions_from_venting(text: str, asks: bool) -> None:
    assert asks_something(text) is asks


def sentiment_turn(intent: str, slots: dict | None = None):
    events = [
        {"event": "action", "name": "action_extract_slots"},
        {"event": "slot", "name": "sentiment", "value": "negative"},
    ]
    return tracker({"sentiment": "negative", **(slots or {})}, intent=intent, events=events)


def test_a_negative_message_is_acknowledged_once_and_the_slot_reset() -> None:
    result = run(ValidateEveryTurn(), sentiment_turn("track_order"))
    assert "sorry this has been frustrating" in result.text
    assert result.slots() == {
        "sentiment": None,
        "human_offered": True,
        "handoff_reason": "customer sounded frustrated",
    }
    # No buttons: the customer's own request carries on in the same turn.
    assert not result.messages[0].get("buttons")


def test_a_complaint_is_left_to_its_own_apology() -> None:
    result = run(ValidateEveryTurn(), sentiment_turn("complaint"))
    assert result.messages == []
    assert result.slots() == {"sentiment": None}


def test_an_offer_made_this_turn_survives_the_validation_of_a_form_starting() -> None:
    events = [
        {"event": "user", "text": "oh great, the tracking number doesn't work either"},
        {"event": "slot", "name": "human_offered", "value": True},
        {"event": "active_loop", "name": "order_verification_form"},
    ]
    result = run(ValidateEveryTurn(), tracker({"human_offered": True}, intent="track_order", events=events))
    assert "human_offered" not in result.slots()


def test_an_open_offer_is_withdrawn_unless_accepted() -> None:
    moved_on = run(ValidateEveryTurn(), tracker({"human_offered": True}, intent="check_refund_policy"))
    assert moved_on.slots() == {"human_offered": None}
    accepted = run(ValidateEveryTurn(), tracker({"human_offered": True}, intent="affirm"))
    assert "human_offered" not in accepted.slots()


def test_order_ids_and_emails_are_normalised_whenever_extracted() -> None:
    events = [
        {"event": "slot", "name": "order_id", "value": "ord 10003"},
        {"event": "slot", "name": "email", "value": "John.Smith@Example.com"},
    ]
    current = tracker(
        {"order_id": "ord 10003", "email": "John.Smith@Example.com"},
        events=events,
        active_loop="cancel_order_form",
    )
    result = run(ValidateEveryTurn(), current)
    assert result.slots() == {"order_id": "ORD-10003", "email": "john.smith@example.com"}
