"""rasa_llm.policies.action_response_check: the kept validator judges action-server responses as Rasa does."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_llm.policies import action_response_check

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "ORD-10003", "timestamp": None}],
     "responses": [{"text": "Found it."}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "pause"}]},
    {},
]
INVALID = [
    {"events": [{"event": "slot", "value": "ORD-10003"}]},  # a slot event without its name
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [["not", "an", "object"]]},
    [],
]


@pytest.mark.parametrize("response", VALID)
def test_valid_responses_pass_as_with_jsonschema_validate(response):
    jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert action_response_check.validate_action_result(None, response) is True


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_raise_rasas_error_as_with_jsonschema_validate(response):
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response") as got:
        action_response_check.validate_action_result(None, response)
    assert got.value.message.startswith(expected.value.message)


def test_loading_the_failure_policy_installs_it(monkeypatch, tmp_path):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from rasa_llm.policies.action_failure_policy import ActionFailurePolicy

    # Another test may have loaded the policy already: start from a check that is not the kept one.
    monkeypatch.setattr(RemoteAction, "_validate_action_result", lambda self, result: True)
    ActionFailurePolicy.create(ActionFailurePolicy.get_default_config(), LocalModelStorage(tmp_path),
                               Resource("failure_policy"), ExecutionContext(graph_schema=None, model_id="t"))
    assert RemoteAction._validate_action_result is action_response_check.validate_action_result
