"""Slot names and the few helpers every action shares."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import messages

EventList = list[dict[str, Any]]

ORDER_ID = "order_id"
EMAIL = "email"
ORDER_VERIFIED = "order_verified"
ORDER_STATUS = "order_status"
VERIFICATION_ATTEMPTS = "verification_attempts"
CANCEL_REASON = "cancel_reason"
CANCEL_CONFIRMED = "cancel_confirmed"
RETURN_ITEMS = "return_items"
RETURN_REASON = "return_reason"
RETURN_CONFIRMED = "return_confirmed"
RETURN_ID = "return_id"
REFUND_STATUS = "refund_status"
ADDRESS_STREET = "address_street"
ADDRESS_CITY = "address_city"
ADDRESS_POSTAL_CODE = "address_postal_code"
ADDRESS_COUNTRY = "address_country"
ADDRESS_CONFIRMED = "address_confirmed"
SENTIMENT = "sentiment"
HUMAN_OFFERED = "human_offered"
HANDOFF_REASON = "handoff_reason"
MISUNDERSTOOD = "misunderstood"  # answers to the current form question not understood in a row

CANCEL_SLOTS = (CANCEL_REASON, CANCEL_CONFIRMED)
RETURN_SLOTS = (RETURN_ITEMS, RETURN_REASON, RETURN_CONFIRMED)
ADDRESS_SLOTS = (ADDRESS_STREET, ADDRESS_CITY, ADDRESS_POSTAL_CODE, ADDRESS_COUNTRY, ADDRESS_CONFIRMED)

# Intents that never answer a form's question (mirrors `x-not-an-answer` in domain.yml).
NOT_AN_ANSWER = frozenset(
    {
        "stop", "deny", "contact_human_agent", "bot_challenge", "check_refund_policy", "delivery_options",
        "delivery_period", "check_payment_methods", "product_question", "shop_question", "greet", "goodbye",
        "thank", "other_language",
    }
)


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("intent", {}).get("name")


def latest_entities(tracker: Tracker, entity: str) -> list[str]:
    return [
        str(item.get("value"))
        for item in (tracker.latest_message or {}).get("entities", [])
        if item.get("entity") == entity and item.get("value") is not None
    ]


def offer_human(dispatcher: CollectingDispatcher, text: str, reason: str) -> EventList:
    """Say `text` (which ends by offering a person) and remember the offer, so a plain "yes" hands over."""
    dispatcher.utter_message(text=text, buttons=messages.HUMAN_BUTTONS)
    return [SlotSet(HUMAN_OFFERED, True), SlotSet(HANDOFF_REASON, reason)]


def shop_unavailable(dispatcher: CollectingDispatcher, what: str) -> EventList:
    return offer_human(dispatcher, messages.unavailable(what), f"shop API unavailable while trying to {what}")


def clear(slots: Any) -> EventList:
    return [SlotSet(name, None) for name in slots]


KNOWLEDGE_ANSWER = "utter_knowledge_answer"
# Sent with the knowledge answer: the NLG (rasa_llm.KnowledgeAnswerNLG) leaves the message out when no
# passage passes its relevance check, instead of saying it does not know.
ONLY_IF_ANSWERED = "only_if_answered"
# A question mark, or a clause that opens like a question ("... is that covered", "what can i do"):
# customers who are upset rarely punctuate.
_ASKS = re.compile(
    r"\?|\b(?:is|are|was|does|do|did|can|could|will|would|should|what|how|why|when|where|which)"
    r"\s+(?:that|this|it|there|i|you|my|your|they|we)\b",
    re.IGNORECASE,
)


def asks_something(text: str) -> bool:
    """Whether a message asks a question besides venting (a heuristic for short chat messages)."""
    return bool(_ASKS.search(text))


def form_is_starting(tracker: Tracker, form: str) -> bool:
    """True on the form's first run: no user message since the form was activated. (Rasa already
    marks the form active when it validates at activation, so `active_loop` cannot tell.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == form:
            return True
    return True
