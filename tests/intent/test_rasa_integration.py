"""Through Rasa itself: `rasa train nlu`, parse with an Agent, and the training cache."""
import asyncio
import logging
import tarfile
from pathlib import Path

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.model_training import train, train_nlu
from rasa.shared.exceptions import InvalidConfigException

from tests.intent.tiny_data import FAST_CONFIG, INTENTS, tiny_nlu_yaml

# Trains Rasa models (`rasa train nlu`, `rasa train` twice).
pytestmark = pytest.mark.slow

SENTIMENTS = {"negative", "neutral", "positive"}


def _config(**overrides) -> dict:
    classifier = {"name": "rasa_llm.TransformerIntentClassifier", **FAST_CONFIG, **overrides}
    return {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "intent-test",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            classifier,
            {"name": "FallbackClassifier", "threshold": 0.3},
        ],
        "policies": [{"name": "MemoizationPolicy"}, {"name": "RulePolicy"}],
    }


DOMAIN = {
    "version": "3.1",
    "intents": INTENTS,
    "responses": {
        name: [{"text": text}]
        for name, text in {
            "utter_greet": "Hello!",
            "utter_track": "Let me look that up.",
            "utter_return": "I can help with a return.",
            "utter_welcome": "You're welcome.",
        }.items()
    },
}


def _story(name: str, *turns: str) -> dict:
    steps = []
    for intent, action in zip(turns[::2], turns[1::2], strict=True):
        steps += [{"intent": intent}, {"action": action}]
    return {"story": name, "steps": steps}


STORIES = [
    _story("track", "greet", "utter_greet", "track_order", "utter_track"),
    _story("return", "return_item", "utter_return", "thank", "utter_welcome"),
]


def _write_project(root: Path, stories, **classifier_config) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "nlu.yml").write_text(tiny_nlu_yaml())
    (root / "data" / "stories.yml").write_text(
        yaml.safe_dump({"version": "3.1", "stories": stories}, sort_keys=False)
    )
    (root / "domain.yml").write_text(yaml.safe_dump(DOMAIN, sort_keys=False))
    (root / "config.yml").write_text(
        yaml.safe_dump(_config(**classifier_config), sort_keys=False)
    )
    return root


@pytest.fixture(autouse=True)
def _private_rasa_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path_factory.mktemp("rasa-cache")))


@pytest.fixture(scope="module")
def nlu_model(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path_factory.mktemp("nlu-cache")))
        project = _write_project(tmp_path_factory.mktemp("nlu-project"), STORIES)
        model = train_nlu(
            str(project / "config.yml"), str(project / "data" / "nlu.yml"), str(project / "models")
        )
    return Path(model)


@pytest.fixture(scope="module")
def agent(nlu_model: Path) -> Agent:
    return Agent.load(str(nlu_model))


def _parse(agent: Agent, text: str) -> dict:
    return asyncio.run(agent.parse_message(text))


def test_the_archive_holds_the_classifier(nlu_model: Path):
    with tarfile.open(nlu_model) as archive:
        names = {Path(name).name for name in archive.getnames() if "TransformerIntent" in name}
    assert {"classifier.json", "model.onnx", "tokenizer.json"} <= names


def test_parse_through_rasa_has_intent_ranking_and_sentiment(agent: Agent):
    result = _parse(agent, "where is my package")
    assert result["intent"]["name"] == "track_order"
    ranking = result["intent_ranking"]
    assert [entry["name"] for entry in ranking][0] == "track_order"
    assert {entry["name"] for entry in ranking} <= set(INTENTS) | {"nlu_fallback"}
    assert result["sentiment"]["name"] in SENTIMENTS
    assert 0.0 < result["sentiment"]["confidence"] <= 1.0


def test_empty_and_huge_messages_parse(agent: Agent):
    assert _parse(agent, "")["intent"]["name"] == "nlu_fallback"
    huge = _parse(agent, "my tent arrived torn and i want my money back " * 220)
    assert huge["intent"]["name"] in set(INTENTS) | {"nlu_fallback"}
    assert huge["sentiment"]["name"] in SENTIMENTS


def test_a_hub_name_fails_rasa_train_with_a_clear_error(tmp_path: Path):
    project = _write_project(tmp_path, STORIES, model="sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(InvalidConfigException, match="looks like a Hugging Face hub id"):
        train_nlu(str(project / "config.yml"), str(project / "data"), str(tmp_path / "models"))


def test_a_story_only_change_restores_the_classifier_from_cache(tmp_path: Path, caplog):
    project = _write_project(tmp_path, STORIES)

    def train_and_log() -> str:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="rasa.engine.training.hooks"):
            train(
                str(project / "domain.yml"),
                str(project / "config.yml"),
                [str(project / "data")],
                str(project / "models"),
            )
        return caplog.text

    first = train_and_log()
    assert "Finished training component 'TransformerIntentClassifier'" in first

    # A new story made of intents and actions the old stories already use.
    stories = STORIES + [
        _story("greet then return", "greet", "utter_greet", "return_item", "utter_return")
    ]
    _write_project(project, stories)
    second = train_and_log()
    assert "Restored component 'TransformerIntentClassifier' from cache." in second
    assert "Starting to train component 'TransformerIntentClassifier'" not in second
    assert "Starting to train component 'MemoizationPolicy'" in second
