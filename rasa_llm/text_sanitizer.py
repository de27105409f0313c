"""Cuts overlong messages before the NLU pipeline reads them.

Rasa runs the NLU pipeline on its event loop: while one message is parsed, no other conversation
moves. The cost of parsing grows with the text, for some components faster than linearly (a
transformer's attention; regular expressions with nested repetition, such as a common email
pattern, which need minutes on 100,000 characters). Channels cap what they accept differently or
not at all (Rasa's REST channel takes 100 MB), so the cap belongs in the pipeline, where every
channel passes: the pipeline reads at most `max_characters`, cut at a word boundary. No customer
question needs more; the tracker still keeps the message as sent.

    pipeline:
      - name: rasa_llm.message_length_limit.MessageLengthLimit
        max_characters: 2000
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

MAX_CHARACTERS = "max_characters"


def cut_text(text: str, max_characters: int) -> str:
    """`text` if short enough, else its first `max_characters` characters, ending at a word
    boundary when there is one in the last tenth (a word cut in half would read as a typo)."""
    if len(text) <= max_characters:
        return text
    cut = text[:max_characters]
    boundary = cut.rfind(" ", max_characters - max_characters // 10)
    return cut[:boundary] if boundary > 0 else cut


# A (non-trainable) intent classifier: that type runs at inference in pipeline order and costs no
# training node; listed first, it runs before the tokenizer.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageLengthLimit(GraphComponent):
    """Shortens the text the pipeline reads to `max_characters`."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {MAX_CHARACTERS: 2000}

    def __init__(self, max_characters: int) -> None:
        if not isinstance(max_characters, int) or max_characters < 1:
            raise InvalidConfigException(f"MessageLengthLimit: {MAX_CHARACTERS} must be a positive integer, "
                                         f"not {max_characters!r}.")
        self._max_characters = max_characters

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLengthLimit:
        return cls(config[MAX_CHARACTERS])

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self._max_characters:
                logger.info("A message of %d characters was cut to %d for the NLU pipeline.",
                            len(text), self._max_characters)
                message.set(TEXT, cut_text(text, self._max_characters))
        return messages
