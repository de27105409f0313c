"""Checks action-server responses against Rasa's schema with a validator built once per process.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(response, schema)` for
every custom action it runs. That call first validates the schema itself against the JSON Schema
meta-schema and then builds a new validator: 35 ms per action on a busy 2-core machine against 1 ms
for a validator kept between calls, and a turn of the reference bot runs two to four custom actions
(`action_validate_slot_mappings` on every message). The schema is a constant, so this keeps one
validator. Responses are judged by the same schema, and a bad one raises the same error with Rasa's
message. `install()` is idempotent; `ActionFailurePolicy` calls it when Rasa loads the policy.
"""
from __future__ import annotations

import functools
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


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
