"""SlashCommandGuard: users cannot inject intents or entities with `/intent{...}` messages."""
from pathlib import Path

import pytest
import yaml
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_llm.nlu.slash_command_guard import SlashCommandGuard, guard_slash_command

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = frozenset({"affirm", "deny", "human_handoff", "inform"})
ALLOWED_ENTITIES = frozenset({"product"})
DOMAIN = Domain.from_dict({
    "intents": ["affirm", "deny", "human_handoff", "return_item", "inform"],
    "entities": ["order_id", "email", "product"],
})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/affirm", "/affirm"),
        ("  /deny  ", "  /deny  "),
        ("/affirm@0.01", "/affirm"),
        ('/human_handoff{"email": "maria.garcia@example.com"}', "/human_handoff"),
        ("/ affirm", "/affirm"),
        ('/return_item{"order_id":"ORD-10003"}', 'return_item{"order_id":"ORD-10003"}'),
        ('//inform{"email":"john.smith@example.com"}', 'inform{"email":"john.smith@example.com"}'),
        ("\n / /restart", "restart"),
        ("/", ""),
        ("where is my order ORD-10001?", "where is my order ORD-10001?"),
        ("my size is 1/2 a size up", "my size is 1/2 a size up"),
        ("", ""),
        ('/inform{"product": "Ridgeline 2 Tent"}', '/inform{"product": "Ridgeline 2 Tent"}'),
        ('/inform{"product": "all", "email": "john.smith@example.com"}', '/inform{"product": "all"}'),
        ('/inform{"product": ["a", "b"]}', "/inform"),
        ('/inform{"product": "tent"', "/inform"),
    ],
)
def test_guarded_text(text, expected):
    assert guard_slash_command(text, ALLOWED, ALLOWED_ENTITIES) == expected


def _parse(text: str, guard: SlashCommandGuard) -> Message:
    """The guard, then Rasa's RegexMessageHandler: the first and the last node of the NLU graph."""
    message = Message(data={TEXT: text})
    (guarded,) = guard.process([message])
    (parsed,) = RegexMessageHandler().process([guarded], DOMAIN)
    return parsed


def test_without_the_guard_rasa_takes_intent_and_entities_from_the_user():
    # The behaviour the guard exists for: Rasa trusts slash commands from any channel.
    (parsed,) = RegexMessageHandler().process(
        [Message(data={TEXT: '/return_item{"order_id": "ORD-10003"}'})], DOMAIN
    )

    assert parsed.get(INTENT)["name"] == "return_item"
    assert parsed.get(ENTITIES)[0]["value"] == "ORD-10003"


def test_an_injected_intent_with_entities_is_left_to_the_classifier():
    parsed = _parse('/return_item{"order_id": "ORD-10003"}', SlashCommandGuard(ALLOWED))

    assert parsed.get(INTENT) is None  # nothing forced: the classifier's prediction stands
    assert not parsed.get(ENTITIES)
    assert parsed.get(TEXT) == 'return_item{"order_id": "ORD-10003"}'


def test_an_allowed_button_payload_keeps_its_intent_but_loses_entities_and_confidence():
    parsed = _parse('/affirm@0.99{"order_id": "ORD-10003"}', SlashCommandGuard(ALLOWED, ALLOWED_ENTITIES))

    assert parsed.get(INTENT) == {"name": "affirm", "confidence": 1.0}
    assert parsed.get(ENTITIES) == []


def test_an_allowed_entity_reaches_rasa_and_the_others_do_not():
    parsed = _parse('/inform{"product": "Ridgeline 2 Tent", "order_id": "ORD-10003"}',
                    SlashCommandGuard(ALLOWED, ALLOWED_ENTITIES))

    assert parsed.get(INTENT)["name"] == "inform"
    assert [(e["entity"], e["value"]) for e in parsed.get(ENTITIES)] == [("product", "Ridgeline 2 Tent")]


def test_by_default_no_intent_may_be_named_by_a_user():
    guard = SlashCommandGuard(**SlashCommandGuard.get_default_config())

    assert _parse("/affirm", guard).get(INTENT) is None


def _button_payloads(node):
    if isinstance(node, dict):
        if "payload" in node and "title" in node:
            yield node["payload"]
        for value in node.values():
            yield from _button_payloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _button_payloads(value)


def test_the_reference_bot_guards_its_pipeline_and_allows_its_buttons():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())

    names = [step["name"].rsplit(".", 1)[-1] for step in pipeline]
    assert "SlashCommandGuard" in names, "config.yml's pipeline has no SlashCommandGuard"
    guard = pipeline[names.index("SlashCommandGuard")]
    # Before it, only the sanitiser: every other component would read the injected command.
    assert set(names[: names.index("SlashCommandGuard")]) <= {"TextSanitizer"}
    allowed_intents = frozenset(guard.get("allowed_intents", []))
    allowed_entities = frozenset(guard.get("allowed_entities", []))
    for payload in _button_payloads(domain.get("responses", {})):
        assert guard_slash_command(payload, allowed_intents, allowed_entities) == payload, (
            f"button payload {payload!r} would be rewritten: list its intent in allowed_intents "
            "and its entities in allowed_entities"
        )
