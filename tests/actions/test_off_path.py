"""Conversations off the happy path (issue 13), one validator or action step at a time against the real
shop API: corrections, free-text item answers, misunderstandings, a refund asked about twice."""
from __future__ import annotations

import pytest

from actions import normalize
from actions.forms import (
    ActionAskReturnItems,
    ValidateAddressChangeForm,
    ValidateCancelOrderForm,
    ValidateReturnForm,
)
from actions.orders import ActionRefundStatus
from actions.verification import ValidateOrderVerificationForm
from tests.actions.harness import form_tracker, has_human_offer, run, tracker

JOHN = "john.smith@example.com"
MARIA = "maria.garcia@example.com"
AIKO = "aiko.tanaka@example.com"
ORDER_10003 = [
    {"sku": "LK-PCK-028", "name": "Trailhead 28 Daypack", "quantity": 1},
    {"sku": "LK-TOP-010", "name": "Basecamp Merino Tee", "quantity": 2},
]


def verified(order_id: str, email: str, **slots) -> dict:
    return {"order_id": order_id, "email": email, "order_verified": True, **slots}


def ask_items(text: str, intent: str = "inform", **slots) -> dict:
    return form_tracker(
        "return_form",
        verified("ORD-10003", JOHN, **slots),
        {},
        requested_slot="return_items",
        text=text,
        intent=intent,
    )


# --- words customers use for items ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, skus",
    [("everything except the tee", ["LK-PCK-028"]), ("all but the daypack", ["LK-TOP-010"]),
     ("both please", ["LK-PCK-028", "LK-TOP-010"]), ("all of it apart from the tees", ["LK-PCK-028"]),
     ("all except the tent", [])],
)
def test_all_except_names_what_stays(text: str, skus: list[str]) -> None:
    assert [item["sku"] for item in normalize.match_items(text, [], ORDER_10003)] == skus


@pytest.mark.parametrize(
    "text, kinds",
    [("I want to return the tent I bought", ["tent"]), ("the hiking boots", ["boots"]),
     ("my sleeping bag", ["sleeping bag"]), ("it's too short", []), ("the tees", []), ("the daypack", [])],
)
def test_kinds_not_on_the_order(text: str, kinds: list[str]) -> None:
    assert normalize.kinds_not_on_order(text, ORDER_10003) == kinds


def test_never_mind_is_not_a_changed_mind() -> None:
    assert normalize.is_never_mind("oh never mind") and normalize.is_never_mind("forget it")
    assert not normalize.is_never_mind("I changed my mind")


# --- the return form -------------------------------------------------------------------------------


def test_an_item_not_on_the_order_is_named_and_counted_as_not_understood(api) -> None:
    result = run(ValidateReturnForm(), ask_items("the sleeping bag"))
    assert "there is no sleeping bag on ord-10003" in result.text
    assert result.slots()["return_items"] is None and result.slots()["misunderstood"] == 1


def test_a_colour_gets_told_that_colours_are_not_shown(api) -> None:
    result = run(ValidateReturnForm(), ask_items("the blue one"))
    assert "colours" in result.text and result.slots()["return_items"] is None


def test_a_reason_instead_of_an_item_is_kept_as_the_reason(api) -> None:
    result = run(ValidateReturnForm(), ask_items("it's too small"))
    slots = result.slots()
    assert slots["return_reason"] == "it's too small" and slots["return_items"] is None
    assert "misunderstood" not in slots and result.messages == []


def test_the_item_question_after_a_reason_asks_which_item_it_is_about(api) -> None:
    result = run(ActionAskReturnItems(), tracker(verified("ORD-10003", JOHN, return_reason="it's too small")))
    assert result.text.startswith("which item is that about? ord-10003 has: 1 x trailhead 28 daypack")


def test_a_request_naming_a_missing_item_says_so_as_the_form_starts(api) -> None:
    events = [
        {"event": "user", "text": "I want to return the tent I bought",
         "parse_data": {"intent": {"name": "return_item"}, "entities": []}},
        {"event": "active_loop", "name": "return_form"},
    ]
    result = run(
        ValidateReturnForm(),
        tracker(
            verified("ORD-10003", JOHN, order_status="delivered"),
            events=events,
            active_loop="return_form",
            text=JOHN,
        ),
    )
    assert "there is no tent on ord-10003" in result.text
    assert result.slots().get("requested_slot", "not ended") is not None  # the item question follows


def test_a_request_naming_an_item_of_the_order_fills_it_as_the_form_starts(api) -> None:
    events = [
        {"event": "user", "text": "I'd like to send back the tees",
         "parse_data": {"intent": {"name": "return_item"}, "entities": []}},
        {"event": "active_loop", "name": "return_form"},
    ]
    result = run(
        ValidateReturnForm(), tracker(verified("ORD-10003", JOHN), events=events, active_loop="return_form")
    )
    assert result.slots()["return_items"] == [ORDER_10003[1]]


def test_never_mind_as_the_reason_ends_the_form_politely(api) -> None:
    result = run(
        ValidateReturnForm(),
        form_tracker(
            "return_form",
            verified("ORD-10003", JOHN, return_items=ORDER_10003),
            {"return_reason": "never mind"},
            requested_slot="return_reason",
            intent="stop",
            text="never mind",
        ),
    )
    assert result.slots()["requested_slot"] is None and result.slots()["return_reason"] is None
    assert [message["response"] for message in result.messages] == ["utter_stopped"]


# --- two misunderstandings in a row --------------------------------------------------------------


def test_the_second_misunderstanding_in_a_row_offers_a_person_and_ends_the_form(api) -> None:
    first = run(ValidateReturnForm(), ask_items("yes", intent="affirm"))
    assert first.slots()["misunderstood"] == 1 and "couldn't match" in first.text
    second = run(ValidateReturnForm(), ask_items("yes", intent="affirm", misunderstood=1))
    assert has_human_offer(second)
    assert "couldn't match" not in second.text  # the offer replaces the same complaint
    assert second.slots()["requested_slot"] is None and second.slots()["misunderstood"] == 0


def test_an_understood_answer_starts_the_count_again(api) -> None:
    result = run(ValidateReturnForm(), ask_items("the daypack", misunderstood=1))
    assert result.slots()["misunderstood"] == 0


def test_a_digression_leaves_the_count_and_lets_the_form_reject_the_turn(api) -> None:
    result = run(ValidateReturnForm(), ask_items("what's your refund policy", intent="check_refund_policy",
                                                 misunderstood=1))
    assert result.events == []


def test_two_bad_streets_in_a_row_offer_a_person(api) -> None:
    slots = verified("ORD-10001", MARIA, order_status="processing", misunderstood=1)
    result = run(ValidateAddressChangeForm(), form_tracker(
        "address_change_form", slots, {"address_street": "??"}, requested_slot="address_street", text="??"))
    assert has_human_offer(result) and result.slots()["requested_slot"] is None


def test_two_answers_that_are_no_order_number_end_verification_unverified(api) -> None:
    result = run(ValidateOrderVerificationForm(), form_tracker(
        "order_verification_form", {"misunderstood": 1}, {"order_id": "dunno"}, requested_slot="order_id",
        text="dunno"))
    assert has_human_offer(result)
    assert result.slots()["order_verified"] is False and result.slots()["requested_slot"] is None


# --- corrections ------------------------------------------------------------------------------------


def test_the_right_email_after_a_wrong_one_verifies_the_kept_number(api) -> None:
    result = run(ValidateOrderVerificationForm(), form_tracker(
        "order_verification_form", {"order_id": "ORD-10002", "verification_attempts": 1},
        {"email": "sorry, wrong email, it's maria.garcia@example.com"}, requested_slot="email",
        entities=[("email", MARIA)]))
    assert result.slots()["order_verified"] is True and result.slots()["email"] == MARIA


def test_another_order_number_mid_form_verifies_that_order_with_the_same_email(api) -> None:
    result = run(ValidateCancelOrderForm(), form_tracker(
        "cancel_order_form", verified("ORD-10002", MARIA, order_status="shipped"), {},
        requested_slot="cancel_reason", text="no wait, it's ORD-10001", entities=[("order_id", "ORD-10001")]))
    slots = result.slots()
    assert slots["order_id"] == "ORD-10001" and slots["order_verified"] is None and "email" not in slots
    assert slots["requested_slot"] is None
    assert ("followup", "order_verification_form") in [
        (event["event"], event.get("name")) for event in result.events
    ]
    assert "ord-10001 instead" in result.text


def test_a_postal_code_in_the_address_form_is_not_another_order(api) -> None:
    result = run(ValidateAddressChangeForm(), form_tracker(
        "address_change_form", verified("ORD-10001", MARIA, order_status="processing"),
        {"address_postal_code": "97205"}, requested_slot="address_postal_code", text="97205",
        entities=[("order_id", "97205")]))
    assert result.slots()["address_postal_code"] == "97205" and "order_id" not in result.slots()


# --- the refund asked about twice ---------------------------------------------------------------


def test_asked_again_the_refund_status_says_when_not_the_whole_block(api) -> None:
    told = [
        {"event": "slot", "name": "order_id", "value": "ORD-10006"},
        {"event": "action", "name": "action_refund_status"},
    ]
    result = run(
        ActionRefundStatus(), tracker(verified("ORD-10006", AIKO, refund_status="processing"), events=told)
    )
    assert "refunds on" not in result.text
    assert "rf-30002 should reach your original payment method within 5-7 business days" in result.text


def test_the_refund_status_of_another_order_is_given_in_full(api) -> None:
    told = [
        {"event": "slot", "name": "order_id", "value": "ORD-10005"},
        {"event": "action", "name": "action_refund_status"},
        {"event": "slot", "name": "order_id", "value": "ORD-10006"},
    ]
    result = run(ActionRefundStatus(), tracker(verified("ORD-10006", AIKO), events=told))
    assert "refunds on ord-10006" in result.text


def test_the_action_server_registers_the_domain_actions_and_no_base_class() -> None:
    from rasa_sdk.executor import ActionExecutor

    from tests.actions.harness import domain

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(domain()["actions"])


def test_thanks_instead_of_the_email_ends_verification_politely(api) -> None:
    result = run(ValidateOrderVerificationForm(), form_tracker(
        "order_verification_form", {"order_id": "ORD-10004", "verification_attempts": 1},
        {"email": None}, requested_slot="email", intent="nlu_fallback", text="ok thanks anyway"))
    assert [message["response"] for message in result.messages] == ["utter_stopped"]
    assert result.slots()["requested_slot"] is None and result.slots()["order_verified"] is False
    assert "misunderstood" not in result.slots()


@pytest.mark.parametrize("text, confirmed", [("yes please cancel it", True), ("no, don't cancel it", False),
                                             ("keep it, don't cancel", False)])
def test_the_request_said_again_at_the_confirmation_is_a_yes_unless_it_says_no(api, text, confirmed) -> None:
    result = run(ValidateCancelOrderForm(), form_tracker(
        "cancel_order_form", verified("ORD-10007", "lukas.becker@example.com", order_status="processing",
                                      cancel_reason="not given"),
        {"cancel_confirmed": True}, requested_slot="cancel_confirmed", intent="cancel_order", text=text))
    assert result.slots()["cancel_confirmed"] is confirmed
