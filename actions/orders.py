"""The actions that answer or change an order once `order_verification_form` has verified it.

Each is thin: read the slots, make one shop API call (two for the address change, which keeps the
name on the current address), put the outcome in words. Each acts only on a verified order: the
rules run them after verification, and the check here keeps a stray prediction harmless.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
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
    ORDER_ID,
    ORDER_STATUS,
    ORDER_VERIFIED,
    REFUND_STATUS,
    RETURN_CONFIRMED,
    RETURN_ID,
    RETURN_ITEMS,
    RETURN_REASON,
    RETURN_SLOTS,
    EventList,
    clear,
    offer_human,
    shop_unavailable,
)
from actions.forms import CANCEL_REASON_NOT_GIVEN
from actions.shop_client import NotAllowed, NotFound, ReturnLine, ShopClient, Unavailable
from rasa_llm.shared.privacy import shorten_emails


class VerifiedOrderAction(Action, ABC):
    """Base of the order actions: hands `act` a verified (order id, email) pair, and puts the shop
    API's refusals and outages in words."""

    # What the customer wanted, for the apology when the shop API is unavailable.
    task = "do that"
    # The slots of this action's form, emptied afterwards so the next request starts afresh.
    form_slots: tuple[str, ...] = ()

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        order_id, email = tracker.get_slot(ORDER_ID), tracker.get_slot(EMAIL)
        if not (tracker.get_slot(ORDER_VERIFIED) and order_id and email):
            # The verification form already told the customer why (and offered a person).
            return clear(self.form_slots)
        try:
            events = await self.act(order_id, email, dispatcher, tracker)
        except NotFound:
            dispatcher.utter_message(text=messages.ORDER_GONE.format(order_id=order_id))
            events = [SlotSet(ORDER_VERIFIED, False)]
        except NotAllowed as refusal:
            dispatcher.utter_message(text=messages.not_allowed(order_id, refusal.code, refusal.message))
            events = []
        except Unavailable:
            events = shop_unavailable(dispatcher, self.task)
        return events + clear(self.form_slots)

    @abstractmethod
    async def act(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        """Do the action's one job on the verified order; shop API errors are handled by `run`."""


class ActionTrackOrder(VerifiedOrderAction):
    task = "track your order"

    def name(self) -> str:
        return "action_track_order"

    async def act(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        doc = await ShopClient.from_env().tracking(order_id, email)
        dispatcher.utter_message(text=messages.tracking(doc))
        return [SlotSet(ORDER_STATUS, doc.get("status"))]


class ConfirmedOrderChange(VerifiedOrderAction, ABC):
    """An order change its form asked the customer to confirm: made after a "yes", dropped with a
    word after a "no". An empty confirmation means the form ended early (the change is not allowed)
    and its validator already said why."""

    # The form's yes/no slot, and what to say after a "no" ({order_id} is filled in).
    confirmation_slot = ""
    declined_text = ""

    async def act(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        confirmed = tracker.get_slot(self.confirmation_slot)
        if confirmed is None:
            return []
        if confirmed is False:
            dispatcher.utter_message(text=self.declined_text.format(order_id=order_id))
            return []
        return await self.change(order_id, email, dispatcher, tracker)

    @abstractmethod
    async def change(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        """Make the confirmed change; shop API errors are handled by `run`."""


class ActionCancelOrder(ConfirmedOrderChange):
    task = "cancel your order"
    form_slots = CANCEL_SLOTS
    confirmation_slot = CANCEL_CONFIRMED
    declined_text = messages.CANCEL_DECLINED

    def name(self) -> str:
        return "action_cancel_order"

    async def change(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        reason = tracker.get_slot(CANCEL_REASON)
        order = await ShopClient.from_env().cancel_order(
            order_id, email, None if reason == CANCEL_REASON_NOT_GIVEN else reason
        )
        dispatcher.utter_message(text=messages.cancelled(order))
        return [SlotSet(ORDER_STATUS, order.get("status"))]


class ActionChangeAddress(ConfirmedOrderChange):
    task = "change the address"
    form_slots = ADDRESS_SLOTS
    confirmation_slot = ADDRESS_CONFIRMED
    declined_text = messages.ADDRESS_DECLINED

    def name(self) -> str:
        return "action_change_address"

    async def change(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        client = ShopClient.from_env()
        current = (await client.lookup_order(order_id, email)).get("shipping_address") or {}
        address = {
            "name": current.get("name"),
            "line1": tracker.get_slot(ADDRESS_STREET),
            "city": tracker.get_slot(ADDRESS_CITY),
            "postal_code": tracker.get_slot(ADDRESS_POSTAL_CODE),
            "country": tracker.get_slot(ADDRESS_COUNTRY),
        }
        order = await client.change_shipping_address(order_id, email, address)
        dispatcher.utter_message(text=messages.address_changed(order))
        return []


def return_idempotency_key(conversation_id: str, order_id: str, items: list[dict[str, Any]]) -> str:
    """The same conversation returning the same items of the same order always sends the same key,
    so a retried action (a timeout, a redelivered request) finds the first return instead of a second."""
    lines = ",".join(sorted(f"{item['sku']}x{item['quantity']}" for item in items))
    digest = hashlib.sha256(f"{conversation_id}|{order_id}|{lines}".encode()).hexdigest()
    return f"bot-return-{digest[:40]}"


class ActionCreateReturn(ConfirmedOrderChange):
    task = "start your return"
    form_slots = RETURN_SLOTS
    confirmation_slot = RETURN_CONFIRMED
    declined_text = messages.RETURN_DECLINED

    def name(self) -> str:
        return "action_create_return"

    async def change(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        items: list[dict[str, Any]] = tracker.get_slot(RETURN_ITEMS) or []
        doc = await ShopClient.from_env().create_return(
            order_id,
            email,
            [ReturnLine(str(item["sku"]), int(item["quantity"])) for item in items],
            tracker.get_slot(RETURN_REASON) or "",
            return_idempotency_key(tracker.sender_id, order_id, items),
        )
        dispatcher.utter_message(text=messages.return_created(doc))
        return [SlotSet(RETURN_ID, doc.get("return_id"))]


def _refund_status_told(tracker: Tracker, order_id: str) -> bool:
    """Whether this conversation was already given the refund status of `order_id`."""
    current, told = None, set()
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == ORDER_ID:
            current = event.get("value")
        elif event.get("event") == "action" and event.get("name") == ActionRefundStatus.NAME:
            told.add(current)
    return order_id in told


class ActionRefundStatus(VerifiedOrderAction):
    """Refunds of the order; with none yet, the progress of a return started in this conversation.
    Asked again ("and when will the money arrive?"), it says when, not the whole status again."""

    NAME = "action_refund_status"
    task = "check your refund"

    def name(self) -> str:
        return self.NAME

    async def act(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        client = ShopClient.from_env()
        refunds = (await client.refunds(order_id, email)).get("refunds") or []
        if _refund_status_told(tracker, order_id):
            dispatcher.utter_message(
                text=messages.refund_timing(order_id, tracker.get_slot(REFUND_STATUS), refunds)
            )
            return []
        if refunds:
            dispatcher.utter_message(text=messages.refunds(order_id, refunds))
            return [SlotSet(REFUND_STATUS, refunds[-1].get("status"))]
        return_id: str | None = tracker.get_slot(RETURN_ID)
        if return_id:
            doc = await client.lookup_return(return_id, email)
            if doc.get("order_id") == order_id:
                dispatcher.utter_message(text=messages.return_progress(doc))
                return [SlotSet(REFUND_STATUS, "none")]
        dispatcher.utter_message(text=messages.no_refund(order_id))
        return [SlotSet(REFUND_STATUS, "none")]


class ActionResendInvoice(VerifiedOrderAction):
    """The shop API has no invoice endpoint: say where the invoice went and offer a person to re-send it."""

    task = "find your invoice"

    def name(self) -> str:
        return "action_resend_invoice"

    async def act(
        self, order_id: str, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> EventList:
        order = await ShopClient.from_env().lookup_order(order_id, email)
        text = messages.invoice(order, shorten_emails(email))
        if order.get("status") == "processing":
            dispatcher.utter_message(text=text)
            return []
        return offer_human(dispatcher, text, f"re-send the invoice of {order_id}")
