"""Validators and dynamic questions of the cancel, return and address-change forms.

Each form runs after `order_verification_form`. When the verified order cannot take the change (it has
shipped, the return window closed, ...), the validator says why as the form starts and ends it at
once, leaving the confirmation slot empty, so the submit action knows there is nothing to do.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import messages, normalize
from actions.common import (
    ADDRESS_CITY,
    ADDRESS_COUNTRY,
    ADDRESS_POSTAL_CODE,
    ADDRESS_STREET,
    CANCEL_REASON,
    EMAIL,
    NOT_AN_ANSWER,
    ORDER_ID,
    ORDER_STATUS,
    RETURN_ITEMS,
    RETURN_REASON,
    EventList,
    latest_entities,
    latest_intent,
    shop_unavailable,
)
from actions.shop_client import NotAllowed, NotFound, ShopClient, Unavailable

JsonObject = dict[str, Any]

# What a customer types to skip the optional cancel reason.
SKIP_REASON = {"no", "nope", "skip", "none", "n/a", "na", "-", "rather not say", "no reason", "prefer not to say"}
CANCEL_REASON_NOT_GIVEN = "not given"


def _is_starting(tracker: Tracker, form: str) -> bool:
    """True on the form's first run: no user message since the form was activated. (Rasa already
    marks the form active when it validates at activation, so `active_loop` cannot tell.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == form:
            return True
    return True


def _inform_product(name: str) -> str:
    """A button payload that skips NLU: intent inform with the product entity set to `name`."""
    return "/inform" + json.dumps({"product": name})


def _end_form() -> EventList:
    return [SlotSet(REQUESTED_SLOT, None)]


class ValidateCancelOrderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_order_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        status = tracker.get_slot(ORDER_STATUS)
        if _is_starting(tracker, self.form_name()) and status != "processing":
            dispatcher.utter_message(text=messages.cancel_blocked(tracker.get_slot(ORDER_ID), status))
            return _end_form()
        return await super().run(dispatcher, tracker, domain)

    def validate_cancel_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalize.free_text(value, normalize.MAX_REASON_CHARS)
        if latest_intent(tracker) == "deny" or (text or "").lower().strip(".! ") in SKIP_REASON:
            return {CANCEL_REASON: CANCEL_REASON_NOT_GIVEN}
        if text is None:
            dispatcher.utter_message(text=messages.BAD_REASON)
        return {CANCEL_REASON: text}


class ValidateAddressChangeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_address_change_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        status = tracker.get_slot(ORDER_STATUS)
        if _is_starting(tracker, self.form_name()) and status != "processing":
            dispatcher.utter_message(text=messages.address_blocked(tracker.get_slot(ORDER_ID), status))
            return _end_form()
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _checked(slot: str, value: str | None, complaint: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        if value is None:
            dispatcher.utter_message(text=complaint)
        return {slot: value}

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
        return self._checked(ADDRESS_POSTAL_CODE, normalize.postal_code(value), messages.BAD_POSTAL_CODE, dispatcher)

    def validate_address_country(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._checked(ADDRESS_COUNTRY, normalize.country(value), messages.BAD_COUNTRY, dispatcher)


class ValidateReturnForm(FormValidationAction):
    """Checks the order can be returned as the form starts, then matches what the customer names
    against the order's items (by catalogue name, a distinctive word of it, or "all")."""

    def name(self) -> str:
        return "validate_return_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        if _is_starting(tracker, self.form_name()):
            try:
                order = await ShopClient.from_env().lookup_order(tracker.get_slot(ORDER_ID), tracker.get_slot(EMAIL))
            except (NotFound, NotAllowed):
                dispatcher.utter_message(text=messages.ORDER_GONE.format(order_id=tracker.get_slot(ORDER_ID)))
                return _end_form()
            except Unavailable:
                return [*shop_unavailable(dispatcher, "start a return"), *_end_form()]
            blocker = messages.return_blocked(order, datetime.now(timezone.utc))
            if blocker:
                dispatcher.utter_message(text=blocker)
                return _end_form()
        return await super().run(dispatcher, tracker, domain)

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
        text = (tracker.latest_message or {}).get("text") or ""
        chosen = normalize.match_items(text, latest_entities(tracker, "product"), order.get("items") or [])
        if not chosen:
            dispatcher.utter_message(text=messages.NO_ITEMS_MATCHED.format(order_id=order_id))
            return {RETURN_ITEMS: None}
        return {
            RETURN_ITEMS: [
                {"sku": item["sku"], "name": item.get("name"), "quantity": item.get("quantity", 1)} for item in chosen
            ]
        }

    def validate_return_items(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Only extract_return_items fills this slot, with items of the verified order.
        return {RETURN_ITEMS: value or None}

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = normalize.free_text(value, normalize.MAX_REASON_CHARS)
        if text is None:
            dispatcher.utter_message(text=messages.BAD_REASON)
        return {RETURN_REASON: text}


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
        buttons = [{"title": item.get("name"), "payload": _inform_product(str(item.get("name")))} for item in items]
        if len(items) > 1:
            buttons.append({"title": "All of them", "payload": _inform_product("all")})
        dispatcher.utter_message(
            text=f"Which items from {order_id} would you like to return? It has: {messages.item_list(items)}.",
            buttons=buttons,
        )
        return []


class ActionAskReturnConfirmed(Action):
    def name(self) -> str:
        return "action_ask_return_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        dispatcher.utter_message(
            text=messages.return_question(
                tracker.get_slot(ORDER_ID), tracker.get_slot(RETURN_ITEMS) or [], tracker.get_slot(RETURN_REASON) or ""
            ),
            buttons=messages.CONFIRM_RETURN_BUTTONS,
        )
        return []
