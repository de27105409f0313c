"""What the custom actions say. Texts whose content depends on shop data are built here; the fixed
texts the rules send are responses in domain.yml.

Keep them short and friendly, and never put a stack trace, an error code or an internal detail in
front of the customer.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

JsonObject = dict[str, Any]

HUMAN_BUTTONS: list[dict[str, str]] = [
    {"title": "Talk to a person", "payload": "/contact_human_agent"},
    {"title": "No, thanks", "payload": "/deny"},
]
CONFIRM_RETURN_BUTTONS: list[dict[str, str]] = [
    {"title": "Yes, start the return", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
]

SUPPORT_HOURS = "Mon-Fri 8 am-8 pm ET and Sat 10 am-4 pm ET"

# --- verification ----------------------------------------------------------------------------------
BAD_ORDER_ID = (
    "That doesn't look like an order number. It's in your confirmation email and looks like ORD-10003."
)
BAD_EMAIL = "That doesn't look like an email address. Could you type it again, like name@example.com?"
ORDER_NOT_FOUND = (
    "I couldn't find an order with that number and email. Could you check the email address? "
    "If the order number was wrong instead, just type the right one."
)
ORDER_GONE = "I couldn't look up {order_id} just now. Please try again in a moment."
VERIFICATION_GAVE_UP = (
    "I couldn't find an order with that number and email, so I'll stop asking for now. "
    "A person from our team can look it up with you. Would you like me to connect you?"
)


def unavailable(what: str) -> str:
    """The apology for an unreachable or failing shop API; `what` is the task, e.g. 'track your order'."""
    return (
        f"I'm sorry, I can't reach our order system right now, so I can't {what} at the moment. "
        "Would you like me to connect you with a person from our team?"
    )


# --- frustration and people ------------------------------------------------------------------------
NEGATIVE_SENTIMENT = (
    "I'm sorry this has been frustrating. I'll do my best to sort it out, and if you'd rather talk to a "
    "person at any point, just say so."
)
COMPLAINT_APOLOGY = "I'm really sorry about that, it's not the experience we want you to have."
COMPLAINT_OFFER = "Would you like me to pass this to a person from our team so they can put it right?"
COMPLAINT = f"{COMPLAINT_APOLOGY} {COMPLAINT_OFFER}"


def handed_over(handoff_id: str) -> str:
    return (
        f"I've passed our conversation to a person from our team (reference {handoff_id}). "
        f"They'll reply right here; our agents are available {SUPPORT_HOURS}."
    )


HANDOFF_FAILED = (
    "I'm sorry, I couldn't reach our support team just now. Please try again in a few minutes; "
    f"our agents are available {SUPPORT_HOURS}."
)

# --- order states ----------------------------------------------------------------------------------


def format_date(value: str | None) -> str | None:
    """An ISO timestamp as 'Mon, Nov 24'; None stays None and garbage is shown as given."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return f"{moment:%a, %b} {moment.day}"


def money(amount: Any, currency: str = "USD") -> str:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return str(amount)
    return f"${value:,.2f}" if currency == "USD" else f"{value:,.2f} {currency}"


def tracking(doc: Mapping[str, Any]) -> str:
    order_id, status = doc.get("order_id"), doc.get("status")
    eta = format_date(doc.get("estimated_delivery"))
    events = doc.get("events") or []
    latest = events[-1] if events else None
    if status == "processing":
        text = f"{order_id} is being packed and hasn't shipped yet."
        return f"{text} Estimated delivery: {eta}." if eta else text
    if status == "shipped":
        text = f"{order_id} is on its way with {doc.get('carrier') or 'our carrier'}"
        if doc.get("tracking_number"):
            text += f" (tracking number {doc['tracking_number']})"
        text += "."
        if eta:
            text += f" Expected delivery: {eta}."
        if latest:
            text += f" Latest update ({format_date(latest.get('time'))}): {latest.get('description')}."
        return text
    if status == "delivered":
        when = format_date(latest.get("time")) if latest else None
        return f"{order_id} was delivered{f' on {when}' if when else ''}. I hope you enjoy it!"
    if status == "cancelled":
        return f"{order_id} was cancelled, so it won't be shipped."
    if status == "returned":
        return f"{order_id} was returned to us."
    return f"The status of {order_id} is: {status}."


def cancel_blocked(order_id: str, status: str | None) -> str:
    if status == "cancelled":
        return f"{order_id} is already cancelled, so there's nothing more to do."
    if status == "returned":
        return f"{order_id} has already been returned, so it can't be cancelled."
    return (
        f"{order_id} has already {'been delivered' if status == 'delivered' else 'shipped'}, so it can't be "
        "cancelled any more. Once it arrives you can return it within 30 days of delivery for a refund."
    )


def address_blocked(order_id: str, status: str | None) -> str:
    if status == "cancelled":
        return f"{order_id} was cancelled, so there's no shipping address to change."
    return f"{order_id} has already shipped, so its shipping address can't be changed any more."


def return_blocked(order: Mapping[str, Any], now: datetime) -> str | None:
    """Why the order cannot be returned now, or None when it can (the shop API still has the last word)."""
    order_id, status = order.get("order_id"), order.get("status")
    if status == "returned":
        return f"{order_id} has already been returned."
    if status == "cancelled":
        return (
            f"{order_id} was cancelled, so there's nothing to return; its refund was issued when it was "
            "cancelled."
        )
    if status != "delivered":
        return f"{order_id} hasn't been delivered yet. Once it arrives you can return items within 30 days."
    deadline = order.get("return_deadline")
    if deadline:
        try:
            closes = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
        except ValueError:
            return None
        if closes < now:
            return (
                f"The 30-day return window for {order_id} closed on {format_date(deadline)}, so it can't be "
                "returned any more."
            )
    return None


def not_allowed(order_id: str, code: str, message: str) -> str:
    """A refusal of the shop API in words; its own sentence is already written for people."""
    # Validation messages start with the field at fault ("items[0].sku: ..."); the customer needs the rest.
    sentence = message.split(": ", 1)[1] if code.startswith("invalid_") and ": " in message else message
    return f"I couldn't do that for {order_id}: {sentence}"


# --- outcomes --------------------------------------------------------------------------------------


def cancelled(order: Mapping[str, Any]) -> str:
    refund = order.get("refund") or {}
    text = f"Done: {order.get('order_id')} is cancelled."
    if refund:
        text += (
            f" Your refund of {money(refund.get('amount'), refund.get('currency', 'USD'))} "
            f"({refund.get('refund_id')}) is on its way to your original payment method; "
            "your bank may take up to 5 business days to show it."
        )
    return text


def address_changed(order: Mapping[str, Any]) -> str:
    address = order.get("shipping_address") or {}
    parts = [address.get("line1"), address.get("city"), address.get("postal_code"), address.get("country")]
    return f"Done: {order.get('order_id')} will now ship to {', '.join(str(p) for p in parts if p)}."


def item_list(items: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(f"{item.get('quantity', 1)} x {item.get('name')}" for item in items)


def return_question(order_id: str, items: Sequence[Mapping[str, Any]], reason: str) -> str:
    return (
        f"To confirm: return {item_list(items)} from {order_id} (reason: {reason})? "
        "You'll get a free prepaid return label."
    )


def return_created(doc: Mapping[str, Any]) -> str:
    return (
        f"Your return {doc.get('return_id')} is set up for {item_list(doc.get('items') or [])}. "
        f"Print your prepaid label here: {doc.get('label_url')} . Your refund goes to your original payment "
        "method 5-7 business days after the parcel reaches our warehouse."
    )


CANCEL_DECLINED = "Okay, I haven't cancelled anything; {order_id} stays as it is."
RETURN_DECLINED = "Okay, I haven't started a return for {order_id}."
ADDRESS_DECLINED = "Okay, the shipping address of {order_id} stays as it is."
NO_ITEMS_MATCHED = "I couldn't match that to an item on {order_id}."
NO_COLOURS = "I can't see colours on the order from here, so please pick the item by its name."
# The customer's own answer could not be understood twice in a row: no third time the same question.
STILL_NOT_UNDERSTOOD = (
    "Sorry, I'm still not getting it, and I'd rather not ask you the same thing again. "
    "Would you like me to connect you with a person from our team?"
)
BAD_REASON = "Could you give the reason in a sentence or two (at most 500 characters)?"
BAD_STREET = (
    "That doesn't look like a street address. Please give the street and house number, e.g. 12 Pine Road."
)
BAD_CITY = "That doesn't look like a city name. Which city should it go to?"
BAD_POSTAL_CODE = "That doesn't look like a postal code. Could you check it?"
BAD_COUNTRY = "I didn't catch the country. Could you type its name, e.g. United States?"


def refunds(order_id: str, refund_docs: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for refund in refund_docs:
        amount = money(refund.get("amount"), refund.get("currency", "USD"))
        if refund.get("status") == "completed":
            lines.append(
                f"{refund.get('refund_id')}: {amount}, completed on "
                f"{format_date(refund.get('completed_at'))}."
            )
        else:
            lines.append(
                f"{refund.get('refund_id')}: {amount}, being processed since "
                f"{format_date(refund.get('created_at'))}; "
                "it should reach your original payment method within 5-7 business days."
            )
    return f"Refunds on {order_id}:\n" + "\n".join(lines)


def return_progress(doc: Mapping[str, Any]) -> str:
    return_id, status = doc.get("return_id"), doc.get("status")
    if status == "requested":
        return (
            f"There's no refund on {doc.get('order_id')} yet: your return {return_id} is waiting for the "
            "parcel "
            "to reach our warehouse. The refund follows 5-7 business days after it arrives."
        )
    if status == "received":
        return (
            f"We've received your return {return_id} on {format_date(doc.get('received_at'))}; the refund "
            "should reach your original payment method within 5-7 business days."
        )
    return f"Your return {return_id} has been refunded."


def no_refund(order_id: str) -> str:
    return (
        f"There's no refund on {order_id} yet. Refunds are issued 5-7 business days after a return reaches "
        "our warehouse, or right away when an order is cancelled before it ships."
    )


def invoice(order: Mapping[str, Any], masked_email: str) -> str:
    order_id, status = order.get("order_id"), order.get("status")
    if status == "processing":
        return (
            f"The invoice for {order_id} is emailed as a PDF with the shipping confirmation, so it will "
            "reach "
            f"{masked_email} as soon as the order ships."
        )
    return (
        f"The invoice for {order_id} was emailed as a PDF to {masked_email} with the shipping confirmation "
        "(check your spam folder too). I can't re-send it from here, but a person from our team can. "
        "Would you like me to connect you?"
    )


def not_on_order(kinds: Sequence[str], order_id: str) -> str:
    """"There's no tent on ORD-10003." for what the customer named that the order does not have."""
    named = " or ".join(kinds)
    return f"There {'are' if named.endswith('s') else 'is'} no {named} on {order_id}."


def switching_order(order_id: str) -> str:
    return f"Okay, let's look at {order_id} instead."


def refund_timing(order_id: str, refund_status: str | None, refund_docs: Sequence[Mapping[str, Any]]) -> str:
    """The answer to "and when will the money arrive?" right after the refund status: when, not the
    whole status again."""
    latest = refund_docs[-1] if refund_docs else None
    if latest is None or refund_status == "none":
        return (
            f"The refund for {order_id} is issued 5-7 business days after the return reaches our warehouse; "
            "your bank may take a few more days to show it."
        )
    if latest.get("status") == "completed":
        return (
            f"{latest.get('refund_id')} was completed on {format_date(latest.get('completed_at'))}, so the "
            "money "
            "is already on its way back to your original payment method; banks can take up to 5 business "
            "days "
            "to show it."
        )
    return (
        f"{latest.get('refund_id')} should reach your original payment method within 5-7 business days of "
        f"{format_date(latest.get('created_at'))}, when it was issued; your bank may take a day or two more "
        "to "
        "show it."
    )
