"""StateCachingTracker.past_states gives what Rasa's gives, after every event of every conversation the
bot's stories, rules and test stories make, and of conversations that undo, restart or cut their
history."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.training import load_data
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_llm.stores.tracker_states import StateCachingTracker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def rule_only_data(domain: Domain) -> dict:
    # As RulePolicy hands it to MemoizationPolicy: slots and loops that only rules use.
    return {RULE_ONLY_SLOTS: [domain.slots[0].name], RULE_ONLY_LOOPS: [domain.form_names[0]]}


def _ways_of_asking(rule_only_data: dict) -> list[dict]:
    """The options the policies pass (RulePolicy, MemoizationPolicy), and omitting unset slots."""
    return [
        {},
        {"rule_only_data": rule_only_data},
        {"ignore_rule_only_turns": True, "rule_only_data": rule_only_data},
        {"omit_unset_slots": True, "ignore_rule_only_turns": True},
    ]


def _assert_same_states_after_every_event(events: list[Event], domain: Domain, ways: list[dict]) -> int:
    caching = StateCachingTracker("caching", domain.slots)
    plain = DialogueStateTracker("plain", domain.slots)
    compared = 0
    for position, event in enumerate(events):
        caching.update(event)
        plain.update(event)
        assert caching.applied_events() == plain.applied_events()
        for options in ways:
            expected = domain.states_for_tracker_history(plain, **options)
            got = caching.past_states(domain, **options)
            assert got == expected, f"after event {position} ({event}), options {options}"
            # What the policies do to the states they get must not change the next answer: Rasa's
            # featurizer drops the text or the intent of the last state's user part.
            if got:
                got[-1].get("user", {}).clear()
            for state in got:
                state.pop("user", None)
            compared += 1
    return compared


def test_the_states_of_every_story_and_rule_match_rasas(domain: Domain, rule_only_data: dict) -> None:
    trackers = [
        tracker
        for path in ("data/stories.yml", "data/rules.yml", "tests/test_stories.yml")
        for tracker in load_data(str(ROOT / path), domain, augmentation_factor=0)
    ]
    assert len(trackers) > 20 and any(t.is_rule_tracker for t in trackers)
    ways = _ways_of_asking(rule_only_data)
    compared = sum(
        _assert_same_states_after_every_event(list(tracker.events), domain, ways) for tracker in trackers
    )
    assert compared > 1000


def _turn(intent: str, *actions: str) -> list[Event]:
    return [UserUttered(intent, {"name": intent}), *(ActionExecuted(a) for a in actions),
            ActionExecuted("action_listen")]


def test_undone_restarted_and_folded_conversations_match_rasas(domain: Domain, rule_only_data: dict) -> None:
    form = domain.form_names[0]
    slot = domain.slots[0].name
    events: list[Event] = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        *_turn("greet", "utter_greet"),
        *_turn("track_order", form),
        ActiveLoop(form), SlotSet("requested_slot", "order_id"), ActionExecuted("action_listen"),
        UserUttered("x", {"name": "inform"}), ActionExecuted(form), SlotSet(slot, "ORD-10001"),
        ActionExecuted("action_listen"),
        # The form runs again: Rasa folds its earlier happy-path events away.
        UserUttered("y", {"name": "inform"}), ActionExecuted(form), ActiveLoop(None),
        ActionExecuted("action_listen"),
        *_turn("affirm", "utter_greet"),
        UserUtteranceReverted(),
        *_turn("deny", "utter_greet"),
        ActionReverted(),
        ActionExecuted("utter_greet", hide_rule_turn=True),
        ActionExecuted("action_listen"),
        Restarted(),
        *_turn("greet", "utter_greet"),
    ]
    assert _assert_same_states_after_every_event(events, domain, _ways_of_asking(rule_only_data)) > 100


def test_a_conversation_whose_history_is_cut_short_matches_rasas(domain: Domain) -> None:
    caching = StateCachingTracker("caching", domain.slots, max_event_history=6)
    plain = DialogueStateTracker("plain", domain.slots, max_event_history=6)
    for event in [ActionExecuted("action_listen")] + _turn("greet", "utter_greet") * 5:
        caching.update(event)
        plain.update(event)
        assert caching.applied_events() == plain.applied_events()
        assert caching.past_states(domain) == domain.states_for_tracker_history(plain)
