"""Checks on the reference bot's NLU training data (data/nlu), read through Rasa's own loader."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from rasa.nlu.utils.pattern_utils import extract_patterns
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm.nlu.other_language_detector import OtherLanguageDetector

ROOT = Path(__file__).resolve().parents[1]
NLU_DIR = ROOT / "data" / "nlu"
DOMAIN = ROOT / "domain.yml"
PRODUCTS = ROOT / "data" / "knowledge" / "products.yml"

INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "inform",
    "track_order",
    "cancel_order",
    "change_order",
    "change_shipping_address",
    "return_item",
    "get_refund",
    "track_refund",
    "check_refund_policy",
    "delivery_options",
    "delivery_period",
    "check_payment_methods",
    "payment_issue",
    "get_invoice",
    "complaint",
    "contact_human_agent",
    "place_order",
    "recover_password",
    "stop",
    "product_question",
    "shop_question",
    "out_of_scope",
}
ENTITIES = {"order_id", "email", "product"}
SENTIMENTS = {"negative", "neutral", "positive"}
MIN_EXAMPLES_PER_INTENT = 25
MIN_LABELLED = 300
MIN_PER_LABEL = 80
MIN_MIXED_INTENTS = 10


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    return load_data(str(NLU_DIR))


@pytest.fixture(scope="module")
def examples(training_data: TrainingData) -> list[Message]:
    return list(training_data.intent_examples)


def _example_sentiment(message: Message) -> str | None:
    """Per-example label only; Rasa keeps it under metadata["example"]."""
    example_meta = (message.get("metadata") or {}).get("example") or {}
    return example_meta.get("sentiment")


def _effective_sentiment(message: Message) -> str | None:
    """Per-example label, else the intent's default under metadata["intent"]."""
    metadata = message.get("metadata") or {}
    return _example_sentiment(message) or (metadata.get("intent") or {}).get("sentiment")


def _catalogue_names() -> set[str]:
    products = yaml.safe_load(PRODUCTS.read_text(encoding="utf-8"))["products"]
    return {product["name"] for product in products}


def test_every_intent_has_enough_examples(examples: list[Message]) -> None:
    counts = Counter(m.get("intent") for m in examples)
    assert set(counts) == INTENTS
    too_few = {intent: n for intent, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT}
    assert not too_few, f"intents below {MIN_EXAMPLES_PER_INTENT} examples: {too_few}"


def test_no_text_belongs_to_two_intents_or_repeats(examples: list[Message]) -> None:
    intents_by_text: dict[str, list[str]] = defaultdict(list)
    for message in examples:
        intents_by_text[message.get("text").strip().lower()].append(message.get("intent"))
    repeated = {text: intents for text, intents in intents_by_text.items() if len(intents) > 1}
    assert not repeated, f"texts listed more than once: {repeated}"


def test_entity_annotations_use_known_entities(examples: list[Message]) -> None:
    used = {entity["entity"] for m in examples for entity in m.get("entities") or []}
    assert used == ENTITIES


def test_annotations_are_found_by_the_regexes_and_lookup(training_data: TrainingData) -> None:
    patterns = {r["name"]: r["pattern"] for r in training_data.regex_features}
    assert set(patterns) == {"order_id", "email"}
    lookup = {t["name"]: t["elements"] for t in training_data.lookup_tables}
    product_names = {name.lower() for name in lookup["product"]}

    for message in training_data.intent_examples:
        text = message.get("text")
        for entity in message.get("entities") or []:
            value = entity["value"]
            assert text[entity["start"] : entity["end"]] == value
            if entity["entity"] == "product":
                assert value.lower() in product_names, f"{value!r} is not in the lookup table"
                continue
            spans = [
                (match.start(), match.end())
                for match in re.finditer(patterns[entity["entity"]], text, flags=re.IGNORECASE)
            ]
            assert (
                entity["start"],
                entity["end"],
            ) in spans, f"regex {entity['entity']} does not extract {value!r} from {text!r}"


def test_every_pattern_match_is_annotated(training_data: TrainingData) -> None:
    """An unannotated id, email or product name in a training text would teach extractors it is not one.

    Uses Rasa's own pattern builder, so lookup entries get the same word-boundary regex as in
    RegexEntityExtractor.
    """
    for pattern in extract_patterns(training_data, use_only_entities=True):
        for message in training_data.intent_examples:
            text = message.get("text")
            annotated = {
                (e["start"], e["end"])
                for e in message.get("entities") or []
                if e["entity"] == pattern["name"]
            }
            for match in re.finditer(pattern["pattern"], text, flags=re.IGNORECASE):
                span = (match.start(), match.end())
                assert span in annotated, f"{pattern['name']} {match.group()!r} is not annotated in {text!r}"


def _order_id_pattern(training_data: TrainingData) -> str:
    return next(r["pattern"] for r in training_data.regex_features if r["name"] == "order_id")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ORD-10003", "ORD-10003"),
        ("is ord 10003 shipped", "ord 10003"),
        ("ord-10003", "ord-10003"),
        ("ORD10003?", "ORD10003"),
        ("order #10003 please", "#10003"),
        ("it's 10003.", "10003"),
    ],
)
def test_order_id_regex_accepts_the_shapes_customers_type(
    training_data: TrainingData, text: str, expected: str
) -> None:
    match = re.search(_order_id_pattern(training_data), text, flags=re.IGNORECASE)
    assert match is not None and match.group() == expected


@pytest.mark.parametrize(
    "text",
    [
        "call me at 5551234567",
        "ORD-123",
        "order 1234",
        "it costs 123456",
        "refund RF-30002",
        "return RET-20001",
        "handoff HO-40001",
    ],
)
def test_order_id_regex_rejects_non_ids(training_data: TrainingData, text: str) -> None:
    assert not re.search(_order_id_pattern(training_data), text, flags=re.IGNORECASE)


def test_product_lookup_lists_only_catalogue_names(training_data: TrainingData) -> None:
    lookup = next(t for t in training_data.lookup_tables if t["name"] == "product")
    assert lookup["elements"], "empty product lookup table"
    unknown = set(lookup["elements"]) - _catalogue_names()
    assert not unknown, f"not catalogue product names: {unknown}"


def test_every_example_has_a_valid_sentiment(examples: list[Message]) -> None:
    invalid = [
        (m.get("text"), _effective_sentiment(m))
        for m in examples
        if _effective_sentiment(m) not in SENTIMENTS
    ]
    assert not invalid, invalid[:10]


def test_explicit_sentiment_labels_are_plentiful_balanced_and_mixed(
    examples: list[Message],
) -> None:
    labelled = [m for m in examples if _example_sentiment(m) is not None]
    per_label = Counter(_example_sentiment(m) for m in labelled)
    assert len(labelled) >= MIN_LABELLED, per_label
    assert set(per_label) == SENTIMENTS
    assert min(per_label.values()) >= MIN_PER_LABEL, per_label

    labels_by_intent: dict[str, set[str]] = defaultdict(set)
    for message in examples:
        labels_by_intent[message.get("intent")].add(_effective_sentiment(message))
    mixed = [intent for intent, labels in labels_by_intent.items() if len(labels) >= 2]
    assert len(mixed) >= MIN_MIXED_INTENTS, labels_by_intent


@pytest.mark.skipif(not DOMAIN.exists(), reason="domain.yml not written yet")
def test_data_and_domain_list_the_same_intents(examples: list[Message]) -> None:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    domain_intents = {next(iter(item)) if isinstance(item, dict) else item for item in domain["intents"]}
    # Intents a pipeline component sets itself (rasa_llm.OtherLanguageDetector) have no examples.
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    set_by_components = {
        {**OtherLanguageDetector.get_default_config(), **component}["intent"]
        for component in config["pipeline"] if component["name"] == "rasa_llm.OtherLanguageDetector"
    }
    assert {m.get("intent") for m in examples} == domain_intents - set_by_components
