"""Validators and dynamic questions of the cancel, return and address-change forms.

Each form runs after `order_verification_form`. When the verified order cannot take the change (it has
shipped, the return window closed, ...), the validator says why as the form starts and ends it at
once, leaving the confirmation slot empty, so the submit action knows there is nothing to do. Ending
a form early that way is also how it hands over to a person after two answers it could not use
(actions.misunderstandings), and how it drops everything for another order number said mid-form.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import messages, normalize
from actions.common import (
    ADDRESS_CITY,
    ADDRESS_CONFIRMED,
    ADDRESS_COUNTRY,
    ADDRESS_POSTAL_CODE,
    ADDRESS_SLOTS,
    ADDRESS_STREET,
    CANCEL_CONFIRMED,
    CANCEL_REASON,
    CANCEL_SLOTS,
    EMAIL,
    NOT_AN_ANSWER,
    ORDER_ID,
    ORDER_STATUS,
    ORDER_VERIFIED,
    RETURN_CONFIRMED,
    RETURN_ITEMS,
    RETURN_REASON,
    RETURN_SLOTS,
    EventList,
    clear,
    form_is_starting,
    latest_entities,
    latest_intent,
    shop_unavailable,
)
from actions.misunderstandings import OffersPersonWhenStuck
from actions.shop_client import NotAllowed, NotFound, ShopClient, Unavailable

JsonObject = dict[str, Any]

# What a customer types to skip the optional cancel reason.
SKIP_REASON = {
    "no",
    "nope",
    "skip",
    "none",
    "n/a",
    "na",
    "-",
    "rather not say",
    "no reason",
    "prefer not to say",
}
CANCEL_REASON_NOT_GIVEN = "not given"


def _inform_product(name: str) -> str:
    """A button payload that skips NLU: intent inform with the product entity set to `name`."""
    return "/inform" + json.dumps({"product": name})


def _end_form() -> EventList:
    return [SlotSet(REQUESTED_SLOT, None)]


def _stops_with_never_mind(
    slot: str, text: str | None, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict:
    """For the free-text reasons, where "I changed my mind" is an answer: "never mind" drops the form
    (with `utter_stopped`, as the stop rule says it); an empty dict when the answer is a reason."""
    if latest_intent(tracker) != "stop" or not normalize.is_never_mind(text):
        return {}
    dispatcher.utter_message(response="utter_stopped")
    return {slot: None, REQUESTED_SLOT: None}


def _request_text(tracker: Tracker, intent: str) -> tuple[str, list[str]]:
    """The text and product entities of the customer's latest message with `intent` (the request
    that led to this form: "I want to return the tent I bought")."""
    for event in reversed(tracker.events):
        parse = event.get("parse_data") or {}
        if event.get("event") == "user" and (parse.get("intent") or {}).get("name") == intent:
            products = [
                str(e.get("value")) for e in parse.get("entities") or [] if e.get("entity") == "product"
            ]
            return event.get("text") or "", products
    return "", []


def _confirmation(slot: str, value: Any, tracker: Tracker) -> dict[str, Any]:
    """A yes-or-no slot: the request repeated ("yes please cancel it") is a yes, unless it says no."""
    if value is True and latest_intent(tracker) != "affirm":
        return {slot: not normalize.says_no((tracker.latest_message or {}).get("text"))}
    return {slot: value}


class OrderChangeForm(OffersPersonWhenStuck, FormValidationAction):
    """Base of the forms that change a verified order.

    As the form starts, answers left behind by an earlier unfinished run of it (ended by "stop" or
    "bye") are dropped and `on_start` may end it (the change is not allowed). Later, an order number
    said mid-form ("no wait, it's ORD-10008") drops this form and verifies that order with the same
    email; the request's rule starts the form again on it once it is verified.
    """

    form_slots: tuple[str, ...] = ()

    async def on_start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> EventList:
        """Events as the form starts; ending it (`_end_form`) means the change cannot be made."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        if form_is_starting(tracker, self.form_name()):
            stale = [slot for slot in self.form_slots if tracker.get_slot(slot) is not None]
            for slot in stale:
                tracker.slots[slot] = None
            events = [*clear(stale), *await self.on_start(dispatcher, tracker)]
            if any(event.get("name") == REQUESTED_SLOT for event in events):
                return events
            return events + await super().run(dispatcher, tracker, domain)
        other_order = normalize.explicit_order_id((tracker.latest_message or {}).get("text"))
        if other_order and other_order != tracker.get_slot(ORDER_ID):
            dispatcher.utter_message(text=messages.switching_order(other_order))
            return [
                *clear(self.form_slots),
                SlotSet(ORDER_ID, other_order),
                SlotSet(ORDER_VERIFIED, None),
                *_end_form(),
                FollowupAction("order_verification_form"),
            ]
        return await super().run(dispatcher, tracker, domain)


class ValidateCancelOrderForm(OrderChangeForm):
    form_slots = CANCEL_SLOTS

    def name(self) -> str:
        return "validate_cancel_order_form"

    async def on_start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> EventList:
        status = tracker.get_slot(ORDER_STATUS)
        if status != "processing":
            dispatcher.utter_message(text=messages.cancel_blocked(tracker.get_slot(ORDER_ID), status))
            return _end_form()
        return []

    def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _confirmation(CANCEL_CONFIRMED, value, tracker)

    def validate_cancel_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalize.free_text(value, normalize.MAX_REASON_CHARS)
        stopped = _stops_with_never_mind(CANCEL_REASON, text, dispatcher, tracker)
        if stopped:
            return stopped
        if latest_intent(tracker) == "deny" or (text or "").lower().strip(".! ") in SKIP_REASON:
            return {CANCEL_REASON: CANCEL_REASON_NOT_GIVEN}
        if text is None:
            dispatcher.utter_message(text=messages.BAD_REASON)
        return {CANCEL_REASON: text}


class ValidateAddressChangeForm(OrderChangeForm):
    form_slots = ADDRESS_SLOTS

    def name(self) -> str:
        return "validate_address_change_form"

    async def on_start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> EventList:
        status = tracker.get_slot(ORDER_STATUS)
        if status != "processing":
            dispatcher.utter_message(text=messages.address_blocked(tracker.get_slot(ORDER_ID), status))
            return _end_form()
        return []

    @staticmethod
    def _checked(
        slot: str, value: str | None, complaint: str, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if value is None:
            dispatcher.utter_message(text=complaint)
        return {slot: value}

    def validate_address_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _confirmation(ADDRESS_CONFIRMED, value, tracker)

    def validate_address_street(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked(ADDRESS_STREET, normalize.street(value), messages.BAD_STREET, dispatcher)

    def validate_address_city(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked(ADDRESS_CITY, normalize.city(value), messages.BAD_CITY, dispatcher)

    def validate_address_postal_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked(
            ADDRESS_POSTAL_CODE, normalize.postal_code(value), messages.BAD_POSTAL_CODE, dispatcher
        )

    def validate_address_country(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked(ADDRESS_COUNTRY, normalize.country(value), messages.BAD_COUNTRY, dispatcher)


class ValidateReturnForm(OrderChangeForm):
    """Checks the order can be returned as the form starts, then matches what the customer names
    against the order's items (by catalogue name, a distinctive word of it, "all", "all except ..."),
    saying so when they name something the order does not have or a colour. An answer that names no
    item but reads as a reason ("it's too small") is kept as the reason."""

    form_slots = RETURN_SLOTS

    def name(self) -> str:
        return "validate_return_form"

    async def on_start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> EventList:
        try:
            order = await ShopClient.from_env().lookup_order(
                tracker.get_slot(ORDER_ID), tracker.get_slot(EMAIL)
            )
        except (NotFound, NotAllowed):
            dispatcher.utter_message(text=messages.ORDER_GONE.format(order_id=tracker.get_slot(ORDER_ID)))
            return _end_form()
        except Unavailable:
            return [*shop_unavailable(dispatcher, "start a return"), *_end_form()]
        blocker = messages.return_blocked(order, datetime.now(timezone.utc))
        if blocker:
            dispatcher.utter_message(text=blocker)
            return _end_form()
        # The request may have named the item already ("return the tee"), or one the order lacks.
        items: list[JsonObject] = order.get("items") or []
        text, products = _request_text(tracker, "return_item")
        chosen = normalize.match_items(text, products, items) if text else []
        if chosen:
            tracker.slots[RETURN_ITEMS] = _return_lines(chosen)
            return [SlotSet(RETURN_ITEMS, tracker.slots[RETURN_ITEMS])]
        missing = normalize.kinds_not_on_order(text, items)
        if missing:
            dispatcher.utter_message(text=messages.not_on_order(missing, order["order_id"]))
        return []

    async def extract_return_items(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != RETURN_ITEMS or latest_intent(tracker) in NOT_AN_ANSWER:
            return {}
        order_id = tracker.get_slot(ORDER_ID)
        try:
            order = await ShopClient.from_env().lookup_order(order_id, tracker.get_slot(EMAIL))
        except (NotFound, NotAllowed, Unavailable):
            # The item question is asked again; the submit action reports a lasting outage.
            return {}
        items: list[JsonObject] = order.get("items") or []
        text = (tracker.latest_message or {}).get("text") or ""
        chosen = normalize.match_items(text, latest_entities(tracker, "product"), items)
        if chosen:
            return {RETURN_ITEMS: _return_lines(chosen)}
        missing = normalize.kinds_not_on_order(text, items)
        if missing:
            dispatcher.utter_message(text=messages.not_on_order(missing, order_id))
        elif normalize.names_a_colour(text):
            dispatcher.utter_message(text=messages.NO_COLOURS)
        elif (
            tracker.get_slot(RETURN_REASON) is None
            and latest_intent(tracker) not in ("affirm", "deny")
            and normalize.sounds_like_a_reason(text)
        ):
            # With one item there is nothing left to ask; otherwise the item question comes again.
            return {RETURN_ITEMS: _return_lines(items) if len(items) == 1 else None, RETURN_REASON: text}
        else:
            dispatcher.utter_message(text=messages.NO_ITEMS_MATCHED.format(order_id=order_id))
        return {RETURN_ITEMS: None}

    def validate_return_items(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Only extract_return_items and on_start fill this slot, with items of the verified order.
        return {RETURN_ITEMS: value or None}

    def validate_return_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _confirmation(RETURN_CONFIRMED, value, tracker)

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalize.free_text(value, normalize.MAX_REASON_CHARS)
        stopped = _stops_with_never_mind(RETURN_REASON, text, dispatcher, tracker)
        if stopped:
            return stopped
        if text is None:
            dispatcher.utter_message(text=messages.BAD_REASON)
        return {RETURN_REASON: text}


def _return_lines(items: list[JsonObject]) -> list[JsonObject]:
    return [
        {"sku": item["sku"], "name": item.get("name"), "quantity": item.get("quantity", 1)} for item in items
    ]


class ActionAskReturnItems(Action):
    """Asks which items to return, with one button per item of the order and one for all of them."""

    def name(self) -> str:
        return "action_ask_return_items"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        order_id = tracker.get_slot(ORDER_ID)
        try:
            order = await ShopClient.from_env().lookup_order(order_id, tracker.get_slot(EMAIL))
        except (NotFound, NotAllowed, Unavailable):
            dispatcher.utter_message(text=f"Which items from {order_id} would you like to return?")
            return []
        items: list[JsonObject] = order.get("items") or []
        buttons = [
            {"title": item.get("name"), "payload": _inform_product(str(item.get("name")))} for item in items
        ]
        if len(items) > 1:
            buttons.append({"title": "All of them", "payload": _inform_product("all")})
        question = (
            f"Which item is that about? {order_id} has: "
            if tracker.get_slot(RETURN_REASON)
            else f"Which items from {order_id} would you like to return? It has: "
        )
        dispatcher.utter_message(text=f"{question}{messages.item_list(items)}.", buttons=buttons)
        return []


class ActionAskReturnConfirmed(Action):
    def name(self) -> str:
        return "action_ask_return_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        dispatcher.utter_message(
            text=messages.return_question(
                tracker.get_slot(ORDER_ID),
                tracker.get_slot(RETURN_ITEMS) or [],
                tracker.get_slot(RETURN_REASON) or "",
            ),
            buttons=messages.CONFIRM_RETURN_BUTTONS,
        )
        return []
