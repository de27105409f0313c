"""Confidence calibration: temperature scaling and expected calibration error.

A fine-tuned classifier is over-confident; dividing its logits by one temperature fitted on held-out
data (Guo et al., 2017) keeps the ranking and makes "confidence 0.7" mean right about 70% of the time,
which is what a `FallbackClassifier` threshold assumes.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_TEMPERATURE_GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 400))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `logits / temperature`, numerically stable."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: Sequence[int], temperature: float) -> float:
    """Mean negative log-likelihood of the true labels at `temperature`."""
    probabilities = softmax(logits, temperature)
    picked = probabilities[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, labels: Sequence[int]) -> float:
    """The temperature minimising validation NLL (1.0 when there is nothing to fit on).

    A grid search over a log-spaced range: one parameter, a few hundred softmaxes of a small matrix,
    deterministic and free of optimiser settings.
    """
    if len(labels) == 0:
        return 1.0
    # With every validation prediction right, NLL keeps falling as T -> 0: it would make the model
    # certain of everything (and FallbackClassifier useless) on the evidence of a few easy examples.
    if (np.asarray(logits).argmax(axis=-1) == np.asarray(labels)).all():
        return 1.0
    losses = [negative_log_likelihood(logits, labels, float(t)) for t in _TEMPERATURE_GRID]
    return float(_TEMPERATURE_GRID[int(np.argmin(losses))])


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE: the bin-size-weighted gap between mean confidence and accuracy over equal-width bins."""
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidences.size == 0:
        return 0.0
    # Bin i holds confidences in (edges[i], edges[i+1]]; a confidence of 0 goes to the first bin.
    bin_ids = np.clip(np.ceil(confidences * bins).astype(int) - 1, 0, bins - 1)
    error = 0.0
    for b in range(bins):
        in_bin = bin_ids == b
        if in_bin.any():
            error += in_bin.mean() * abs(confidences[in_bin].mean() - correct[in_bin].mean())
    return float(error)
