"""Two Rasa instances, as behind a load balancer: a conversation alternating between them stays one
conversation, because they share the tracker store (PostgreSQL) and the lock store (Redis).

The lock store is rasa_llm's AtomicRedisLockStore: with Rasa's own RedisLockStore, two messages of
one conversation reaching both instances at once were both let through and one turn was lost
(see rasa_llm/stores/redis_lock_store.py and tests/stores/test_redis_lock_store.py)."""
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import yaml

from bot.stack import StackSettings, start_in
from bot.testing import free_port
from bot.testing.stack import RASA_START_TIMEOUT_S, RunningStack, rasa_instance, texts
from tests.system.hardening.services import missing_services, postgres_server, redis_server

pytestmark = pytest.mark.slow

# A Canadian postal code: a US one (5 digits) is also read as a bare order number.
TURNS = ["I want to change my delivery address", "ORD-10001", "maria.garcia@example.com", "19 Aspen Way",
         "Toronto", "M5V 2T6", "Canada", "yes"]


@pytest.fixture(scope="module")
def two_instances(controllable_stack, tmp_path_factory):
    if missing_services():
        pytest.fail(f"missing {', '.join(missing_services())}: run bash bot/setup_hardening_deps.sh")
    base = controllable_stack.settings
    run_dir = tmp_path_factory.mktemp("scale_out")
    with ExitStack() as stack:
        postgres = stack.enter_context(postgres_server(run_dir))
        redis = stack.enter_context(redis_server(run_dir))
        endpoints = yaml.safe_load(controllable_stack.endpoints.read_text())
        # The production store: each instance keeps live trackers in memory, so alternating proves
        # that one instance never answers from a tracker the other has moved on.
        tracker_store = {**postgres.tracker_store(), "type": "rasa_llm.CachingSQLTrackerStore"}
        endpoints.update(tracker_store=tracker_store,
                         lock_store=redis.lock_store("rasa_llm.stores.redis_lock_store.AtomicRedisLockStore"))
        endpoints_path = run_dir / "endpoints.yml"
        endpoints_path.write_text(yaml.safe_dump(endpoints))
        instances = []
        for name in ("rasa-a", "rasa-b"):
            settings = StackSettings(
                run_dir=run_dir / name,
                shop_port=base.shop_port,
                actions_port=base.actions_port,
                rasa_port=free_port(),
                shop_api_key=base.shop_api_key,
                rasa_token=base.rasa_token,
                shop_db=base.shop_db,
            )
            start_in(stack, rasa_instance(settings, controllable_stack.model, endpoints_path, name),
                     timeout=RASA_START_TIMEOUT_S)
            instances.append(RunningStack(settings=settings, model=controllable_stack.model))
        yield instances, postgres


def _state(tracker: dict) -> tuple:
    return (tuple(sorted(tracker["slots"].items(), key=lambda item: item[0])),
            (tracker.get("active_loop") or {}).get("name"), len(tracker["events"]))


def test_a_conversation_alternating_between_instances_stays_consistent(two_instances):
    (a, b), postgres = two_instances
    sender = RunningStack.new_sender()

    replies = []
    for turn, text in enumerate(TURNS):
        here, there = (a, b) if turn % 2 == 0 else (b, a)
        replies.append(texts(here.say(sender, text)))
        assert _state(here.tracker(sender)) == _state(there.tracker(sender)), f"after turn {turn}: {text!r}"
        if turn == 4:  # inside the address form, answered by the other instance each turn
            assert (there.tracker(sender).get("active_loop") or {}).get("name") == "address_change_form"

    assert "aspen way" in replies[-1]
    with a.shop_db() as db:
        address = db.execute("SELECT shipping_address FROM orders WHERE order_id = 'ORD-10001'").fetchone()[0]
    assert "19 Aspen Way" in address
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM events WHERE sender_id = %s AND type_name = 'user'", (sender,))
        assert cursor.fetchone()[0] == len(TURNS)


def test_simultaneous_messages_to_both_instances_are_processed_one_after_the_other(two_instances):
    (a, b), _ = two_instances
    sender = RunningStack.new_sender()
    a.say(sender, "hello")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda pair: pair[0].say(sender, pair[1]),
                      [(a, "what payment methods do you accept?"), (b, "how long does delivery take?")]))

    events = [event["event"] for event in a.tracker(sender)["events"]]
    turns = [index for index, name in enumerate(events) if name == "user"]
    assert len(turns) == 3
    # Each message was answered before the next was read: a bot message between consecutive user
    # messages, none lost, none interleaved (the Redis lock serialises the two instances).
    for start, end in zip(turns, turns[1:] + [len(events)], strict=False):
        assert "bot" in events[start:end]


def test_the_database_password_reaches_no_log(two_instances):
    instances, postgres = two_instances

    logs = [path for instance in instances for path in (instance.settings.run_dir / "logs").glob("*.log")]
    assert logs
    assert not [path.name for path in logs if postgres.password in path.read_text(errors="replace")]
