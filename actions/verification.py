"""Order verification: the order id and the customer's email must name the same order in the shop.

Every order flow runs `order_verification_form` first. Its validator normalises what was typed and,
once both values are known, asks the shop API (`POST /v1/orders/{id}/lookup`). After a wrong pair the
order number is kept and only the email is asked again (a mistyped email is the usual cause; a customer
who got the number wrong types the right one, which replaces it whenever it is said). After
`MAX_ATTEMPTS` wrong pairs, two answers that are neither an order number nor an email, or when the shop
API cannot be reached, the form ends with `order_verified: false` and the customer is offered a person.

A request worded as a question about how orders work ("can i return socks i opened", "how do i get an
invoice") gets the knowledge base's answer before the order number is asked: the customer may only have
wanted to know, and one who wants the change goes on with the form.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import messages, normalize
from actions.common import (
    EMAIL,
    KNOWLEDGE_ANSWER,
    ONLY_IF_ANSWERED,
    ORDER_ID,
    ORDER_STATUS,
    ORDER_VERIFIED,
    VERIFICATION_ATTEMPTS,
    EventList,
    asks_something,
    form_is_starting,
    latest_entities,
    offer_human,
    shop_unavailable,
)
from actions.misunderstandings import OffersPersonWhenStuck
from actions.shop_client import NotAllowed, NotFound, ShopClient, Unavailable

MAX_ATTEMPTS = 3


def _said(tracker: Tracker) -> str:
    # Not the slot value: action_validate_slot_mappings has already emptied one that is no id or email.
    return (tracker.latest_message or {}).get("text") or ""


class ValidateOrderVerificationForm(OffersPersonWhenStuck, FormValidationAction):
    def name(self) -> str:
        return "validate_order_verification_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        if form_is_starting(tracker, self.form_name()) and asks_something(_said(tracker)):
            # The NLG sends nothing when no passage is relevant or the question needs the order's data.
            dispatcher.utter_message(response=KNOWLEDGE_ANSWER, **{ONLY_IF_ANSWERED: True})
        return await super().run(dispatcher, tracker, domain)

    def understood(self, values: dict[str, Any], domain: DomainDict) -> bool:
        # A pair the shop did not confirm was understood; it has its own limit (MAX_ATTEMPTS).
        return values.get(ORDER_VERIFIED) is False or super().understood(values, domain)

    def gave_up(self) -> EventList:
        return [SlotSet(ORDER_VERIFIED, False)]

    @staticmethod
    def _checked(
        slot: str, value: str | None, other_slot: str, complaint: str, dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        """`value` for `slot` (None when unusable); an unusable answer that says goodbye ends the form.

        The other half of the pair typed where this one was asked for is not a mistake worth a
        complaint.
        """
        answered_the_other = bool(latest_entities(tracker, other_slot))
        if value is None and not answered_the_other and normalize.is_sign_off(_said(tracker)):
            # The rules catch thanks and goodbyes by intent; this catches those the classifier was unsure of.
            dispatcher.utter_message(response="utter_stopped")
            return {slot: None, ORDER_VERIFIED: False, REQUESTED_SLOT: None}
        if value is None and not answered_the_other:
            dispatcher.utter_message(text=complaint)
        return {slot: value, ORDER_VERIFIED: None}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order_id = normalize.order_id(value)
        return self._checked(ORDER_ID, order_id, EMAIL, messages.BAD_ORDER_ID, dispatcher, tracker)

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = normalize.email(value)
        return self._checked(EMAIL, email, ORDER_ID, messages.BAD_EMAIL, dispatcher, tracker)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        # The base class has applied the validated values to `tracker.slots`.
        order_id, email = tracker.get_slot(ORDER_ID), tracker.get_slot(EMAIL)
        if not events or not order_id or not email:
            return events
        return events + await self._verify(order_id, email, dispatcher, tracker)

    async def _verify(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        try:
            order = await ShopClient.from_env().lookup_order(order_id, email)
        except (NotFound, NotAllowed):
            return self._wrong_pair(dispatcher, tracker)
        except Unavailable:
            return [
                *shop_unavailable(dispatcher, "look up your order"),
                SlotSet(ORDER_VERIFIED, False),
                SlotSet(VERIFICATION_ATTEMPTS, 0),
                SlotSet(REQUESTED_SLOT, None),  # ends the form
            ]
        return [
            SlotSet(ORDER_VERIFIED, True),
            SlotSet(ORDER_STATUS, order.get("status")),
            SlotSet(VERIFICATION_ATTEMPTS, 0),
        ]

    @staticmethod
    def _wrong_pair(dispatcher: CollectingDispatcher, tracker: Tracker) -> EventList:
        attempts = int(tracker.get_slot(VERIFICATION_ATTEMPTS) or 0) + 1
        cleared = [SlotSet(EMAIL, None), SlotSet(ORDER_VERIFIED, False)]
        if attempts < MAX_ATTEMPTS:
            dispatcher.utter_message(text=messages.ORDER_NOT_FOUND)
            return [*cleared, SlotSet(VERIFICATION_ATTEMPTS, attempts)]
        return [
            *cleared,
            SlotSet(ORDER_ID, None),
            *offer_human(dispatcher, messages.VERIFICATION_GAVE_UP, "order verification failed three times"),
            SlotSet(VERIFICATION_ATTEMPTS, 0),
            SlotSet(REQUESTED_SLOT, None),  # ends the form
        ]
