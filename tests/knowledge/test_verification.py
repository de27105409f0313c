"""The faithfulness check: generated answers may only say what the retrieved passages say."""
from __future__ import annotations

import pytest

from rasa_llm.knowledge.encoder import SentenceEncoder
from rasa_llm.knowledge.prompt import SYSTEM_PROMPT
from rasa_llm.knowledge.text import content_words
from rasa_llm.knowledge.verification import (
    FaithfulnessChecker,
    clean_generation,
    extract_facts,
    extract_names,
    strip_unknown_urls,
)
from tests.knowledge.conftest import ConstantEncoder

SHIPPING = (
    "We offer three shipping speeds in the US. Standard shipping takes 3–5 business days and costs $4.95. "
    "Express shipping takes 1–2 business days and costs $12.95. Next-day delivery costs $19.95 when you "
    "order by 2 pm ET on a business day."
)
CANCEL = (
    "You can cancel an order only while it is processing, before it ships. An order that has already "
    "shipped cannot be cancelled, but you can return it within 30 days of delivery."
)
TENT = "Ridgeline 2 Tent (SKU LK-TNT-201) is one of our tents and costs $289.00. Sizes: 2-person."


REFUND = (
    "Refunds always go to the original payment method: a card payment is refunded to the same card, a "
    "PayPal payment to the same PayPal account. We cannot refund to a different card or pay out cash."
)
CHAIR = (
    "Trail Camp Chair (SKU LK-CMP-030) is one of our camp kitchen gear and costs $59.00. "
    "Specs: weight 1.0 kg."
)
USED_GEAR = (
    "Items must be unworn and unused, with their original tags still attached. Outdoor gear such as tents, "
    "stoves and sleeping bags must not have been used outdoors: a tent you camped in cannot be returned."
)


@pytest.fixture
def checker() -> FaithfulnessChecker:
    # Similarity is tested on its own below; here every answer is "close" to its sources.
    return FaithfulnessChecker(ConstantEncoder(), min_similarity=0.5)


@pytest.mark.parametrize(
    "answer, sources",
    [
        ("Express shipping costs $12.95 and takes 1–2 business days.", [SHIPPING]),
        ("Standard shipping costs $4.95.", [SHIPPING]),
        ("The Ridgeline 2 Tent costs $289.", [TENT]),
        ("An order that has already shipped cannot be cancelled.", [CANCEL]),
        # Denied by one sentence and restricted ("only while it is processing") by the other.
        ("You cannot cancel an order that has shipped.", [CANCEL]),
    ],
)
def test_answers_that_restate_their_sources_pass(
    checker: FaithfulnessChecker, answer: str, sources: list
) -> None:
    assert checker.check(answer, sources).supported


@pytest.mark.parametrize(
    "answer, sources, reason",
    [
        ("The Ridgeline 2 Tent costs $249.", [TENT], "unsupported price $249"),
        ("The Ridgeline 3 Tent costs $289.", [TENT], "unsupported number 3"),
        ("We ship with FedEx.", [SHIPPING], "unsupported name 'FedEx'"),
        ("Express shipping takes 3 weeks.", [SHIPPING], "unsupported duration 3 weeks"),
        ("Express shipping is 10% off today.", [SHIPPING], "unsupported percentage"),
        # True facts attached to the wrong thing: the price of next-day, the word of standard.
        ("Standard delivery costs $19.95.", [SHIPPING], "ungrounded sentence"),
        # The negation flipped (and "shipped"/"ships", "cancel"/"cancelled" are the same words).
        ("Yes, an order that has already shipped can be cancelled.", [CANCEL], "ungrounded sentence"),
        ("Yes, you can cancel an order that has shipped.", [CANCEL], "ungrounded sentence"),
        # A restriction alone does not tell which case is denied: this one is allowed.
        ("An order cannot be cancelled while it is processing.", [CANCEL], "ungrounded sentence"),
        ("The customer wants to know how much shipping is.", [SHIPPING], "ungrounded sentence"),
        ("Express shipping costs $12.95 and takes 1 business day.", [SHIPPING], "ungrounded sentence"),
        ("", [SHIPPING], "empty answer"),
    ],
)
def test_invented_or_mixed_up_facts_are_rejected(
    checker: FaithfulnessChecker, answer: str, sources: list, reason: str
) -> None:
    verdict = checker.check(answer, sources)
    assert not verdict.supported
    assert verdict.reason.startswith(reason)


def test_an_answer_that_repeats_the_instructions_is_rejected(checker: FaithfulnessChecker) -> None:
    verdict = checker.check(SYSTEM_PROMPT, [SHIPPING])
    assert verdict.reason == "repeats the instructions"


def test_an_answer_far_from_its_sources_in_meaning_is_rejected(encoder: SentenceEncoder) -> None:
    checker = FaithfulnessChecker(encoder, min_similarity=0.55, min_sentence_support=0.0)

    related = checker.check("Express shipping takes 1–2 business days and costs $12.95.", [SHIPPING])
    unrelated = checker.check("Our tents are great for a trip to the mountains.", [SHIPPING])

    assert related.supported and max(related.similarities) > 0.55
    assert not unrelated.supported and unrelated.reason.startswith("similarity")


def test_facts_are_normalized_before_comparing() -> None:
    facts = extract_facts("Thirty days, $1,200.00, 5-7 business days, twenty-four hours and 15 percent.")

    assert facts.prices == {"1200"}
    assert facts.percents == {"15"}
    assert {("30", "day"), ("5", "day"), ("7", "day"), ("24", "hour")} <= facts.durations


def test_content_words_ignore_inflection_punctuation_and_stopwords() -> None:
    assert content_words("The orders shipped, costing $4.95.") == content_words("order ships cost 4.95")


def test_names_are_runs_of_capitalized_words() -> None:
    names = extract_names(
        "Yes, the Emberline 20 is warm. We accept Visa, Mastercard and PayPal. Larkspur's Headlamp 400 ships."
    )
    assert names == ["Emberline 20", "Visa", "Mastercard", "PayPal", "Headlamp 400"]


def test_links_missing_from_the_sources_are_removed() -> None:
    answer = "See [our policy](http://evil.example/refund) or https://larkspur.example/returns for details."
    cleaned = strip_unknown_urls(answer, ["Returns are explained at https://larkspur.example/returns."])

    assert "evil" not in cleaned
    assert "our policy" in cleaned
    assert "https://larkspur.example/returns" in cleaned


def test_raw_output_is_cut_before_invented_follow_up_turns() -> None:
    raw = "You can return items within 30 days.\n\nQuestion: and what about socks?"
    assert clean_generation(raw, 2) == "You can return items within 30 days."
    assert (
        clean_generation("It costs $4.95. Express is faster. And the", 3)
        == "It costs $4.95. Express is faster."
    )
    assert clean_generation("Customer: ignore that", 1) == ""
    assert clean_generation("We sell the Ridgeline 2 Tent ($289.00), the Ridgeline 3", 1) == ""
    assert clean_generation('Click "Forgot password."', 1) == 'Click "Forgot password."'


ACCOUNT = "You do not need an account to order: guest checkout works with just an email address."
HEADLAMP = (
    "Headlamp 400 (SKU LK-ACC-050) is one of our accessories and costs $49.00. Specs: brightness 400 lumens."
)
BASECAMP = (
    "Basecamp 4 Family Tent (SKU LK-TNT-402) is one of our tents and costs $429.00. "
    "Specs: weight 6.8 kg; waterproof rating 2000 mm."
)


CHAIR = (
    "Folding Camp Chair (SKU LK-CMP-040) is one of our camp kitchen and costs $99.00. "
    "Specs: weight 1.0 kg; max load 120 kg."
)


def test_a_true_number_under_the_customers_verb_is_rejected(checker) -> None:
    # "hold" is the customer's word; the sources give 1.0 kg as the chair's weight, not its load
    assert not checker.check("The folding camp chair can hold 1.0 kg.", [CHAIR]).supported


def test_a_flipped_negation_is_rejected(checker) -> None:
    assert not checker.check("You can cancel an order that has shipped.", [CANCEL]).supported


@pytest.mark.parametrize("answer", [
    "The headlamp is one of our most popular accessories and costs $49.00.",
    "We accept all payment methods.",
    "Shipping is free.",
])
def test_a_claim_word_without_a_source_is_rejected(checker, answer: str) -> None:
    verdict = checker.check(answer, [HEADLAMP, SHIPPING])
    assert not verdict.supported and "claim" in verdict.reason


def test_a_number_of_a_product_name_does_not_need_to_be_in_the_fact_sentence(checker) -> None:
    assert checker.check("The basecamp 4 tent has a waterproof rating of 2000 mm.", [BASECAMP]).supported
    assert not checker.check("The basecamp 4 tent has a waterproof rating of 3000 mm.", [BASECAMP]).supported


def test_a_paraphrase_in_the_customers_words_passes_but_not_a_flipped_one(encoder: SentenceEncoder) -> None:
    checker = FaithfulnessChecker(encoder, min_similarity=0.5)
    question = "can the refund go to a different credit card?"

    assert checker.check("We cannot refund to a different credit card.", [REFUND], question).supported
    # "credit" is the customer's word: without the question it is a word from nowhere.
    assert not checker.check("We cannot refund to a different credit card.", [REFUND]).supported
    flipped = checker.check("Yes, the refund can go to a different credit card.", [REFUND], question)
    assert flipped.reason.startswith("ungrounded sentence")


def test_the_customers_words_get_no_allowance_next_to_a_number(encoder: SentenceEncoder) -> None:
    checker = FaithfulnessChecker(encoder, min_similarity=0.5)
    question = "how much weight can the camp chair hold"

    verdict = checker.check("The camp chair can hold 1.0 kg.", [CHAIR], question)

    assert verdict.reason.startswith("ungrounded sentence")


def test_the_customers_words_need_a_sentence_close_in_meaning(encoder: SentenceEncoder) -> None:
    # Word for word, "camping" and "gear" are in a sentence that says "cannot"; but it is about
    # returning used gear, and whether the shop rents gear out is nowhere in the sources.
    checker = FaithfulnessChecker(encoder, min_similarity=0.3)

    question = "do you rent out camping gear"

    verdict = checker.check("No, you cannot rent out camping gear.", [USED_GEAR], question)

    assert verdict.reason.startswith("ungrounded sentence")
