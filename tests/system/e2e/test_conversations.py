"""Whole conversations through the REST channel against the full stack, checking replies and the shop DB.

Each test answers whatever the bot asks for (the tracker's `requested_slot`), the way a customer
would type it, so the tests follow the conversation design instead of a fixed turn order.
"""
from __future__ import annotations

import json

import pytest

from bot.testing.stack import RunningStack, texts

pytestmark = pytest.mark.slow


def converse(stack: RunningStack, sender: str, opening: str, answers: dict[str, str],
             max_turns: int = 12) -> list[dict]:
    """Send `opening`, then answer each slot the bot requests from `answers`; all bot messages."""
    transcript = stack.say(sender, opening)
    for _ in range(max_turns):
        requested = stack.tracker(sender)["slots"].get("requested_slot")
        if not requested:
            return transcript
        assert requested in answers, f"bot asked for {requested!r}; transcript so far: {texts(transcript)}"
        transcript += stack.say(sender, answers[requested])
    pytest.fail(f"conversation did not finish in {max_turns} turns: {texts(transcript)}")


def order_row(stack: RunningStack, order_id: str):
    with stack.shop_db() as db:
        return db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()


def test_track_order_tells_status_and_tracking_number(bot_stack):
    sender = bot_stack.new_sender()
    reply = texts(converse(bot_stack, sender, "hi, where is my order?",
                           {"order_id": "ORD-10002", "email": "maria.garcia@example.com"}))
    order = order_row(bot_stack, "ORD-10002")
    assert order["status"] == "shipped"
    assert order["carrier"].lower() in reply
    assert order["tracking_number"].lower() in reply


def test_wrong_email_reveals_nothing(bot_stack):
    sender = bot_stack.new_sender()
    transcript = bot_stack.say(sender, "track my order ORD-10002")
    transcript += bot_stack.say(sender, "john.smith@example.com")
    reply = texts(transcript)
    order = order_row(bot_stack, "ORD-10002")
    assert order["tracking_number"].lower() not in reply
    assert "couldn't find" in reply or "could not find" in reply
    assert not bot_stack.tracker(sender)["slots"].get("order_verified")


def test_cancel_processing_order(bot_stack):
    sender = bot_stack.new_sender()
    reply = texts(converse(bot_stack, sender, "i need to cancel an order", {
        "order_id": "ord 10007", "email": "lukas.becker@example.com",
        "cancel_reason": "i found it cheaper somewhere else", "cancel_confirmed": "yes please",
    }))
    order = order_row(bot_stack, "ORD-10007")
    assert order["status"] == "cancelled"
    assert "cancel" in reply
    with bot_stack.shop_db() as db:
        refunds = db.execute("SELECT * FROM refunds WHERE order_id = 'ORD-10007'").fetchall()
    assert len(refunds) == 1


def test_cancel_shipped_order_is_refused(bot_stack):
    sender = bot_stack.new_sender()
    converse(bot_stack, sender, "please cancel my order", {
        "order_id": "ORD-10002", "email": "maria.garcia@example.com",
        "cancel_reason": "changed my mind", "cancel_confirmed": "yes",
    })
    assert order_row(bot_stack, "ORD-10002")["status"] == "shipped"


def test_change_shipping_address(bot_stack):
    sender = bot_stack.new_sender()
    reply = texts(converse(bot_stack, sender, "can i change the delivery address of my order", {
        "order_id": "#10001", "email": "maria.garcia@example.com",
        "address_street": "42 Juniper Lane", "address_city": "Portland", "address_postal_code": "97205",
        "address_country": "United States", "address_confirmed": "yes",
    }))
    address = json.loads(order_row(bot_stack, "ORD-10001")["shipping_address"])
    assert address["line1"] == "42 Juniper Lane"
    assert address["city"] == "Portland"
    assert address["postal_code"] == "97205"
    assert "juniper lane" in reply


def test_return_an_item_creates_exactly_one_return(bot_stack):
    sender = bot_stack.new_sender()
    reply = texts(converse(bot_stack, sender, "i want to return something i bought", {
        "order_id": "10003", "email": "john.smith@example.com", "return_items": "all of them",
        "return_reason": "it doesn't fit me", "return_confirmed": "yes",
    }))
    with bot_stack.shop_db() as db:
        returns = db.execute("SELECT * FROM returns WHERE order_id = 'ORD-10003'").fetchall()
        items = db.execute("SELECT sku, quantity FROM return_items WHERE return_id = ?",
                           (returns[0]["id"],)).fetchall() if returns else []
        ordered = db.execute("SELECT sku, quantity FROM order_items WHERE order_id = 'ORD-10003'").fetchall()
    assert len(returns) == 1
    assert sorted(map(tuple, items)) == sorted(map(tuple, ordered))
    assert f"ret-{returns[0]['id']:05d}" in reply


def test_handoff_records_transcript_and_pauses_the_bot(bot_stack):
    sender = bot_stack.new_sender()
    bot_stack.say(sender, "hello")
    reply = texts(bot_stack.say(sender, "i want to talk to a real person"))
    with bot_stack.shop_db() as db:
        handoffs = db.execute("SELECT * FROM handoffs WHERE conversation_id = ?", (sender,)).fetchall()
    assert len(handoffs) == 1
    transcript = json.loads(handoffs[0]["transcript"])
    assert any(turn["text"] == "i want to talk to a real person" for turn in transcript)
    assert "human" in reply or "agent" in reply
    assert bot_stack.say(sender, "hello?") == []  # paused: a person answers from now on
