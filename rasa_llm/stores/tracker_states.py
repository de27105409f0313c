"""A tracker that keeps the dialogue states it has computed, so a turn computes only the new ones.

Rasa's policies read a conversation as the list of its states, one per action taken
(`DialogueStateTracker.past_states` -> `Domain.states_for_tracker_history`), and Rasa 3.6 rebuilds
that list from the first event on every call: it replays the whole conversation into a fresh tracker
and derives every state again. RulePolicy and MemoizationPolicy ask for it three times per prediction
and a turn makes two or three predictions, so the work grows with the conversation (16% of the event
loop's time under benchmarks/load_test.py).

`StateCachingTracker.past_states` returns the same list, but keeps, for each way of asking (the
domain, and the three options), the replayed tracker and the states derived so far, and continues from
there while the conversation only grew. If any event the states were built from is no longer among
the applied events (an undo, a restart, a form's events folded away, the event history cut short),
it starts again from the first event, as Rasa does. The steps are Rasa's own (`Domain`'s helpers,
in the order of `states_for_tracker_history`); tests/stores/test_tracker_states.py checks the result
against Rasa's after every event of real conversations.
"""
from __future__ import annotations

from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker


def _handed_out(states: list[State]) -> list[State]:
    """Copies of the kept states that the policies may edit as Rasa's featurizer does: each state's
    own dict, and the last one's sub-states (the featurizer drops the text or the intent from the last
    state's user part). Copying every sub-state of every state cost more than deriving the new ones."""
    if not states:
        return []
    *earlier, last = states
    return [*(dict(state) for state in earlier), {kind: dict(part) for kind, part in last.items()}]


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple | set):
        return tuple(_frozen(item) for item in value)
    return value


class _StateRun:
    """`Domain.states_for_tracker_history` for one domain and one set of options, resumable."""

    def __init__(
        self,
        replay: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool,
        ignore_rule_only_turns: bool,
        rule_only_data: dict[str, Any] | None,
    ) -> None:
        self.replay = replay  # the conversation replayed up to the events in `applied`
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.ignore_rule_only_turns = ignore_rule_only_turns
        self.rule_only_data = rule_only_data
        self.applied: list[Event] = []
        self.states: list[State] = []
        self.last_ml_action_sub_state: dict[str, Any] | None = None
        self.turn_was_hidden = False

    def continues(self, applied: list[Event]) -> bool:
        """Whether the events replayed so far are still the first of `applied` (the same objects)."""
        return len(self.applied) <= len(applied) and all(
            mine is theirs for mine, theirs in zip(self.applied, applied, strict=False)
        )

    def states_for(self, applied: list[Event]) -> list[State]:
        for event in applied[len(self.applied) :]:
            if isinstance(event, ActionExecuted):
                self._step(event.hide_rule_turn, commit=True)
            self.replay.update(event)
            self.applied.append(event)
        # The state after the last event is Rasa's last one; the next call may have more events
        # after it, so it is not kept (nor what it would change in the loop's variables).
        last = self._step(False, commit=False)
        return _handed_out([*self.states, *([last] if last is not None else [])])

    def _step(self, hide_rule_turn: bool, commit: bool) -> State | None:
        """One pass of the loop of `Domain.states_for_tracker_history` on the replayed tracker."""
        tracker, domain = self.replay, self.domain
        last_ml_action_sub_state, turn_was_hidden = self.last_ml_action_sub_state, self.turn_was_hidden
        state = None
        if self.ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
                turn_was_hidden = hide_rule_turn
        if not (self.ignore_rule_only_turns and turn_was_hidden):
            state = domain.get_active_state(tracker, omit_unset_slots=self.omit_unset_slots)
            if self.ignore_rule_only_turns:
                domain._remove_rule_only_features(state, self.rule_only_data)
                if self.states:
                    domain._substitute_rule_only_user_input(state, self.states[-1])
                if last_ml_action_sub_state:
                    state[PREVIOUS_ACTION] = last_ml_action_sub_state
            state = domain._clean_state(state)
        if commit:
            self.last_ml_action_sub_state, self.turn_was_hidden = last_ml_action_sub_state, turn_was_hidden
            if state is not None:
                self.states.append(state)
        return state


class StateCachingTracker(DialogueStateTracker):
    """`DialogueStateTracker` whose `past_states` continues from its last answer (see the module), and
    whose `applied_events` is worked out once per new event."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_runs: dict[tuple, _StateRun] = {}
        self._applied: tuple[tuple, list[Event]] | None = None

    def applied_events(self) -> list[Event]:
        # Rasa works the list out from the first event each time it is asked, several times per
        # prediction. Events are only ever appended (the oldest dropped when the history is capped),
        # so the count and the first and last events tell whether they changed.
        events = self.events
        key = (len(events), id(events[0]), id(events[-1])) if events else (0, None, None)
        if self._applied is None or self._applied[0] != key:
            self._applied = (key, super().applied_events())
        return list(self._applied[1])  # callers may change the list they get, as Rasa's is new

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        key = (id(domain), omit_unset_slots, ignore_rule_only_turns, _frozen(rule_only_data))
        applied = self.applied_events()
        run = self._state_runs.get(key)
        if run is None or run.domain is not domain or not run.continues(applied):
            run = _StateRun(
                self.init_copy(), domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
            self._state_runs[key] = run
        return run.states_for(applied)
