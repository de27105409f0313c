"""Handing over to a person, acknowledging frustration, and the bookkeeping every turn needs."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, ValidationAction
from rasa_sdk.types import DomainDict

from actions import messages, normalize
from actions.common import (
    EMAIL,
    HANDOFF_REASON,
    HUMAN_OFFERED,
    KNOWLEDGE_ANSWER,
    ONLY_IF_ANSWERED,
    ORDER_ID,
    SENTIMENT,
    EventList,
    asks_something,
    latest_intent,
    offer_human,
)
from actions.shop_client import ShopApiError, ShopClient

JsonObject = dict[str, Any]

# The shop API keeps 100 messages and refuses bodies over 64 KiB; stay well inside both.
MAX_TRANSCRIPT_MESSAGES = 100
MAX_MESSAGE_CHARS = 1000
MAX_TRANSCRIPT_BYTES = 48 * 1024

ASKED_FOR_A_PERSON = "customer asked for a person"
# Intents that keep an offer of a person open: a "yes", or the offer's own button.
ACCEPTS_OFFER = frozenset({"affirm", "contact_human_agent"})
# Intents whose own response already apologises or hands over.
ACKNOWLEDGES_FEELINGS = frozenset({"complaint", "contact_human_agent"})
def build_transcript(events: Sequence[JsonObject]) -> list[JsonObject]:
    """The conversation's user and bot messages, newest last, trimmed to what the shop API accepts."""
    transcript = [
        {
            "sender": event["event"],
            "text": (event.get("text") or "")[:MAX_MESSAGE_CHARS],
            "timestamp": event.get("timestamp"),
        }
        for event in events
        if event.get("event") in ("user", "bot")
    ][-MAX_TRANSCRIPT_MESSAGES:]
    while transcript and len(json.dumps(transcript).encode("utf-8")) > MAX_TRANSCRIPT_BYTES:
        transcript.pop(0)
    return transcript


class ActionHandoff(Action):
    """Records the handoff with the transcript in the shop API, tells the customer, pauses the bot."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        offered_for: str | None = (
            tracker.get_slot(HANDOFF_REASON) if tracker.get_slot(HUMAN_OFFERED) else None
        )
        reason = f"accepted the offer of a person ({offered_for})" if offered_for else ASKED_FOR_A_PERSON
        # A person takes over from here: no form may keep asking its questions.
        closing = [
            SlotSet(HUMAN_OFFERED, None),
            SlotSet(HANDOFF_REASON, None),
            ActiveLoop(None),
            SlotSet(REQUESTED_SLOT, None),
        ]
        try:
            handoff = await ShopClient.from_env().create_handoff(
                tracker.sender_id, reason, build_transcript(tracker.events)
            )
        except ShopApiError:
            dispatcher.utter_message(text=messages.HANDOFF_FAILED)
            return closing
        handoff_id = str(handoff.get("handoff_id"))
        # The web chat shows its "a person takes over" notice on this payload (bot/webchat/chat.js).
        dispatcher.utter_message(
            text=messages.handed_over(handoff_id), json_message={"handoff": True, "handoff_id": handoff_id}
        )
        return [*closing, ConversationPaused()]


class ActionAcknowledgeFrustration(Action):
    """A complaint gets an apology and the offer of a person; one that asks something also gets the
    answer, between the two, so the apology never stands in for it.

    The answer is the knowledge base's (`utter_knowledge_answer`, rendered by Rasa's NLG from this
    message's retrieved passages): "the zipper broke after 3 months, is that covered" is answered
    by the warranty passage. A complaint that asks nothing gets the passage only when one is about
    it ("my parcel was stolen", "I got the wrong item": what the shop does in that case), and no
    "I don't know" when none is.
    """

    def name(self) -> str:
        return "action_acknowledge_frustration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        dispatcher.utter_message(text=messages.COMPLAINT_APOLOGY)
        if asks_something(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response=KNOWLEDGE_ANSWER)
        else:
            dispatcher.utter_message(response=KNOWLEDGE_ANSWER, **{ONLY_IF_ANSWERED: True})
        return [*offer_human(dispatcher, messages.COMPLAINT_OFFER, "complaint"), SlotSet(SENTIMENT, None)]


def _offered_this_turn(tracker: Tracker) -> bool:
    """Whether a person was offered after the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == HUMAN_OFFERED and event.get("value"):
            return True
    return False


class ValidateEveryTurn(ValidationAction):
    """Rasa runs this (`action_validate_slot_mappings`) after every user message, before any policy
    predicts: the one place that sees each turn whatever its intent.

    - A clearly negative message (the `sentiment` entity of rasa_llm's classifier) is acknowledged
      with an apology and the offer of a person, whatever the customer asked for, and the slot is
      emptied at once, so it never colours a later turn.
    - An offer of a person stays open for one turn only: unless that turn accepts it, it is withdrawn,
      so a later "yes" (to something else) does not hand the conversation over.
    - Order ids and emails are normalised whenever they are extracted (ORD-10003, lower-case email):
      Rasa extracts slots again when a form starts, and a verified id must not turn back into the raw
      "ord 10003" that was typed. Saying what is wrong with them is left to the verification form.
    """

    def domain_slots(self, domain: DomainDict) -> list[str]:
        # order_id and email also have form-only mappings, which hide them from the base class.
        return [*super().domain_slots(domain), ORDER_ID, EMAIL]

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [SENTIMENT, ORDER_ID, EMAIL]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        offer_was_open = bool(tracker.get_slot(HUMAN_OFFERED))
        events = await super().run(dispatcher, tracker, domain)
        renewed = any(event.get("name") == HUMAN_OFFERED for event in events)
        # Rasa validates again when a form starts in the same turn: an offer made earlier in this
        # turn (an upset "where is my order") must survive that second pass.
        if (
            offer_was_open
            and not renewed
            and not _offered_this_turn(tracker)
            and latest_intent(tracker) not in ACCEPTS_OFFER
        ):
            events.append(SlotSet(HUMAN_OFFERED, None))
        return events

    def validate_sentiment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if (
            value != "negative"
            or latest_intent(tracker) in ACKNOWLEDGES_FEELINGS
            or tracker.get_slot(HUMAN_OFFERED)
        ):
            return {SENTIMENT: None}
        # No buttons: the customer's request goes on right after this, and may ask its own question.
        dispatcher.utter_message(text=messages.NEGATIVE_SENTIMENT)
        return {SENTIMENT: None, HUMAN_OFFERED: True, HANDOFF_REASON: "customer sounded frustrated"}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {ORDER_ID: normalize.order_id(value)}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {EMAIL: normalize.email(value)}
