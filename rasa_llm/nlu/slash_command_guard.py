"""Stops users from injecting intents and entities with Rasa's `/intent{"entity": "value"}` syntax.

Rasa's NLU graph ends with `RegexMessageHandler`, which turns any message starting with "/" into
the intent, entities and confidence written in it, whatever the classifier said. That is how
buttons work (a button's payload is sent as the message text), and how a user on a public channel
could type `/return_item{"order_id": "ORD-10003", "email": "..."}` to fill slots without the
extractors' checks or pick a confidence of their own.

This component goes first in the pipeline and rewrites such messages before anything reads them:
- `/<intent>` for an intent in `allowed_intents` (the button payloads) is kept;
- of its entities, only those in `allowed_entities` with a text value are kept (a button listing
  an order's items sends `/inform{"product": "Ridgeline 2 Tent"}`; the form validates the product
  against the order like a typed one), and a confidence (`/affirm@0.2`) is dropped;
- any other message starting with "/" loses its leading slashes, so the pipeline classifies it as
  text like any other message and `RegexMessageHandler` leaves it alone.

The tracker keeps the text the user sent; only the text the NLU pipeline reads is rewritten.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

# The parts RegexMessageHandler reads: the intent (everything after the "/" up to a "{" or "@"),
# an optional "@confidence" and an optional JSON object of entities.
_COMMAND_RE = re.compile(
    re.escape(INTENT_MESSAGE_PREFIX) + r"(?P<intent>[^{@]*)(?:@[^{]*)?(?P<entities>\{.*\})?", re.DOTALL
)
_LEADING_SLASHES_RE = re.compile(r"^[\s" + re.escape(INTENT_MESSAGE_PREFIX) + r"]+")


def _kept_entities(entities_json: str | None, allowed_entities: frozenset[str]) -> dict[str, str]:
    if not entities_json or not allowed_entities:
        return {}
    try:
        entities = json.loads(entities_json)
    except ValueError:
        return {}
    if not isinstance(entities, dict):
        return {}
    return {
        name: value for name, value in entities.items() if name in allowed_entities and isinstance(value, str)
    }


def guard_slash_command(
    text: str, allowed_intents: frozenset[str], allowed_entities: frozenset[str] = frozenset()
) -> str:
    """The text the NLU pipeline should read instead of `text` (the same text when harmless)."""
    stripped = text.strip()
    if not stripped.startswith(INTENT_MESSAGE_PREFIX):
        return text
    match = _COMMAND_RE.match(stripped)
    intent = match.group("intent").strip() if match else ""
    if intent not in allowed_intents:
        return _LEADING_SLASHES_RE.sub("", stripped)
    entities = _kept_entities(match.group("entities"), allowed_entities)
    guarded = INTENT_MESSAGE_PREFIX + intent + (json.dumps(entities) if entities else "")
    return text if stripped == guarded else guarded


# Registered as a (non-trainable) intent classifier: that type runs at inference in pipeline
# order, which puts it before the tokenizer when listed first, and costs no training node.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SlashCommandGuard(GraphComponent):
    """Lets through the button payloads of listed intents and entities; neutralises other slash commands."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Empty: no message from a channel may name its own intent or entities. List the intents
        # your buttons send as payloads (`/affirm`, `/deny`, ...) and the entities they carry.
        return {"allowed_intents": [], "allowed_entities": []}

    def __init__(self, allowed_intents: Iterable[str], allowed_entities: Iterable[str] = ()) -> None:
        self._allowed_intents = frozenset(allowed_intents)
        self._allowed_entities = frozenset(allowed_entities)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SlashCommandGuard:
        return cls(config["allowed_intents"], config["allowed_entities"])

    def process(self, messages: list[Message]) -> list[Message]:
        """Rewrites the text of messages that would otherwise inject an intent or entities."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            guarded = guard_slash_command(text, self._allowed_intents, self._allowed_entities)
            if guarded != text:
                # The text is not logged: it is user input and may hold personal data.
                logger.info("A slash command from a user was neutralised (%d characters).", len(text))
                message.set(TEXT, guarded)
        return messages
