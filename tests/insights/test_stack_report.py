"""The report on a real stack's tracker store: conversations sent through REST, then the report.

The expected figures are counted from the trackers Rasa serves over HTTP (`/conversations/<id>/tracker`),
a different path from the report's own reading of the SQL store; the test also checks that the
conversations did what they were written to do (a fallback, an abstention, a handoff, an abandoned
form, a negative message), so a changed model cannot make the comparison vacuous.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.testing.stack import running_stack
from rasa_llm.insights.cli import main
from rasa_llm.insights.report import JSON_FILE

pytestmark = pytest.mark.slow

CONVERSATIONS = {
    "abstain-then-person": ["do you have a loyalty points program", "I want to talk to a human"],
    "abandoned-form": ["where is my order", "stop"],
    "angry": ["this is absolutely useless, I am furious with your service"],
    "greeting": ["hello", "thanks, bye"],
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    with running_stack(tmp_path_factory.mktemp("insights_stack")) as stack:
        yield stack


def expected_from_trackers(trackers: list[dict]) -> dict:
    events = [event for tracker in trackers for event in tracker["events"]]
    users = [event for event in events if event["event"] == "user"]
    modes = [
        ((event.get("data") or {}).get("custom") or {}).get("mode")
        for event in events
        if event["event"] == "bot"
    ]
    return {
        "turns": len(users),
        "nlu_fallback": sum(event["parse_data"]["intent"]["name"] == "nlu_fallback" for event in users),
        "negative": sum(
            (event["parse_data"].get("sentiment") or {}).get("name") == "negative" for event in users
        ),
        "abstained": modes.count("abstained"),
        "knowledge_answers": sum(mode is not None for mode in modes),
        "handed_off": sum(
            any(
                event["event"] == "action" and event["name"] == "action_handoff"
                for event in tracker["events"]
            )
            for tracker in trackers
        ),
        "forms_started": sum(event["event"] == "active_loop" and bool(event.get("name")) for event in events),
    }


def outline(tracker: dict) -> list[str]:
    """A conversation in short, for failure messages: intents, actions, knowledge modes."""
    steps = []
    for event in tracker["events"]:
        if event["event"] == "user":
            parse = event["parse_data"]
            steps.append(f"{event['text']!r}: {parse['intent']['name']} "
                         f"{(parse.get('sentiment') or {}).get('name')}")
        elif event["event"] == "action" and event["name"] != "action_listen":
            steps.append(event["name"])
        elif event["event"] == "bot" and ((event.get("data") or {}).get("custom") or {}).get("mode"):
            steps.append(f"mode={event['data']['custom']['mode']}")
    return steps


def test_report_figures_match_the_conversations_sent(stack, tmp_path):
    senders = {}
    for name, messages in CONVERSATIONS.items():
        senders[name] = stack.new_sender()
        for message in messages:
            stack.say(senders[name], message)
    trackers = {name: stack.tracker(sender) for name, sender in senders.items()}
    expected = expected_from_trackers(list(trackers.values()))
    # The conversations did what they were written for.
    what_happened = {name: outline(tracker) for name, tracker in trackers.items()}
    assert expected["abstained"] >= 1 and expected["handed_off"] == 1, what_happened
    assert expected["negative"] >= 1 and expected["forms_started"] == 1, what_happened

    today = datetime.now(timezone.utc).date()
    out = tmp_path / "report"
    assert main(["--endpoints", str(stack.settings.run_dir / "endpoints.yml"), "--out", str(out),
                 "--since", (today - timedelta(days=1)).isoformat(), "--until", today.isoformat()]) == 0
    report = json.loads((out / JSON_FILE).read_text())

    assert report["totals"]["conversations"] == len(CONVERSATIONS)
    assert report["totals"]["turns"] == expected["turns"] == sum(len(m) for m in CONVERSATIONS.values())
    assert report["totals"]["unreadable_events"] == 0
    assert report["fallback"]["nlu_fallback"] == expected["nlu_fallback"]
    assert report["knowledge"]["abstained"] == expected["abstained"]
    assert report["knowledge"]["answers"] == expected["knowledge_answers"]
    assert report["containment"]["handed_off"] == 1
    assert report["containment"]["containment_rate"] == pytest.approx(0.75)
    assert report["containment"]["before_handoff"][0]["intent"] == "contact_human_agent"
    verification = report["forms"]["order_verification_form"]
    assert verification["started"] == 1 and verification["completed"] == 0
    assert verification["abandoned_at"] == {"order_id": 1}
    assert report["sentiment"]["negative"] == expected["negative"]
    # The unanswered question heads the to-do list (its reasons: abstained, and a handoff followed).
    todo = report["todo"]["groups"]
    loyalty = [group for group in todo if any("loyalty" in example for example in group["examples"])]
    assert loyalty and loyalty[0]["reasons"].get("abstained") == 1
    assert loyalty[0]["reasons"].get("handoff") == 1
