"""Training examples for the intent + sentiment model: sentiment labels and the validation split.

Sentiment labels travel in Rasa's NLU YAML as metadata. Rasa's loader stores an intent's `metadata`
under `{"intent": ...}` and an example's under `{"example": ...}` in the message's `metadata`; the
example's label overrides its intent's default.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
SENTIMENT_KEY = "sentiment"


class TrainingDataError(ValueError):
    """The training data cannot train the classifier (with a message saying how to fix it)."""


@dataclass(frozen=True)
class Example:
    """One training message: its text, its intent and, where labelled, its sentiment."""

    text: str
    intent: str
    sentiment: str | None = None


def _label_in(metadata: Any) -> str | None:
    if not isinstance(metadata, Mapping) or SENTIMENT_KEY not in metadata:
        return None
    label = metadata[SENTIMENT_KEY]
    if label not in SENTIMENT_LABELS:
        raise TrainingDataError(
            f"Unknown sentiment label {label!r} in NLU metadata; use one of "
            f"{', '.join(SENTIMENT_LABELS)} (e.g. `metadata: {{sentiment: negative}}`)."
        )
    return label


def sentiment_from_metadata(metadata: Any) -> str | None:
    """The sentiment label of an example, from a Rasa message's `metadata` value, or None.

    `metadata` is `{"intent": <intent metadata>, "example": <example metadata>}` as Rasa's YAML
    reader builds it; metadata without a `sentiment` key (or not a mapping) carries no label.
    """
    if not isinstance(metadata, Mapping):
        return None
    example_label = _label_in(metadata.get("example"))
    intent_label = _label_in(metadata.get("intent"))
    return example_label if example_label is not None else intent_label


def check_trainable(examples: Sequence[Example]) -> list[str]:
    """The sorted intent names, after checking there are at least two of them."""
    intents = sorted({example.intent for example in examples})
    if len(intents) < 2:
        found = f"only {intents[0]!r}" if intents else "none"
        raise TrainingDataError(
            "An intent classifier needs NLU examples for at least two intents, found "
            f"{found}. Add examples of more intents to your NLU data."
        )
    return intents


def stratified_split(
    examples: Sequence[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Split into (train, validation), holding out about `fraction` of every intent.

    Every intent keeps at least one training example, so intents with a single example are never
    held out; the split depends only on the examples and the seed.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"The validation fraction must be in [0, 1), got {fraction}.")
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    train: list[Example] = []
    validation: list[Example] = []
    for intent in sorted(by_intent):
        group = sorted(by_intent[intent], key=lambda e: (e.text, e.sentiment or ""))
        rng.shuffle(group)
        held_out = min(int(round(len(group) * fraction)), len(group) - 1)
        validation.extend(group[:held_out])
        train.extend(group[held_out:])
    return train, validation


def class_weights(labels: Sequence[str], classes: Sequence[str]) -> list[float]:
    """Inverse-frequency weights (`n / (k * n_c)`, as scikit-learn's "balanced"); 0 when absent."""
    counts = Counter(labels)
    present = sum(1 for name in classes if counts[name])
    total = len(labels)
    return [total / (present * counts[name]) if counts[name] else 0.0 for name in classes]
