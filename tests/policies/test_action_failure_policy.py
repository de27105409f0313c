"""ActionFailurePolicy: an apology instead of silence when a custom action could not run."""
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from rasa_llm.policies.action_failure_policy import ActionFailurePolicy

DOMAIN = Domain.from_dict({
    "intents": ["track_order"],
    "slots": {"order_id": {"type": "text", "mappings": [{"type": "custom"}]}},
    "forms": {"order_form": {"required_slots": ["order_id"]}},
    "actions": ["action_track_order"],
    "responses": {"utter_technical_problem": [{"text": "Sorry, something broke on our side."}],
                  "utter_greet": [{"text": "Hi"}]},
})


@pytest.fixture
def policy(tmp_path):
    storage = LocalModelStorage(tmp_path)
    policy = ActionFailurePolicy.create(
        ActionFailurePolicy.get_default_config(), storage, Resource("failure_policy"),
        ExecutionContext(graph_schema=None, model_id="test"),
    )
    policy.train([], DOMAIN)
    return policy


def _next_action(policy: ActionFailurePolicy, *events) -> str | None:
    tracker = DialogueStateTracker.from_events(
        "someone",
        [
            ActionExecuted("action_listen"),
            UserUttered("where is my order", {"name": "track_order", "confidence": 1.0}),
            *events,
        ],
    )
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


@pytest.mark.parametrize("failed", ["action_track_order", "order_form"])
def test_a_custom_action_or_form_without_events_is_answered_with_the_apology(policy, failed):
    assert _next_action(policy, ActionExecuted(failed)) == "utter_technical_problem"


def test_after_the_apology_the_bot_listens(policy):
    events = [ActionExecuted("action_track_order"), ActionExecuted("utter_technical_problem"),
              BotUttered("Sorry, something broke on our side.")]

    assert _next_action(policy, *events) == "action_listen"


@pytest.mark.parametrize(
    "events",
    [
        [ActionExecuted("action_track_order"), BotUttered("Your order has shipped.")],
        [ActionExecuted("order_form"), ActiveLoop("order_form"), SlotSet("requested_slot", "order_id")],
        [ActionExecuted("utter_greet")],
        [ActionExecuted("action_extract_slots")],
        [],
    ],
)
def test_actions_that_ran_leave_the_prediction_to_the_other_policies(policy, events):
    assert _next_action(policy, *events) is None


def test_training_fails_when_the_response_is_missing(tmp_path):
    policy = ActionFailurePolicy.create(
        {**ActionFailurePolicy.get_default_config(), "failure_response": "utter_missing"},
        LocalModelStorage(tmp_path),
        Resource("failure_policy"),
        ExecutionContext(graph_schema=None, model_id="t"),
    )

    with pytest.raises(RasaException, match="utter_missing"):
        policy.train([], DOMAIN)
