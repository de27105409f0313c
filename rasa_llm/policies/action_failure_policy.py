"""Says something when a custom action could not run, instead of leaving the customer in silence.

When the action server is down or fails, Rasa logs the error, drops the action's events and goes on
predicting (rasa/core/processor.py `_run_action`): the customer gets no answer at all. The tracker
then ends with the `ActionExecuted` of a custom action (or form) and nothing after it, while a custom
action that did run left at least one event behind (a message, a slot, a loop change). This policy
reads that trace: it predicts `failure_response` (a domain response that apologises and says how
else to get help), then `action_listen`. Forms stay active, so the conversation picks up where it
was once the action server is back.

    policies:
      - name: rasa_llm.ActionFailurePolicy
        failure_response: utter_technical_problem

Use it only where every custom action returns at least one event (this bot's do): an action that
returns nothing on purpose would be taken for a failure.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

FAILURE_RESPONSE = "failure_response"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ActionFailurePolicy(Policy):
    """Predicts an apology after a custom action that left no trace, then listens."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Above RulePolicy: a rule can fully match the failed action's turn (confidence 1.0 too).
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1, FAILURE_RESPONSE: "utter_technical_problem"}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn; checks at training time that the response exists."""
        response = self.config[FAILURE_RESPONSE]
        if response not in domain.action_names_or_texts:
            raise RasaException(
                f"ActionFailurePolicy: its failure_response '{response}' is not in the domain. "
                f"Add a response '{response}' that apologises and says how else to get help."
            )
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        response = self.config[FAILURE_RESPONSE]
        failed_action = self._failed_action(tracker, domain)
        if failed_action:
            # INFO: Rasa has already reported the failure itself (see rasa_llm.logs.action_server_log).
            logger.info("Custom action '%s' returned nothing (action server down or failing): predicting "
                        "'%s'.", failed_action, response)
            probabilities[domain.index_for_action(response)] = 1.0
        elif tracker.latest_action_name == response:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def _failed_action(tracker: DialogueStateTracker, domain: Domain) -> str | None:
        """The custom action or form that is the tracker's last event, if it is one."""
        last_event = tracker.events[-1] if tracker.events else None
        if not isinstance(last_event, ActionExecuted) or not last_event.action_name:
            return None
        name = last_event.action_name
        custom = name in domain.user_actions_and_forms and not name.startswith(UTTER_PREFIX)
        return name if custom else None
