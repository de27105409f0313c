"""A small tracker store with one conversation per thing the report counts (see `scenario`)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.insights.store_builder import DAY0, DAY1, DAY2, Script, write_endpoints, write_store

WINDOW = (datetime(2026, 11, 2, tzinfo=timezone.utc), datetime(2026, 11, 4, tzinfo=timezone.utc))
FALLBACK_QUESTION = "can I pay with the loyalty points from ORD-12345?"


def scenario() -> dict[str, Script]:
    return {
        "handoff": Script(DAY1)
        .user("hello", "greet").bot("utter_greet").listen()
        .user(FALLBACK_QUESTION, "nlu_fallback", 0.3, best="check_payment_methods")
        .bot("utter_knowledge_answer", "Sorry, I don't know that one.", mode="abstained").listen()
        .user("let me talk to a human", "contact_human_agent").action("action_handoff")
        .bot("utter_handoff").listen(),
        "verified": Script(DAY1 + 3600)
        .user("where is my order", "track_order").form_start("order_verification_form", "order_id")
        .bot("utter_ask_order_id").listen()
        .user("ORD-10002", "inform").slot("order_id", "ORD-10002").slot("requested_slot", "email")
        .bot("utter_ask_email").listen()
        .user("maria.garcia@example.com", "inform").slot("email", "maria.garcia@example.com").form_end(True)
        .bot("action_track_order", "Shipped.").listen(),
        "abandoned": Script(DAY2)
        .user("i want to return my boots", "return_item").form_start("return_form", "return_items")
        .bot("action_ask_return_items").listen()
        .user("this is useless, nothing works", "complaint", sentiment="negative")
        .bot("action_acknowledge_frustration").listen()
        .user("stop", "stop").action("action_deactivate_loop").form_end(False).bot("utter_ok").listen(),
        "knowledge": Script(DAY2 + 3600)
        .user("do you sell gift cards", "nlu_fallback", 0.2, best="product_question")
        .bot("utter_knowledge_answer", "Yes, we do.", mode="generated").listen()
        .user("is there a student discount", "product_question", 0.45)
        .bot("utter_knowledge_answer", "Students get 10% off.", mode="extractive").listen()
        .user("is there a student discount", "product_question", 0.45)
        .bot("utter_knowledge_answer", "Students get 10% off.", mode="extractive").listen(),
        "last-week": Script(DAY0).user("hi", "greet").bot("utter_greet").listen(),
    }


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The endpoints file of a tracker store holding `scenario()` plus one unreadable event."""
    folder = tmp_path_factory.mktemp("insights_store")
    db = folder / "trackers.sqlite3"
    add_unreadable_event(write_store(db, scenario()))
    return write_endpoints(folder / "endpoints.yml", db)


def add_unreadable_event(store) -> None:
    with store.session_scope() as session:
        session.add(store.SQLEvent(sender_id="knowledge", type_name="user", timestamp=DAY2 + 7200,
                                   intent_name="greet", action_name=None, data="{not json"))
        session.commit()
