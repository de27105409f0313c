"""Rasa graph component: a fine-tuned transformer intent classifier with a sentiment head.

Use it in `config.yml` as `- name: rasa_llm.TransformerIntentClassifier`. It fine-tunes a local
Hugging Face encoder (default: the packaged all-MiniLM-L6-v2) inside `rasa train`, stores the result
in the model archive through `ModelStorage`, and at parse time adds `intent`, `intent_ranking` (as
Rasa's own classifiers do) and `sentiment`. A confidently negative message also gets a `sentiment`
entity, so a categorical `sentiment` slot can fill from it and stories / rules can branch on it.

The model code lives in `rasa_llm.intent` and knows nothing about Rasa; this module translates
between Rasa's messages / storage and it.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.model import InvalidModelError
from rasa.shared.exceptions import InvalidConfigException, RasaException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    METADATA,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm.intent.classifier import IntentSentimentClassifier, Prediction
from rasa_llm.intent.config import check_component_config, component_defaults
from rasa_llm.intent.data import Example, TrainingDataError, sentiment_from_metadata
from rasa_llm.intent.fingerprint import folder_fingerprint, training_code_fingerprint
from rasa_llm.shared.models import ModelNotFoundError, default_encoder_path, resolve_model_path

logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"
NEGATIVE = "negative"

@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class TransformerIntentClassifier(IntentClassifier, GraphComponent):
    """Fine-tunes a transformer encoder for intents (and sentiment) during `rasa train`."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Nothing: the component tokenizes with its own model's tokenizer."""
        return []

    @staticmethod
    def required_packages() -> list[str]:
        """Packages needed to train and run; their versions are part of Rasa's cache key."""
        return ["torch", "transformers", "onnxruntime", "onnx"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config; each option is explained in `rasa_llm.intent.config`."""
        return component_defaults()

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        classifier: IntentSentimentClassifier | None = None,
    ) -> None:
        """Construct a classifier; `classifier` is the trained model, None before training."""
        self.name = name
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._classifier = classifier
        try:
            self._training_config = check_component_config(self.config)
        except ValueError as error:
            raise InvalidConfigException(f"TransformerIntentClassifier: {error}") from error

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TransformerIntentClassifier:
        """Creates a new untrained component (see parent class for full docstring)."""
        component = cls(config, execution_context.node_name, model_storage, resource)
        # Fail on a bad model path now, not after the featurizers have run.
        _encoder_folder(component.config)
        return component

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The encoder's files and the training code, which Rasa's cache key cannot see."""
        folder = _encoder_folder({**cls.get_default_config(), **config})
        return f"{folder_fingerprint(folder)}:{training_code_fingerprint(Path(__file__))}"

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune on the NLU examples, calibrate, and persist into the model storage."""
        from rasa_llm.intent.training import fit_classifier

        training_config = self._training_config
        try:
            self._classifier, report = fit_classifier(
                _examples(training_data), _encoder_folder(self.config), training_config
            )
        except TrainingDataError as error:
            raise RasaException(f"{self.__class__.__name__}: {error}") from error
        logger.info(
            "%s: %s training / %s validation examples, best epoch %s of %s, validation intent "
            "accuracy %s (%s runtime), temperatures %s.",
            self.__class__.__name__,
            report.train_size,
            report.validation_size,
            report.best_epoch,
            report.epochs_run,
            report.runtime_validation_accuracy,
            training_config.runtime,
            report.calibration,
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Add intent, intent ranking and sentiment to every message (one batched model call)."""
        texts = [message.get(TEXT) or "" for message in messages]
        if self._classifier is None:
            predictions = [Prediction([], None) for _ in messages]
        else:
            predictions = self._classifier.predict(texts)
        for message, text, prediction in zip(messages, texts, predictions, strict=True):
            self._set_intent(message, prediction)
            if self._classifier is not None and self._classifier.has_sentiment:
                self._set_sentiment(message, text, prediction)
        return messages

    def _set_intent(self, message: Message, prediction: Prediction) -> None:
        ranking = [
            {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
            for name, confidence in prediction.intent_ranking
        ]
        intent = ranking[0] if ranking else {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}
        if self.config["intent_ranking_length"] > 0:
            ranking = ranking[: self.config["intent_ranking_length"]]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def _set_sentiment(self, message: Message, text: str, prediction: Prediction) -> None:
        if prediction.sentiment is None:
            message.set(SENTIMENT, {"name": None, "confidence": 0.0}, add_to_output=True)
            return
        name, confidence = prediction.sentiment
        message.set(SENTIMENT, {"name": name, "confidence": confidence}, add_to_output=True)
        if name == NEGATIVE and confidence >= self.config["negative_sentiment_threshold"]:
            entity = {
                ENTITY_ATTRIBUTE_TYPE: SENTIMENT,
                ENTITY_ATTRIBUTE_VALUE: NEGATIVE,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: confidence,
                EXTRACTOR: self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)

    def persist(self) -> None:
        """Save the trained classifier into this component's resource in the model storage."""
        if self._classifier is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            self._classifier.save(Path(model_dir))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TransformerIntentClassifier:
        """Loads trained component (see parent class for full docstring)."""
        merged = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as model_dir:
                classifier = _load_classifier(Path(model_dir), merged)
        except ValueError:
            logger.warning(
                "%s: no trained model in resource '%s'; it will predict no intent until the model "
                "is trained.",
                cls.__name__,
                resource.name,
            )
            classifier = None
        return cls(config, execution_context.node_name, model_storage, resource, classifier)


def _load_classifier(model_dir: Path, config: dict[str, Any]) -> IntentSentimentClassifier:
    # Raised as InvalidModelError, which is not a ValueError: `load` must not mistake a broken
    # archive for a missing resource and silently serve an untrained classifier.
    try:
        return IntentSentimentClassifier.load(model_dir, config["inference_threads"])
    except (OSError, ValueError, KeyError) as error:
        raise InvalidModelError(
            f"TransformerIntentClassifier could not load its model from the archive ({error}). "
            "Retrain the model with `rasa train`."
        ) from error


def _encoder_folder(config: dict[str, Any]) -> Path:
    configured = config["model"]
    try:
        # The packaged default is looked up only when no model is configured, so a custom model
        # works without the package installed.
        folder = (
            resolve_model_path(configured, Path(configured), "encoder model folder")
            if configured
            else default_encoder_path()
        )
    except ModelNotFoundError as error:
        raise InvalidConfigException(f"TransformerIntentClassifier: {error}") from error
    if not (folder / "config.json").is_file():
        raise InvalidConfigException(
            f"TransformerIntentClassifier: '{folder}' is not a Hugging Face model folder "
            "(it has no config.json). Configure `model` as a folder saved with "
            "`save_pretrained`, holding config.json, the weights and the tokenizer."
        )
    return folder


def _examples(training_data: TrainingData) -> list[Example]:
    # Rasa's end-to-end importer adds intent-only messages from stories (no text): they cannot
    # train a text classifier.
    return [
        Example(
            text=message.get(TEXT),
            intent=message.get(INTENT),
            sentiment=sentiment_from_metadata(message.get(METADATA)),
        )
        for message in training_data.intent_examples
        if message.get(TEXT) and message.get(INTENT)
    ]
