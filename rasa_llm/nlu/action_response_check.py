"""Checks action-server responses against Rasa's schema with a validator built once per process.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(response, schema)` for
every custom action it runs. That call first validates the schema itself against the JSON Schema
meta-schema and then builds a new validator: 35 ms per action on a busy 2-core machine against 1 ms
for a validator kept between calls, and a turn of the reference bot runs two to four custom actions
(`action_validate_slot_mappings` on every message). The schema is a constant, so this keeps one
validator. Responses are judged by the same schema, and a bad one raises the same error with Rasa's
message.

Rasa 3.6 has no extension point for how a remote action's response is checked (`RemoteAction` is
built directly for every custom action; its plugin hooks are only read from Rasa Pro), so the check
is swapped process-wide by `install()`. The step is its own pipeline entry, so that a bot keeps it or
drops it on purpose, whatever else it configures:

    pipeline:
      ...
      - name: rasa_llm.ActionResponseCheck   # last: it changes no message

Rasa builds the component when it loads the model (`rasa run`, `rasa shell`, `rasa test`), which
installs the check; its `process` leaves messages as they are.
"""
from __future__ import annotations

import functools
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.nlu.training_data.message import Message


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for `RemoteAction._validate_action_result`: True, or Rasa's ValidationError."""
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Make every RemoteAction of this process use the validator kept between calls."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


# A non-trainable intent classifier, like TextSanitizer: that type costs no training node and is
# built with the model; listed last, it cannot change what the other components read.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ActionResponseCheck(GraphComponent):
    """Installs the kept validator when Rasa loads the model; passes messages through unchanged."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ActionResponseCheck:
        install()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
