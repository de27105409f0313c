"""rasa_llm.nlu.action_response_check: the kept validator judges action-server responses as Rasa does."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_llm.nlu import action_response_check

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


def _create(component_class, tmp_path):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    return component_class.create(component_class.get_default_config(), LocalModelStorage(tmp_path),
                                  Resource("component"), ExecutionContext(graph_schema=None, model_id="t"))


@pytest.fixture
def rasas_own_check(monkeypatch):
    # Another test may have installed the kept check already: start from one that is not it.
    monkeypatch.setattr(RemoteAction, "_validate_action_result", lambda self, result: True)


def test_rasa_building_the_component_installs_the_check(rasas_own_check, tmp_path):
    from rasa.shared.nlu.training_data.message import Message

    component = _create(action_response_check.ActionResponseCheck, tmp_path)

    assert RemoteAction._validate_action_result is action_response_check.validate_action_result
    message = Message.build("where is my order")
    assert component.process([message]) == [message]


def test_the_failure_policy_leaves_the_check_alone(rasas_own_check, tmp_path):
    from rasa_llm.policies.action_failure_policy import ActionFailurePolicy

    _create(ActionFailurePolicy, tmp_path)

    assert RemoteAction._validate_action_result is not action_response_check.validate_action_result


def test_the_reference_bot_builds_the_component_with_its_model():
    from pathlib import Path

    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.utils.io import read_yaml_file

    config = read_yaml_file(Path(__file__).resolve().parents[2] / "config.yml")
    graph = Recipe.recipe_for_name(config["recipe"]).graph_config_for_recipe(config, {})
    uses = {node.uses for node in graph.predict_schema.nodes.values()}

    assert action_response_check.ActionResponseCheck in uses
