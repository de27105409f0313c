"""Sentiment labels from Rasa metadata, the stratified split, class weights."""
from collections import Counter

import pytest

from rasa_llm.intent.data import (
    Example,
    TrainingDataError,
    check_trainable,
    class_weights,
    sentiment_from_metadata,
    stratified_split,
)


def test_intent_metadata_is_the_default_and_example_metadata_overrides_it():
    assert sentiment_from_metadata({"intent": {"sentiment": "negative"}}) == "negative"
    assert (
        sentiment_from_metadata(
            {"intent": {"sentiment": "neutral"}, "example": {"sentiment": "positive"}}
        )
        == "positive"
    )
    assert sentiment_from_metadata({"example": {"sentiment": "negative"}}) == "negative"


@pytest.mark.parametrize(
    "metadata",
    [None, {}, "free text", {"intent": "a note"}, {"example": {"source": "chat log"}}],
)
def test_metadata_without_a_sentiment_carries_no_label(metadata):
    assert sentiment_from_metadata(metadata) is None


def test_an_unknown_sentiment_label_is_a_clear_error():
    with pytest.raises(TrainingDataError, match="'angry'.*negative, neutral, positive"):
        sentiment_from_metadata({"example": {"sentiment": "angry"}})


def test_fewer_than_two_intents_is_a_clear_error():
    with pytest.raises(TrainingDataError, match="at least two intents, found only 'greet'"):
        check_trainable([Example("hi", "greet"), Example("hello", "greet")])
    with pytest.raises(TrainingDataError, match="found none"):
        check_trainable([])
    assert check_trainable([Example("hi", "greet"), Example("bye", "goodbye")]) == [
        "goodbye",
        "greet",
    ]


def _examples(counts):
    return [Example(f"{intent} {i}", intent) for intent, n in counts.items() for i in range(n)]


def test_split_holds_out_the_fraction_of_every_intent_and_keeps_one_to_train():
    examples = _examples({"big": 20, "small": 4, "single": 1})
    train, validation = stratified_split(examples, 0.25, seed=3)
    assert Counter(e.intent for e in validation) == {"big": 5, "small": 1}
    assert Counter(e.intent for e in train) == {"big": 15, "small": 3, "single": 1}
    assert sorted(train + validation, key=lambda e: e.text) == sorted(examples, key=lambda e: e.text)


def test_split_depends_on_the_seed_not_the_input_order():
    examples = _examples({"a": 10, "b": 10})
    first = stratified_split(examples, 0.3, seed=1)
    assert stratified_split(list(reversed(examples)), 0.3, seed=1) == first
    assert stratified_split(examples, 0.3, seed=2) != first


def test_class_weights_are_balanced_and_zero_for_absent_classes():
    weights = class_weights(["a", "a", "a", "b"], ["a", "b", "c"])
    assert weights == pytest.approx([4 / 6, 4 / 2, 0.0])
