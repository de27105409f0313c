"""Larkspur's order policies as pure functions (docs/contracts.md): what may happen to an order when.

The repository calls these inside its transactions; keeping them free of SQL keeps the rules in one
readable place and testable with plain values.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.shop_api.errors import conflict, invalid
from bot.shop_api.validation import ReturnLine

RETURN_WINDOW = timedelta(days=30)
SHIPPING_CENTS = {"standard": 495, "express": 1295, "next_day": 1995, "international": 2495}
FREE_STANDARD_SHIPPING_FROM_CENTS = 5000
NOT_RETURNABLE_CATEGORIES = frozenset({"gift cards"})


@dataclass(frozen=True)
class OrderedLine:
    name: str
    quantity: int
    returnable: bool


def shipping_cents(method: str, subtotal_cents: int) -> int:
    if method == "standard" and subtotal_cents >= FREE_STANDARD_SHIPPING_FROM_CENTS:
        return 0
    return SHIPPING_CENTS[method]


def is_returnable_category(category: str) -> bool:
    return category not in NOT_RETURNABLE_CATEGORIES


def return_deadline(delivered_at: datetime | None) -> datetime | None:
    return delivered_at + RETURN_WINDOW if delivered_at is not None else None


def check_cancellable(status: str) -> None:
    if status != "processing":
        raise conflict(
            "not_cancellable",
            f"This order is {status}; only orders that have not shipped yet can be cancelled.",
        )


def check_address_changeable(status: str) -> None:
    if status == "cancelled":
        raise conflict("order_cancelled", "This order was cancelled, so its address cannot be changed.")
    if status != "processing":
        raise conflict("already_shipped", "This order has already shipped, so its address cannot be changed.")


def check_returnable(status: str, delivered_at: datetime | None, now: datetime) -> None:
    if status == "returned":
        raise conflict("already_returned", "This order has already been returned.")
    if status != "delivered" or delivered_at is None:
        raise conflict(
            "not_delivered", f"This order is {status}; items can be returned once it is delivered."
        )
    deadline = return_deadline(delivered_at)
    assert deadline is not None
    if now > deadline:
        raise conflict(
            "return_window_closed",
            f"The 30-day return window for this order closed on {deadline.date().isoformat()}.",
        )


def check_return_lines(
    lines: Sequence[ReturnLine],
    ordered: Mapping[str, OrderedLine],
    already_returned: Mapping[str, int],
) -> None:
    """Every line must be an item of the order, returnable, and within what is left to return."""
    for index, line in enumerate(lines):
        item = ordered.get(line.sku)
        if item is None:
            raise invalid("invalid_items", f"items[{index}].sku", f"{line.sku} is not part of this order.")
        if not item.returnable:
            raise invalid(
                "invalid_items", f"items[{index}].sku", f"{item.name} cannot be returned (final sale)."
            )
        if line.quantity > item.quantity:
            raise invalid(
                "invalid_items",
                f"items[{index}].quantity",
                f"only {item.quantity} of {item.name} were ordered.",
            )
        returned = already_returned.get(line.sku, 0)
        if line.quantity > item.quantity - returned:
            raise conflict(
                "already_returned",
                f"{returned} of {item.quantity} {item.name} already have a return; "
                f"{item.quantity - returned} can still be returned.",
            )
