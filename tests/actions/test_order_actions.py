"""The order actions and form validators against the real shop API: replies and what the shop holds after."""
from __future__ import annotations

import json

import pytest

from actions.forms import (
    ActionAskReturnItems,
    ValidateAddressChangeForm,
    ValidateCancelOrderForm,
    ValidateReturnForm,
)
from actions.orders import (
    ActionCancelOrder,
    ActionChangeAddress,
    ActionCreateReturn,
    ActionRefundStatus,
    ActionResendInvoice,
    ActionTrackOrder,
    return_idempotency_key,
)
from tests.actions.harness import form_tracker, has_human_offer, run, tracker

MARIA = "maria.garcia@example.com"
JOHN = "john.smith@example.com"
AIKO = "aiko.tanaka@example.com"
LUKAS = "lukas.becker@example.com"


def verified(order_id: str, email: str, **slots) -> dict:
    return {"order_id": order_id, "email": email, "order_verified": True, **slots}


def order_status(api, order_id: str) -> str:
    with api.db() as db:
        return db.execute("SELECT status FROM orders WHERE order_id = ?", (order_id,)).fetchone()["status"]


# --- tracking ------------------------------------------------------------------------------------


def test_tracking_a_shipped_order_gives_carrier_and_tracking_number(api) -> None:
    result = run(ActionTrackOrder(), tracker(verified("ORD-10002", MARIA)))
    assert "ord-10002 is on its way with ups" in result.text
    assert "1z4a7f290300100028" in result.text
    assert "expected delivery" in result.text


def test_tracking_a_delivered_order(api) -> None:
    result = run(ActionTrackOrder(), tracker(verified("ORD-10003", JOHN)))
    assert "ord-10003 was delivered" in result.text


def test_an_unverified_order_is_never_looked_up(api) -> None:
    result = run(
        ActionTrackOrder(), tracker({"order_id": "ORD-10002", "email": MARIA, "order_verified": False})
    )
    assert result.messages == []


def test_tracking_with_the_shop_api_down_apologises_and_offers_a_person(down_api) -> None:
    result = run(ActionTrackOrder(), tracker(verified("ORD-10002", MARIA)))
    assert "sorry" in result.text and "track your order" in result.text
    assert has_human_offer(result)
    assert "traceback" not in result.text and "error" not in result.text


def test_tracking_with_a_shop_api_slower_than_the_timeout_is_the_same_apology(slow_api) -> None:
    result = run(ActionTrackOrder(), tracker(verified("ORD-10002", MARIA)))
    assert "can't reach our order system" in result.text
    assert has_human_offer(result)


# --- cancel --------------------------------------------------------------------------------------


def test_confirmed_cancel_cancels_and_refunds(fresh_api) -> None:
    slots = verified("ORD-10001", MARIA, cancel_reason="ordered by mistake", cancel_confirmed=True)
    result = run(ActionCancelOrder(), tracker(slots))
    assert "ord-10001 is cancelled" in result.text
    assert "refund of $" in result.text
    assert result.slots()["order_status"] == "cancelled"
    assert result.slots()["cancel_confirmed"] is None and result.slots()["cancel_reason"] is None
    assert order_status(fresh_api, "ORD-10001") == "cancelled"
    with fresh_api.db() as db:
        refunds = db.execute("SELECT status FROM refunds WHERE order_id = 'ORD-10001'").fetchall()
    assert [row["status"] for row in refunds] == ["completed"]

    again = run(ActionCancelOrder(), tracker(slots))
    assert "couldn't do that for ord-10001" in again.text
    assert "only orders that have not shipped" in again.text


def test_declined_cancel_changes_nothing(fresh_api) -> None:
    result = run(ActionCancelOrder(), tracker(verified("ORD-10007", LUKAS, cancel_confirmed=False)))
    assert "haven't cancelled anything" in result.text
    assert order_status(fresh_api, "ORD-10007") == "processing"


def test_cancel_form_refuses_a_shipped_order_as_it_starts(api) -> None:
    result = run(
        ValidateCancelOrderForm(),
        form_tracker(
            "cancel_order_form", verified("ORD-10002", MARIA, order_status="shipped"), {}, starting=True
        ),
    )
    assert "already shipped" in result.text and "return it within 30 days" in result.text
    assert result.slots() == {"requested_slot": None}
    # ...and the submit action, with nothing confirmed, does nothing more.
    assert run(ActionCancelOrder(), tracker(verified("ORD-10002", MARIA))).messages == []
    assert order_status(api, "ORD-10002") == "shipped"


@pytest.mark.parametrize("typed, intent", [("no", "deny"), ("Skip", "inform")])
def test_cancel_reason_can_be_skipped(api, typed: str, intent: str) -> None:
    result = run(
        ValidateCancelOrderForm(),
        form_tracker(
            "cancel_order_form",
            verified("ORD-10001", MARIA, order_status="processing"),
            {"cancel_reason": typed},
            requested_slot="cancel_reason",
            intent=intent,
        ),
    )
    assert result.slots()["cancel_reason"] == "not given"


# --- address -------------------------------------------------------------------------------------


def test_confirmed_address_change_is_stored(fresh_api) -> None:
    slots = verified(
        "ORD-10007",
        LUKAS,
        address_street="221 Birch Lane",
        address_city="Denver",
        address_postal_code="80205",
        address_country="US",
        address_confirmed=True,
    )
    result = run(ActionChangeAddress(), tracker(slots))
    assert "ord-10007 will now ship to 221 birch lane, denver, 80205, us" in result.text
    with fresh_api.db() as db:
        row = db.execute("SELECT shipping_address FROM orders WHERE order_id = 'ORD-10007'").fetchone()
    address = json.loads(row["shipping_address"])
    assert address["line1"] == "221 Birch Lane" and address["city"] == "Denver"
    assert address["name"] == "Lukas Becker"  # kept from the old address


def test_address_form_validates_each_field(api) -> None:
    base = verified("ORD-10007", LUKAS, order_status="processing")
    bad = run(
        ValidateAddressChangeForm(),
        form_tracker(
            "address_change_form", base, {"address_street": "somewhere nice"}, requested_slot="address_street"
        ),
    )
    assert bad.slots()["address_street"] is None
    assert "doesn't look like a street address" in bad.text
    good = run(
        ValidateAddressChangeForm(),
        form_tracker(
            "address_change_form", base, {"address_country": "usa"}, requested_slot="address_country"
        ),
    )
    assert good.slots()["address_country"] == "US"
    assert good.messages == []


def test_address_form_refuses_a_shipped_order_as_it_starts(api) -> None:
    result = run(
        ValidateAddressChangeForm(),
        form_tracker(
            "address_change_form", verified("ORD-10002", MARIA, order_status="shipped"), {}, starting=True
        ),
    )
    assert "already shipped" in result.text
    assert result.slots() == {"requested_slot": None}


# --- returns -------------------------------------------------------------------------------------


def test_return_form_refuses_an_order_past_the_return_window(api) -> None:
    result = run(
        ValidateReturnForm(),
        form_tracker("return_form", verified("ORD-10004", JOHN, order_status="delivered"), {}, starting=True),
    )
    assert "30-day return window for ord-10004 closed" in result.text
    assert result.slots() == {"requested_slot": None}


def test_return_form_matches_items_said_in_words(api) -> None:
    result = run(
        ValidateReturnForm(),
        form_tracker(
            "return_form",
            verified("ORD-10003", JOHN),
            {},
            requested_slot="return_items",
            text="the merino tees",
        ),
    )
    assert result.slots()["return_items"] == [
        {"sku": "LK-TOP-010", "name": "Basecamp Merino Tee", "quantity": 2}
    ]


def test_return_form_says_when_nothing_matches(api) -> None:
    result = run(
        ValidateReturnForm(),
        form_tracker(
            "return_form",
            verified("ORD-10003", JOHN),
            {},
            requested_slot="return_items",
            text="the third one",
        ),
    )
    assert result.slots()["return_items"] is None
    assert "couldn't match that to an item on ord-10003" in result.text


def test_a_policy_question_is_not_taken_for_items(api) -> None:
    result = run(
        ValidateReturnForm(),
        form_tracker(
            "return_form", verified("ORD-10003", JOHN), {}, requested_slot="return_items",
            intent="check_refund_policy", text="how long do refunds take",
        ),
    )
    assert "return_items" not in result.slots()  # the form rejects the turn; the policy rule answers
    assert result.messages == []


def test_return_items_question_lists_the_order_items(api) -> None:
    result = run(ActionAskReturnItems(), tracker(verified("ORD-10003", JOHN)))
    titles = [button["title"] for button in result.messages[0]["buttons"]]
    assert titles == ["Trailhead 28 Daypack", "Basecamp Merino Tee", "All of them"]
    assert result.messages[0]["buttons"][0]["payload"] == '/inform{"product": "Trailhead 28 Daypack"}'


def test_confirmed_return_is_created_once_even_when_the_action_runs_twice(fresh_api) -> None:
    slots = verified(
        "ORD-10003", JOHN, return_confirmed=True, return_reason="too small",
        return_items=[{"sku": "LK-TOP-010", "name": "Basecamp Merino Tee", "quantity": 2}],
    )
    first = run(ActionCreateReturn(), tracker(slots, sender_id="conv-return"))
    second = run(ActionCreateReturn(), tracker(slots, sender_id="conv-return"))
    return_id = first.slots()["return_id"]
    assert return_id.startswith("RET-")
    assert second.slots()["return_id"] == return_id
    assert f"your return {return_id.lower()} is set up for 2 x basecamp merino tee" in first.text
    assert ".pdf" in first.text
    with fresh_api.db() as db:
        (count,) = db.execute("SELECT COUNT(*) FROM returns WHERE order_id = 'ORD-10003'").fetchone()
    assert count == 1


def test_idempotency_key_depends_on_conversation_order_and_items() -> None:
    items = [{"sku": "LK-TOP-010", "quantity": 2}, {"sku": "LK-PCK-028", "quantity": 1}]
    key = return_idempotency_key("conv", "ORD-10003", items)
    assert key == return_idempotency_key("conv", "ORD-10003", list(reversed(items)))
    assert key != return_idempotency_key("other-conv", "ORD-10003", items)
    assert key != return_idempotency_key("conv", "ORD-10003", items[:1])


def test_a_gift_card_return_is_refused_in_words(fresh_api) -> None:
    slots = verified(
        "ORD-10008", LUKAS, return_confirmed=True, return_reason="unwanted gift",
        return_items=[{"sku": "LK-GFT-050", "name": "Larkspur Gift Card", "quantity": 1}],
    )
    result = run(ActionCreateReturn(), tracker(slots))
    assert "larkspur gift card cannot be returned" in result.text
    assert "items[0]" not in result.text
    with fresh_api.db() as db:
        (count,) = db.execute("SELECT COUNT(*) FROM returns WHERE order_id = 'ORD-10008'").fetchone()
    assert count == 0


# --- refunds and invoices ------------------------------------------------------------------------


def test_refund_status_lists_a_processing_refund(api) -> None:
    result = run(ActionRefundStatus(), tracker(verified("ORD-10006", AIKO)))
    assert "rf-30002" in result.text and "being processed" in result.text
    assert result.slots()["refund_status"] == "processing"


def test_refund_status_of_a_cancelled_order_is_completed(api) -> None:
    result = run(ActionRefundStatus(), tracker(verified("ORD-10005", AIKO)))
    assert "rf-30001" in result.text and "completed" in result.text


def test_refund_status_without_a_refund_explains_when_it_comes(api) -> None:
    result = run(ActionRefundStatus(), tracker(verified("ORD-10008", LUKAS)))
    assert "no refund on ord-10008 yet" in result.text
    assert result.slots()["refund_status"] == "none"


def test_refund_status_after_a_return_in_this_conversation_follows_the_return(fresh_api) -> None:
    items = [{"sku": "LK-PCK-028", "name": "Trailhead 28 Daypack", "quantity": 1}]
    created = run(
        ActionCreateReturn(),
        tracker(
            verified("ORD-10003", JOHN, return_confirmed=True, return_reason="too big", return_items=items)
        ),
    )
    result = run(
        ActionRefundStatus(), tracker(verified("ORD-10003", JOHN, return_id=created.slots()["return_id"]))
    )
    assert "waiting for the parcel" in result.text


def test_invoice_of_a_shipped_order_offers_a_person_to_resend_it(api) -> None:
    result = run(ActionResendInvoice(), tracker(verified("ORD-10003", JOHN)))
    assert "j***@example.com" in result.text
    assert has_human_offer(result)


def test_invoice_of_an_unshipped_order_comes_with_the_shipping_confirmation(api) -> None:
    result = run(ActionResendInvoice(), tracker(verified("ORD-10001", MARIA)))
    assert "as soon as the order ships" in result.text
    assert "human_offered" not in result.slots()


def test_cancel_form_checks_the_order_only_as_it_starts(api) -> None:
    result = run(
        ValidateCancelOrderForm(),
        form_tracker(
            "cancel_order_form", verified("ORD-10002", MARIA, order_status="shipped"),
            {"cancel_reason": "found it cheaper"}, requested_slot="cancel_reason",
        ),
    )
    assert result.slots()["cancel_reason"] == "found it cheaper"
    assert "already shipped" not in result.text
