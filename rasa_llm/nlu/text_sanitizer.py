"""Makes the text the NLU pipeline reads safe to process: valid Unicode, and not too long.

- Valid Unicode: JSON lets a client send a lone surrogate (`"\ud800"`), which Python keeps in a
  str but which Rust-based tokenizers (Hugging Face `tokenizers`) refuse with a TypeError; the
  message then got no reply at all. Lone surrogates become U+FFFD.
- Not too long: Rasa runs the NLU pipeline on its event loop, so while one message is parsed no
  other conversation moves, and the cost of parsing grows with the text, for some components faster
  than linearly (a transformer's attention; regular expressions with nested repetition, such as a
  common email pattern, which need minutes on 100,000 characters). Channels cap what they accept
  differently or not at all (Rasa's REST channel takes 100 MB), so the cap belongs in the pipeline,
  where every channel passes: it reads at most `max_characters`, cut at a word boundary.

The tracker still keeps the message as sent; only what the pipeline reads is changed.

    pipeline:
      - name: rasa_llm.nlu.text_sanitizer.TextSanitizer
        max_characters: 2000
"""
from __future__ import annotations

import logging
import re
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
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def cut_text(text: str, max_characters: int) -> str:
    """`text` if short enough, else its first `max_characters` characters, ending at a word
    boundary when there is one in the last tenth (a word cut in half would read as a typo)."""
    if len(text) <= max_characters:
        return text
    cut = text[:max_characters]
    boundary = cut.rfind(" ", max_characters - max_characters // 10)
    return cut[:boundary] if boundary > 0 else cut


def sanitize_text(text: str, max_characters: int) -> str:
    """`text` as valid Unicode (lone surrogates replaced by U+FFFD), cut to `max_characters`."""
    return cut_text(_LONE_SURROGATE.sub("\ufffd", text), max_characters)


# A (non-trainable) intent classifier: that type runs at inference in pipeline order and costs no
# training node; listed first, it runs before the tokenizer.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TextSanitizer(GraphComponent):
    """Valid Unicode, at most `max_characters`: what the rest of the pipeline reads."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {MAX_CHARACTERS: 2000}

    def __init__(self, max_characters: int) -> None:
        if not isinstance(max_characters, int) or max_characters < 1:
            raise InvalidConfigException(f"TextSanitizer: {MAX_CHARACTERS} must be a positive integer, "
                                         f"not {max_characters!r}.")
        self._max_characters = max_characters

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextSanitizer:
        return cls(config[MAX_CHARACTERS])

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            sanitized = sanitize_text(text, self._max_characters)
            if sanitized != text:
                # Not the text itself: it is user input and may hold personal data.
                logger.info("A message of %d characters was sanitised for the NLU pipeline (%d characters).",
                            len(text), len(sanitized))
                message.set(TEXT, sanitized)
        return messages
