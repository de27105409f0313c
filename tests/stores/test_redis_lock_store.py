"""AtomicRedisLockStore: two Rasa instances issuing tickets for one conversation at the same moment
get different tickets (Rasa's own RedisLockStore gives both the first one)."""
import asyncio

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_llm.stores.redis_lock_store import AtomicRedisLockStore
from tests.system.hardening.services import missing_services, redis_server

CONVERSATION = "someone"


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    if "redis-server" in missing_services():
        pytest.fail("redis-server is missing: run bash bot/setup_hardening_deps.sh")
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.port


def _stores(store_class, port, prefix):
    # Two stores on one Redis: two Rasa instances. A fresh key prefix per test keeps them apart.
    return [store_class(host="127.0.0.1", port=port, key_prefix=prefix) for _ in range(2)]


def _race(store, other, monkeypatch):
    """`store` issues a ticket, and `other` issues one right after `store` read the lock and before
    it wrote it back: the moment two instances race. Returns both tickets."""
    client_class = type(store.red)  # redis pipelines inherit `get` from the client class
    real_get = client_class.get
    theirs = []

    def get_then_race(self, name):
        value = real_get(self, name)
        if not theirs:
            theirs.append(None)
            theirs[0] = other.issue_ticket(CONVERSATION)
        return value

    monkeypatch.setattr(client_class, "get", get_then_race)
    mine = store.issue_ticket(CONVERSATION)
    return mine, theirs[0]


def test_rasas_redis_lock_store_gives_racing_instances_the_same_ticket(redis_port, monkeypatch):
    # Why the atomic store exists: this is the race the scale-out test ran into.
    store, other = _stores(RedisLockStore, redis_port, "stock")

    mine, theirs = _race(store, other, monkeypatch)

    assert mine == theirs


def test_racing_instances_get_different_tickets(redis_port, monkeypatch):
    store, other = _stores(AtomicRedisLockStore, redis_port, "atomic")

    mine, theirs = _race(store, other, monkeypatch)

    assert mine != theirs
    assert [ticket.number for ticket in store.get_lock(CONVERSATION).tickets] == sorted([mine, theirs])


def test_cleanup_keeps_the_lock_while_another_ticket_waits(redis_port):
    store, other = _stores(AtomicRedisLockStore, redis_port, "cleanup")
    first = store.issue_ticket(CONVERSATION)
    second = other.issue_ticket(CONVERSATION)

    store.cleanup(CONVERSATION, first)
    lock = other.get_lock(CONVERSATION)
    assert lock is not None and not lock.is_locked(second)  # the waiting instance goes next

    other.cleanup(CONVERSATION, second)
    assert store.get_lock(CONVERSATION) is None


def test_the_lock_context_holds_the_lock_and_removes_it_after(redis_port):
    store, other = _stores(AtomicRedisLockStore, redis_port, "context")

    async def hold_lock():
        async with store.lock(CONVERSATION):
            assert other.get_lock(CONVERSATION).is_someone_waiting()

    asyncio.run(hold_lock())
    assert store.get_lock(CONVERSATION) is None


def test_rasa_builds_it_from_endpoints_yml(redis_port):
    from rasa.core.lock_store import LockStore

    config = EndpointConfig(url="127.0.0.1", type="rasa_llm.stores.redis_lock_store.AtomicRedisLockStore",
                            port=redis_port, db=2)

    store = LockStore.create(config)

    assert isinstance(store, AtomicRedisLockStore)
    assert store.red.ping()
