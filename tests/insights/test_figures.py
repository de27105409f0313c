"""The figures of the small store (tests/insights/conftest.py), counted by hand from its scenario."""
from __future__ import annotations

import pytest

from rasa_llm.insights.figures import Figures
from rasa_llm.insights.report import utc_timestamp
from rasa_llm.insights.store import TrackerStoreReader
from tests.insights.conftest import WINDOW


@pytest.fixture(scope="module")
def figures(small_store) -> Figures:
    figures = Figures(low_confidence=0.6)
    for conversation in TrackerStoreReader.from_endpoints(small_store).conversations(
        *(utc_timestamp(moment) for moment in WINDOW)
    ):
        figures.add(conversation)
    return figures


def test_volume_per_day_excludes_conversations_outside_the_window(figures):
    result = figures.as_dict()
    assert result["totals"] == {"conversations": 4, "turns": 12, "unreadable_events": 1}
    assert result["volume"] == [
        {"day": "2026-11-02", "conversations": 2, "turns": 6},
        {"day": "2026-11-03", "conversations": 2, "turns": 6},
    ]


def test_intent_mix_and_fallback_rate(figures):
    result = figures.as_dict()
    assert result["intents"]["total"]["nlu_fallback"] == 2
    assert result["intents"]["total"]["inform"] == 2
    assert result["intents"]["by_day"]["2026-11-03"]["product_question"] == 2
    assert result["fallback"]["nlu_fallback_rate"] == pytest.approx(2 / 12, abs=1e-4)
    assert result["fallback"]["out_of_scope"] == 0


def test_knowledge_answers_by_outcome(figures):
    knowledge = figures.as_dict()["knowledge"]
    assert (knowledge["generated"], knowledge["extractive"], knowledge["abstained"]) == (1, 2, 1)
    assert knowledge["abstained_share"] == 0.25


def test_containment_and_what_came_before_the_handoff(figures):
    containment = figures.as_dict()["containment"]
    assert containment["handed_off"] == 1 and containment["handoff_rate"] == 0.25
    assert containment["containment_rate"] == 0.75
    assert containment["before_handoff"] == [
        {"bot_action": "utter_knowledge_answer", "intent": "contact_human_agent", "count": 1}
    ]


def test_form_funnels(figures):
    forms = figures.as_dict()["forms"]
    assert forms["order_verification_form"] == {
        "started": 1,
        "completed": 1,
        "abandoned": 0,
        "abandoned_at": {},
    }
    assert forms["return_form"] == {"started": 1, "completed": 0, "abandoned": 1,
                                    "abandoned_at": {"return_items": 1}}


def test_negative_messages_and_what_preceded_them(figures):
    sentiment = figures.as_dict()["sentiment"]
    assert [(row["day"], row["negative"]) for row in sentiment["by_day"]] == [
        ("2026-11-02", 0),
        ("2026-11-03", 1),
    ]
    assert sentiment["after_intent"] == {"return_item": 1}
    assert sentiment["after_bot_action"] == {"action_ask_return_items": 1}


def test_unhandled_messages_and_why(figures):
    entries = {entry.text: entry for entry in figures.unhandled.masked()}
    assert set(entries) == {
        "can I pay with the loyalty points from [ORDER]?",
        "do you sell gift cards",
        "is there a student discount",
    }
    # The fallback question was not answered (abstained) and the customer then asked for a person.
    assert set(entries["can I pay with the loyalty points from [ORDER]?"].reasons) == {
        "fallback",
        "abstained",
        "handoff",
    }
    assert entries["can I pay with the loyalty points from [ORDER]?"].intents == {"check_payment_methods": 1}
    # Asked twice: both low-confidence, the first one repeated.
    assert entries["is there a student discount"].count == 2
    assert entries["is there a student discount"].reasons == {"low_confidence": 2, "repeat": 1}
    assert figures.as_dict()["unhandled"]["messages"] == 4


def test_a_form_still_open_when_the_conversation_ends_is_abandoned_at_its_question():
    from rasa_llm.insights.store import Conversation, StoredEvent

    events = [
        StoredEvent("user", 1.0, "cancel_order", None, {"text": "cancel it", "parse_data": {"intent": {
            "name": "cancel_order", "confidence": 0.9}}}),
        StoredEvent("active_loop", 2.0, None, "cancel_order_form", None),
        StoredEvent("slot", 3.0, None, "requested_slot", {"value": "cancel_reason"}),
    ]
    figures = Figures()
    figures.add(Conversation("c", events, 0))
    assert figures.as_dict()["forms"]["cancel_order_form"]["abandoned_at"] == {"cancel_reason": 1}


def test_a_user_event_without_parse_data_is_counted_unreadable():
    from rasa_llm.insights.store import Conversation, StoredEvent

    figures = Figures()
    figures.add(Conversation("c", [StoredEvent("user", 1.0, None, None, {"text": "hi"})], 0))
    assert figures.as_dict()["totals"] == {"conversations": 0, "turns": 0, "unreadable_events": 1}


def test_figures_read_in_two_parts_and_merged_equal_those_read_at_once(small_store, figures):
    reader = TrackerStoreReader.from_endpoints(small_store)
    bounds = reader.sender_bounds(2)
    assert len(bounds) == 2 and bounds[0][1] == bounds[1][0]
    parts = []
    for part in bounds:
        part_figures = Figures(low_confidence=0.6)
        for conversation in reader.conversations(*(utc_timestamp(moment) for moment in WINDOW), *part):
            part_figures.add(conversation)
        parts.append(part_figures)
    assert parts[0].conversations and parts[1].conversations
    parts[0].merge(parts[1])
    assert parts[0].as_dict() == figures.as_dict()
    assert [(e.text, e.count, e.reasons) for e in parts[0].unhandled.masked()] == [
        (e.text, e.count, e.reasons) for e in figures.unhandled.masked()]
