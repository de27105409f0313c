"""Rasa graph component: a message not written in English gets the intent `other_language`.

The bot only speaks English; a rule answers `other_language` by saying so and offering a person. At
`rasa train` the component keeps the words of the NLU training data (examples and lookup tables) as
its English vocabulary; at parse time a message with less than half its words in it is handed to
langid.py (rasa_llm.language.detector). Place it after the intent classifier and before the
FallbackClassifier:

    - name: rasa_llm.OtherLanguageDetector
      intent: other_language     # the intent set for a message in another language
      min_known_share: 0.5       # share of known words that makes a message English
      min_probability: 0.3       # how sure langid.py must be of another language
      min_single_word_probability: 0.9   # the same for a message of one word ("dunno", "bonsoir")

The classifier's intent ranking is replaced (its runner-up would make the FallbackClassifier call the
message ambiguous). A message in another language also loses the classifier's `sentiment` entity: a
sentiment read from words the classifier was never trained on would be a guess. Button payloads
("/affirm") are left alone.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_llm.language.detector import ENGLISH, LanguageDetector

logger = logging.getLogger(__name__)

LANGUAGE = "language"  # the detected language code, added to the parse data of other-language messages
SENTIMENT_ENTITY = "sentiment"
VOCABULARY_FILE = "vocabulary.json"


def vocabulary_texts(training_data: TrainingData) -> list[str]:
    """The English texts the vocabulary is made of: the examples and the lookup tables' entries."""
    texts = [message.get(TEXT) for message in training_data.training_examples if message.get(TEXT)]
    for table in training_data.lookup_tables:
        elements = table.get("elements")
        if isinstance(elements, list):
            texts.extend(str(element) for element in elements)
    return texts


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class OtherLanguageDetector(GraphComponent):
    """Sets `intent` (default `other_language`) on messages that are not in English."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent": "other_language", "min_known_share": 0.5, "min_probability": 0.3,
            "min_single_word_probability": 0.9,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["py3langid"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._detector = detector

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OtherLanguageDetector:
        return cls(config, model_storage, resource)

    def _settings(self) -> dict[str, float]:
        keys = ("min_known_share", "min_probability", "min_single_word_probability")
        return {key: float(self.config[key]) for key in keys}

    def train(self, training_data: TrainingData) -> Resource:
        self._detector = LanguageDetector.from_texts(vocabulary_texts(training_data), **self._settings())
        with self._model_storage.write_to(self._resource) as folder:
            (folder / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self._detector.vocabulary)), encoding="utf-8"
            )
        logger.info("%s English words known to the language detector.", len(self._detector.vocabulary))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OtherLanguageDetector:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as folder:
                vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            logger.warning(
                "The model has no vocabulary for OtherLanguageDetector: every message counts as English."
            )
            return component
        component._detector = LanguageDetector(frozenset(vocabulary), **component._settings())
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self._detector is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.lstrip().startswith(INTENT_MESSAGE_PREFIX):
                continue
            language = self._detector.language(text)
            if language != ENGLISH:
                self._mark(message, language)
        return messages

    def _mark(self, message: Message, language: str) -> None:
        intent = {INTENT_NAME_KEY: self.config["intent"], PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, intent, add_to_output=True)
        # The classifier's ranking goes: its confidences on words it never learnt mean nothing, and a
        # runner-up close to 1.0 would make the FallbackClassifier call the message ambiguous.
        message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        entities = [
            e for e in message.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_TYPE) != SENTIMENT_ENTITY
        ]
        message.set(ENTITIES, entities, add_to_output=True)
        message.set(LANGUAGE, language, add_to_output=True)
