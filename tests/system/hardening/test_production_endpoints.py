"""bot/production/endpoints.yml, the scale-out example of the README, is what Rasa can load."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.utils import AvailableEndpoints

from rasa_llm.knowledge.answer_settings import KnowledgeAnswerConfig
from rasa_llm.knowledge.generators import OpenAICompatibleGenerator
from rasa_llm.stores.redis_lock_store import AtomicRedisLockStore

PRODUCTION_ENDPOINTS = Path(__file__).parents[3] / "bot" / "production" / "endpoints.yml"
ENVIRONMENT = {
    "ACTION_SERVER_URL": "http://actions.internal:5055/webhook",
    "REDIS_HOST": "redis.internal",
    "REDIS_PASSWORD": "redis-password-from-env",
    "DB_HOST": "postgres.internal",
    "DB_USER": "rasa",
    "DB_PASSWORD": "db-password-from-env",
    "LLM_URL": "http://llm.internal:8000/v1",
    "LLM_MODEL": "qwen2.5-7b-instruct",
}


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch) -> AvailableEndpoints:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return AvailableEndpoints.read_endpoints(str(PRODUCTION_ENDPOINTS))


def test_secrets_are_read_from_the_environment_not_written_in_the_file(endpoints):
    text = PRODUCTION_ENDPOINTS.read_text()
    assert "password-from-env" not in text
    assert endpoints.tracker_store.kwargs["password"] == "db-password-from-env"
    assert endpoints.lock_store.kwargs["password"] == "redis-password-from-env"


def test_the_lock_store_is_the_atomic_one(endpoints):
    # Creating the store does not connect yet; the scale-out test runs it against a real Redis.
    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, AtomicRedisLockStore)


def test_the_tracker_store_is_postgresql(endpoints):
    assert endpoints.tracker_store.type == "rasa_llm.CachingSQLTrackerStore"
    assert endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.tracker_store.url == "postgres.internal"


def test_the_generator_is_a_remote_openai_compatible_server(endpoints):
    settings = {**endpoints.nlg.kwargs, "url": endpoints.nlg.url}
    config = KnowledgeAnswerConfig.from_dict(settings)
    assert isinstance(config.build_generator().generator, OpenAICompatibleGenerator)


def test_a_missing_secret_is_an_error_not_an_empty_password(monkeypatch: pytest.MonkeyPatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DB_PASSWORD")
    with pytest.raises(Exception, match="DB_PASSWORD"):
        AvailableEndpoints.read_endpoints(str(PRODUCTION_ENDPOINTS))
