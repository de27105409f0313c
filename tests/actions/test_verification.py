"""order_verification_form's validator against the real shop API."""
from __future__ import annotations

from actions.verification import MAX_ATTEMPTS, ValidateOrderVerificationForm
from tests.actions.harness import form_tracker, has_human_offer, run

FORM = "order_verification_form"
VALIDATOR = ValidateOrderVerificationForm()


def test_matching_order_and_email_verify_the_order(api) -> None:
    result = run(
        VALIDATOR,
        form_tracker(
            FORM, {"order_id": "ORD-10002"}, {"email": "Maria.Garcia@example.com"}, requested_slot="email"
        ),
    )
    slots = result.slots()
    assert slots["email"] == "maria.garcia@example.com"
    assert slots["order_verified"] is True
    assert slots["order_status"] == "shipped"
    assert result.messages == []


def test_order_id_and_email_given_up_front_are_normalised_and_verified(api) -> None:
    result = run(
        VALIDATOR,
        form_tracker(FORM, {}, {"order_id": "#10003", "email": "john.smith@example.com"}, starting=True),
    )
    assert result.slots()["order_id"] == "ORD-10003"
    assert result.slots()["order_verified"] is True


def test_wrong_email_is_asked_again_politely(api) -> None:
    result = run(
        VALIDATOR,
        form_tracker(
            FORM, {"order_id": "ORD-10003"}, {"email": "maria.garcia@example.com"}, requested_slot="email"
        ),
    )
    slots = result.slots()
    assert "couldn't find an order with that number and email" in result.text
    assert "order_id" not in slots and slots["email"] is None  # the number is kept, the email asked again
    assert "check the email address" in result.text
    assert slots["order_verified"] is False
    assert slots["verification_attempts"] == 1
    assert "requested_slot" not in slots  # the form goes on and asks for the email again


def test_third_wrong_pair_gives_up_and_offers_a_person(api) -> None:
    result = run(
        VALIDATOR,
        form_tracker(
            FORM,
            {"order_id": "ORD-10009", "verification_attempts": MAX_ATTEMPTS - 1},
            {"email": "maria.garcia@example.com"},
            requested_slot="email",
        ),
    )
    slots = result.slots()
    assert "couldn't find an order with that number and email" in result.text
    assert has_human_offer(result)
    assert slots["requested_slot"] is None  # ends the form
    assert slots["order_verified"] is False
    assert slots["verification_attempts"] == 0


def test_text_without_an_order_id_is_explained(api) -> None:
    result = run(
        VALIDATOR, form_tracker(FORM, {}, {"order_id": "i don't know it"}, requested_slot="order_id")
    )
    assert result.slots()["order_id"] is None
    assert "doesn't look like an order number" in result.text


def test_an_email_typed_instead_of_the_order_id_is_kept_without_complaint(api) -> None:
    result = run(
        VALIDATOR,
        form_tracker(
            FORM,
            {},
            {"order_id": "john.smith@example.com", "email": "john.smith@example.com"},
            requested_slot="order_id",
            entities=[("email", "john.smith@example.com")],
        ),
    )
    assert result.slots()["order_id"] is None
    assert result.slots()["email"] == "john.smith@example.com"
    assert result.messages == []


def test_shop_api_down_ends_the_form_with_an_apology_and_a_person(down_api) -> None:
    result = run(
        VALIDATOR,
        form_tracker(
            FORM, {"order_id": "ORD-10002"}, {"email": "maria.garcia@example.com"}, requested_slot="email"
        ),
    )
    assert "can't reach our order system" in result.text
    assert has_human_offer(result)
    assert result.slots()["requested_slot"] is None
    assert result.slots()["order_verified"] is False


def test_a_request_worded_as_a_question_gets_the_knowledge_answer_before_the_order_number(api) -> None:
    asked = run(
        VALIDATOR,
        form_tracker(FORM, {}, {}, starting=True, intent="return_item", text="can i return socks i opened"),
    )
    knowledge = [m for m in asked.messages if m.get("response") == "utter_knowledge_answer"]
    assert knowledge and knowledge[0].get("only_if_answered") is True

    told = run(
        VALIDATOR, form_tracker(FORM, {}, {}, starting=True, intent="return_item", text="return my boots")
    )
    assert not any(m.get("response") == "utter_knowledge_answer" for m in told.messages)

    # Only as the form starts: a question answering the form's own question is the form's business.
    later = run(
        VALIDATOR,
        form_tracker(FORM, {}, {"order_id": "what is an order number?"}, requested_slot="order_id",
                     intent="inform", text="what is an order number?"),
    )
    assert not any(m.get("response") == "utter_knowledge_answer" for m in later.messages)
