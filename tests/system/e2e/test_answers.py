"""Through REST on the whole bot: shop questions get the passage that answers them, off-topic requests a
polite decline without a flow, order requests their form, follow-ups an answer in context."""
from __future__ import annotations

import pytest

from bot.testing.stack import RunningStack, texts

pytestmark = pytest.mark.slow

INTERNATIONAL = {"international-shipping", "express-international", "shipping-countries"}


def sources(messages: list[dict]) -> set[str]:
    return {
        source["id"] for message in messages for source in (message.get("custom") or {}).get("sources", [])
    }


def bot_actions(stack: RunningStack, sender: str) -> list[str]:
    return [event["name"] for event in stack.tracker(sender)["events"] if event.get("event") == "action"]


@pytest.mark.parametrize(
    ("question", "passage"),
    [
        ("do you deliver on weekends", "weekend-holiday-delivery"),
        ("is there a restocking fee if i send something back", "restocking-fees"),
        ("can i pay in instalments", "instalments-bnpl"),
        ("can i pick up my order in a store", "store-pickup"),
    ],
)
def test_a_shop_question_is_answered_from_its_passage(bot_stack, question, passage):
    sender = bot_stack.new_sender()
    reply = bot_stack.say(sender, question)
    assert passage in sources(reply), texts(reply)
    assert bot_stack.tracker(sender)["active_loop"].get("name") is None


@pytest.mark.parametrize("request_text", ["write me a python function that sorts a list",
                                          "what's 17 times 23", "how do i fix my car's brakes"])
def test_an_off_topic_request_is_declined_without_a_flow(bot_stack, request_text):
    sender = bot_stack.new_sender()
    reply = bot_stack.say(sender, request_text)
    tracker = bot_stack.tracker(sender)
    assert tracker["active_loop"].get("name") is None
    assert not sources(reply)
    assert "utter_out_of_scope" in bot_actions(bot_stack, sender) or any(
        (message.get("custom") or {}).get("mode") == "abstained" for message in reply
    ), texts(reply)


def start_order_flow(stack: RunningStack, text: str, flow: str) -> list[dict]:
    """The reply to `text` as a new conversation's first message, which must start the order flow `flow`."""
    sender = stack.new_sender()
    reply = stack.say(sender, text)
    tracker = stack.tracker(sender)
    assert tracker["active_loop"].get("name") == "order_verification_form"
    assert tracker["slots"]["order_request"] == flow
    return reply


def test_an_order_request_still_starts_its_form(bot_stack):
    reply = start_order_flow(bot_stack, "i want to return the boots i bought", "return")
    assert "order number" in texts(reply)


def test_an_order_request_worded_as_a_question_gets_the_answer_before_the_order_number(bot_stack):
    reply = start_order_flow(bot_stack, "how do i get an invoice", "invoice")
    answered = [i for i, message in enumerate(reply) if "invoices" in sources([message])]
    asked = [i for i, message in enumerate(reply) if "order number" in (message.get("text") or "").lower()]
    assert answered and asked and answered[0] < asked[-1], texts(reply)


def test_a_follow_up_is_answered_in_the_context_of_the_previous_question(bot_stack):
    sender = bot_stack.new_sender()
    bot_stack.say(sender, "how much does shipping cost")
    reply = bot_stack.say(sender, "and for canada?")
    assert sources(reply) & INTERNATIONAL, texts(reply)
