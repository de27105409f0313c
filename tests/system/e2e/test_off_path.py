"""Conversations off the happy path (issue 13) through REST against the full stack, with the shop
database checked where the conversation could change it. These were tuned against; the held-out ones
are in test_off_path_heldout.py."""
from __future__ import annotations

import pytest

from bot.testing.stack import running_stack
from tests.system.e2e.chat import Chat

pytestmark = pytest.mark.slow

MARIA, JOHN, AIKO, LUKAS = (
    "maria.garcia@example.com",
    "john.smith@example.com",
    "aiko.tanaka@example.com",
    "lukas.becker@example.com",
)
ENGLISH_ONLY = "only chat in english"


@pytest.fixture(scope="module")
def bot_stack(tmp_path_factory):
    """A stack of this module's own: its returns must not meet those of other modules in one database
    (the shop refuses to return an item twice)."""
    with running_stack(tmp_path_factory.mktemp("off_path")) as stack:
        yield stack


def assert_form_closed(chat: Chat) -> None:
    assert chat.active_loop() is None and chat.slots()["requested_slot"] is None


# --- goodbye, thanks and "never mind" inside a form ------------------------------------------------


def test_bye_while_asked_for_the_order_number(bot_stack):
    chat = Chat(bot_stack)
    assert "order number" in chat.say("where is my order")
    reply = chat.say("ok bye")
    assert "order number" not in reply and reply
    assert_form_closed(chat)


def test_thanks_bye_in_the_return_form_ends_it_for_good(bot_stack):
    # The case: the form's question came back after the goodbye.
    chat = Chat(bot_stack)
    chat.say("I want to return the tent I bought")
    chat.say("ORD-10003")
    chat.say(JOHN)
    reply = chat.say("thanks, bye")
    assert "which item" not in reply
    assert_form_closed(chat)
    assert chat.returned_items("ORD-10003") == []


def test_never_mind_when_asked_why_to_cancel(bot_stack):
    chat = Chat(bot_stack)
    chat.say("cancel my order ORD-10007")
    assert "why" in chat.say(LUKAS)
    reply = chat.say("never mind")
    assert "nothing was changed" in reply and "shall i cancel" not in reply
    assert_form_closed(chat)
    assert chat.order("ORD-10007")["status"] == "processing"


def test_thank_you_at_the_address_confirmation_changes_nothing(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I need to change the shipping address for ORD-10001")
    chat.say(MARIA)
    chat.say("42 Juniper Lane")
    chat.say("Portland")
    chat.say("97205")
    assert "shall i change" in chat.say("United States")
    reply = chat.say("thank you")
    assert "shall i change" not in reply
    assert_form_closed(chat)
    assert chat.order("ORD-10001")["shipping_address"]["line1"] == "418 Alder Street"


def test_goodbye_at_the_cancel_confirmation_keeps_the_order(bot_stack):
    chat = Chat(bot_stack)
    chat.say("please cancel ORD-10001")
    chat.say(MARIA)
    assert "shall i cancel" in chat.say("ordered the wrong size")
    reply = chat.say("goodbye")
    assert "shall i cancel" not in reply
    assert_form_closed(chat)
    assert chat.order("ORD-10001")["status"] == "processing"


def test_never_mind_when_asked_for_the_return_reason(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I want to return the daypack")
    chat.say("ORD-10003")
    assert "reason" in chat.say(JOHN)
    reply = chat.say("oh never mind")
    assert "reason" not in reply and "to confirm" not in reply
    assert_form_closed(chat)
    assert chat.returned_items("ORD-10003") == []


def test_thanks_after_the_order_could_not_be_found(bot_stack):
    chat = Chat(bot_stack)
    chat.say("where is ORD-10004")
    assert "couldn't find" in chat.say(MARIA)
    reply = chat.say("ok thanks anyway")
    assert "email address" not in reply
    assert_form_closed(chat)


# --- corrections ----------------------------------------------------------------------------------


def test_right_number_wrong_email_asks_only_for_the_email(bot_stack):
    # The case: the bot asked for the order number again although it was right.
    chat = Chat(bot_stack)
    chat.say("where is my order")
    chat.say("ORD-10002")
    reply = chat.say("maria.garcia@example.org")
    assert "couldn't find" in reply and "what's your order number" not in reply
    reply = chat.say(MARIA)
    assert "1z4a7f290300100028" in reply  # tracking shown: the kept number was verified


def test_sorry_wrong_email_its(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I want to cancel ORD-10007 lukas.becker@example.co")
    assert chat.slots()["order_id"] == "ORD-10007"
    chat.say("sorry, wrong email, it's lukas.becker@example.com")
    assert chat.slots()["order_verified"] is True
    assert "why" in chat.replies[-1]


def test_no_wait_a_different_number_after_the_first_one(bot_stack):
    chat = Chat(bot_stack)
    chat.say("track ORD-10003")
    chat.say("sorry, I meant #10008")
    assert chat.slots()["order_id"] == "ORD-10008"
    assert "delivered" in chat.say(LUKAS)


def test_wrong_number_then_the_right_one_after_the_bot_could_not_find_it(bot_stack):
    chat = Chat(bot_stack)
    chat.say("track my order")
    chat.say("ORD-10009")
    assert "couldn't find" in chat.say(MARIA)
    chat.say("oh it's ORD-10001")
    chat.say(MARIA)
    assert chat.slots()["order_verified"] is True and chat.slots()["order_id"] == "ORD-10001"


def test_another_order_number_in_the_middle_of_the_address_form(bot_stack):
    chat = Chat(bot_stack)
    chat.say("change the delivery address of my order")
    chat.say("ORD-10001")
    assert "street" in chat.say(MARIA)
    reply = chat.say("oh wait, it's for ORD-10002 actually")
    # The same email verifies ORD-10002 (Maria's too), which has shipped: its address can't change.
    assert "ord-10002" in reply and "already shipped" in reply
    assert chat.order("ORD-10001")["shipping_address"]["line1"] == "418 Alder Street"


# --- free text where buttons were offered ---------------------------------------------------------


def test_the_tent_that_is_not_on_the_order_then_a_reason_then_the_item(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I want to return the tent I bought")
    chat.say("ORD-10003")
    reply = chat.say(JOHN)
    assert "no tent on ord-10003" in reply
    assert "trailhead 28 daypack" in reply and "basecamp merino tee" in reply
    assert "which item is that about" in chat.say("it's too small")
    confirmation = chat.say("the tee")
    assert "2 x basecamp merino tee from ord-10003 (reason: it's too small)" in confirmation
    chat.say("no")
    assert chat.returned_items("ORD-10003") == []


def test_the_blue_one(bot_stack):
    chat = Chat(bot_stack)
    chat.say("return an item")
    chat.say("ORD-10003 john.smith@example.com")
    assert "colours" in chat.say("the blue one")
    assert "reason" in chat.say("the daypack")


def test_both(bot_stack):
    chat = Chat(bot_stack)
    chat.say("i'd like to make a return")
    chat.say("10003")
    chat.say(JOHN)
    chat.say("both")
    confirmation = chat.say("neither of them fits")
    assert "1 x trailhead 28 daypack, 2 x basecamp merino tee" in confirmation
    chat.say("no thanks")
    assert chat.returned_items("ORD-10003") == []


def test_everything_but_the_gift_card(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I want to send some things back")
    chat.say("ORD-10008")
    chat.say(LUKAS)
    chat.say("everything but the gift card")
    chat.say("they're not what I expected")
    chat.say("yes")
    assert chat.returned_items("ORD-10008") == [[("LK-ACC-020", 1), ("LK-BTM-010", 1)]]


def test_an_item_not_on_the_order_when_asked_which_item(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I want to return something")
    chat.say("ORD-10003")
    chat.say(JOHN)
    reply = chat.say("the sleeping bag")
    assert "no sleeping bag on ord-10003" in reply and "trailhead 28 daypack" in reply


def test_a_request_that_names_an_item_of_the_order_skips_the_item_question(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I'd like to return the merino tees")
    chat.say("ORD-10003")
    reply = chat.say(JOHN)
    assert "reason" in reply and "which items" not in reply


# --- two misunderstandings in a row -----------------------------------------------------------------


def test_yes_twice_to_the_item_question_brings_a_person_not_a_third_question(bot_stack):
    chat = Chat(bot_stack)
    chat.say("return an item please")
    chat.say("ORD-10003")
    chat.say(JOHN)
    assert "couldn't match" in chat.say("yes")
    reply = chat.say("yes")
    assert "person" in reply and "which items" not in reply
    assert "passed our conversation to a person" in chat.say("yes")
    assert chat.handoffs() == 1


def test_two_answers_that_are_no_order_number(bot_stack):
    chat = Chat(bot_stack)
    chat.say("where's my package")
    assert "doesn't look like an order number" in chat.say("12345678")
    reply = chat.say("the one from last week")
    assert "person" in reply and "what's your order number" not in reply
    assert chat.active_loop() is None


# --- an order number or email out of the blue ----------------------------------------------------


def test_upset_customer_offered_a_person_then_types_the_order_number(bot_stack):
    # The case: the bot asked "what would you like to do with that order?" twice.
    chat = Chat(bot_stack)
    assert "person" in chat.say("this is ridiculous, my order still hasn't arrived and nobody helps me!!")
    chat.say("ORD-10002")
    chat.say(MARIA)
    assert chat.everything.count("what would you like to do with") <= 1
    assert chat.slots()["order_verified"] is True
    assert "1z4a7f290300100028" in chat.everything + chat.say("/track_order")


def test_an_email_first_then_the_order_number(bot_stack):
    chat = Chat(bot_stack)
    assert "order number" in chat.say(MARIA)
    chat.say("ORD-10001")
    assert chat.everything.count("what would you like to do with") == 1
    assert chat.slots()["order_verified"] is True


def test_an_order_number_joins_the_request_asked_before(bot_stack):
    chat = Chat(bot_stack)
    chat.say("where is my order")
    chat.say("hang on, I need to find it, never mind for now")
    chat.say("ORD-10002")
    reply = chat.say(MARIA)
    assert "1z4a7f290300100028" in reply  # tracked: the request it belongs to
    assert "what would you like to do" not in chat.everything


def test_order_number_and_email_together_out_of_the_blue(bot_stack):
    chat = Chat(bot_stack)
    reply = chat.say("ORD-10003 john.smith@example.com")
    assert "what would you like to do with" in reply
    assert "trailhead 28 daypack" in chat.say("/return_item")


# --- the refund asked about twice ---------------------------------------------------------------


def test_when_do_i_get_the_money_back_after_a_completed_refund(bot_stack):
    chat = Chat(bot_stack)
    chat.say("I'd like to check my refund")
    chat.say("ORD-10005")
    assert "refunds on ord-10005" in chat.say(AIKO)
    reply = chat.say("so when do I actually get the money back?")
    assert "refunds on" not in reply
    assert chat.everything.count("rf-30001: ") == 1


# --- another language ----------------------------------------------------------------------------


def test_spanish_gets_english_and_a_person(bot_stack):
    chat = Chat(bot_stack)
    reply = chat.say("Hola, ¿dónde está mi pedido?")
    assert ENGLISH_ONLY in reply and "person" in reply
    chat.say("/contact_human_agent")
    assert chat.handoffs() == 1


def test_german_while_asked_for_the_email_then_the_email(bot_stack):
    chat = Chat(bot_stack)
    chat.say("track ORD-10002")
    reply = chat.say("Entschuldigung, ich verstehe das nicht")
    assert ENGLISH_ONLY in reply
    chat.say(MARIA)
    assert chat.slots()["order_verified"] is True


def test_short_english_is_not_taken_for_another_language(bot_stack):
    chat = Chat(bot_stack)
    for text in ("ok", "my card got declined", "Granite Mid Hiking Boots", "u guys suck"):
        assert ENGLISH_ONLY not in chat.say(text), text


# --- what stays as it was --------------------------------------------------------------------------


def test_thanks_after_a_finished_request_is_still_welcome(bot_stack):
    chat = Chat(bot_stack)
    chat.say("track ORD-10003 john.smith@example.com")
    assert "welcome" in chat.say("thanks!") or "happy to help" in chat.replies[-1]


def test_goodbye_with_nothing_going_on(bot_stack):
    chat = Chat(bot_stack)
    chat.say("hi")
    reply = chat.say("bye")
    assert "bye" in reply or "take care" in reply


def test_a_knowledge_answer_keeps_its_sources_payload_on_rest(bot_stack):
    sender = bot_stack.new_sender()
    messages = bot_stack.say(sender, "is the Ridgeline 2 Tent waterproof?")
    custom = [message["custom"] for message in messages if "custom" in message]
    assert custom and "sources" in custom[0]
    assert not any("Sources:" in (message.get("text") or "") for message in messages)
