"""A trained intent + sentiment classifier: calibrated predictions, saving and loading.

Saved layout (one folder, written into Rasa's ModelStorage by the component):
    classifier.json   label maps, temperatures, max length, runtime name
    tokenizer/        the tokenizer files
    model.onnx        (ONNX runtimes) or model.safetensors + encoder_config/ (torch runtimes)
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rasa_llm.intent.calibration import softmax
from rasa_llm.intent.data import SENTIMENT_LABELS
from rasa_llm.intent.runtime import Logits, OnnxRuntime, TorchRuntime, load_runtime
from rasa_llm.intent.tokenization import BatchTokenizer

# 2: the sentiment head has its own layer mix and attention pooling (model.SentimentHead).
FORMAT_VERSION = 2
METADATA_FILE = "classifier.json"
TOKENIZER_DIR = "tokenizer"


@dataclass(frozen=True)
class Prediction:
    """Calibrated scores for one text; empty ranking and no sentiment for a blank text."""

    intent_ranking: list[tuple[str, float]]
    sentiment: tuple[str, float] | None


@dataclass(frozen=True)
class Calibration:
    """Temperatures dividing the logits; `sentiment` is None when no sentiment head was trained."""

    intent: float
    sentiment: float | None


class IntentSentimentClassifier:
    """Tokenizer + runtime + label maps + calibration: everything needed to classify texts."""

    def __init__(
        self,
        tokenizer: BatchTokenizer,
        runtime: TorchRuntime | OnnxRuntime,
        intents: Sequence[str],
        calibration: Calibration,
        batch_size: int = 64,
    ) -> None:
        self.tokenizer = tokenizer
        self.runtime = runtime
        self.intents = list(intents)
        self.calibration = calibration
        self.batch_size = batch_size

    @property
    def has_sentiment(self) -> bool:
        return self.calibration.sentiment is not None

    def logits(self, texts: Sequence[str]) -> Logits:
        """Raw logits for non-empty texts, batched by similar length so padding stays short."""
        encoded = self.tokenizer.encode(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        intent = np.zeros((len(texts), len(self.intents)), dtype=np.float32)
        sentiment = np.zeros((len(texts), len(SENTIMENT_LABELS)), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            input_ids, attention_mask = self.tokenizer.pad([encoded[i] for i in rows])
            intent[rows], sentiment[rows] = self.runtime.logits(input_ids, attention_mask)
        return intent, sentiment

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Calibrated intent ranking (all intents, best first) and sentiment for every text."""
        filled = [i for i, text in enumerate(texts) if text and text.strip()]
        predictions = [Prediction([], None) for _ in texts]
        if not filled:
            return predictions
        intent_logits, sentiment_logits = self.logits([texts[i] for i in filled])
        intent_probs = softmax(intent_logits, self.calibration.intent)
        sentiment_probs = (
            softmax(sentiment_logits, self.calibration.sentiment) if self.has_sentiment else None
        )
        for row, index in enumerate(filled):
            order = np.argsort(-intent_probs[row], kind="stable")
            ranking = [(self.intents[j], float(intent_probs[row, j])) for j in order]
            sentiment = None
            if sentiment_probs is not None:
                best = int(np.argmax(sentiment_probs[row]))
                sentiment = (SENTIMENT_LABELS[best], float(sentiment_probs[row, best]))
            predictions[index] = Prediction(ranking, sentiment)
        return predictions

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(folder / TOKENIZER_DIR)
        self.runtime.save(folder)
        metadata = {
            "format_version": FORMAT_VERSION,
            "intents": self.intents,
            "sentiment_labels": list(SENTIMENT_LABELS),
            "intent_temperature": self.calibration.intent,
            "sentiment_temperature": self.calibration.sentiment,
            "max_length": self.tokenizer.max_length,
            "runtime": self.runtime.name,
            "batch_size": self.batch_size,
        }
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, num_threads: int) -> IntentSentimentClassifier:
        """Rebuild a saved classifier; FileNotFoundError / ValueError when the folder is unusable."""
        metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
        if metadata.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"Saved classifier format {metadata.get('format_version')!r} is not "
                f"{FORMAT_VERSION}; retrain the model with this version of rasa-llm."
            )
        tokenizer = BatchTokenizer.from_pretrained(folder / TOKENIZER_DIR, metadata["max_length"])
        runtime = load_runtime(
            folder,
            metadata["runtime"],
            num_intents=len(metadata["intents"]),
            num_sentiments=len(metadata["sentiment_labels"]),
            num_threads=num_threads,
        )
        calibration = Calibration(metadata["intent_temperature"], metadata["sentiment_temperature"])
        return cls(tokenizer, runtime, metadata["intents"], calibration, metadata["batch_size"])
