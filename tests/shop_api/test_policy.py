"""The order rules on plain values: window edges, what is left to return, shipping costs."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.shop_api import policy
from bot.shop_api.errors import ApiError
from bot.shop_api.validation import ReturnLine

DELIVERED = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
ORDERED = {
    "LK-TOP-010": policy.OrderedLine("Basecamp Merino Tee", 2, returnable=True),
    "LK-GFT-050": policy.OrderedLine("Larkspur Gift Card", 1, returnable=False),
}


def _refusal(call) -> ApiError:
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value


def test_the_last_second_of_the_window_is_still_inside():
    policy.check_returnable("delivered", DELIVERED, DELIVERED + timedelta(days=30))


def test_one_second_after_the_window_is_outside():
    error = _refusal(
        lambda: policy.check_returnable("delivered", DELIVERED, DELIVERED + timedelta(days=30, seconds=1))
    )

    assert (error.status, error.code) == (409, "return_window_closed")
    assert "2026-05-31" in error.message


def test_what_was_returned_before_counts_against_the_order():
    policy.check_return_lines([ReturnLine("LK-TOP-010", 1)], ORDERED, {"LK-TOP-010": 1})
    error = _refusal(
        lambda: policy.check_return_lines([ReturnLine("LK-TOP-010", 2)], ORDERED, {"LK-TOP-010": 1})
    )

    assert (error.status, error.code) == (409, "already_returned")


def test_more_than_ordered_is_invalid_even_before_any_return():
    error = _refusal(lambda: policy.check_return_lines([ReturnLine("LK-TOP-010", 3)], ORDERED, {}))

    assert (error.status, error.code, error.field) == (422, "invalid_items", "items[0].quantity")


def test_final_sale_items_are_refused():
    error = _refusal(lambda: policy.check_return_lines([ReturnLine("LK-GFT-050", 1)], ORDERED, {}))

    assert (error.code, error.field) == ("invalid_items", "items[0].sku")


@pytest.mark.parametrize("status", ["shipped", "delivered", "cancelled", "returned"])
def test_only_processing_orders_can_be_cancelled(status):
    policy.check_cancellable("processing")

    assert _refusal(lambda: policy.check_cancellable(status)).code == "not_cancellable"


@pytest.mark.parametrize(
    "method, subtotal_cents, expected",
    [("standard", 4999, 495), ("standard", 5000, 0), ("express", 50000, 1295), ("next_day", 100, 1995),
     ("international", 90000, 2495)],
)
def test_shipping_costs_follow_the_published_rates(method, subtotal_cents, expected):
    assert policy.shipping_cents(method, subtotal_cents) == expected
