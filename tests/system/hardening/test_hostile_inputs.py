"""The hostile-input corpus through the whole stack: no 5xx, no crash, no leak, no unverified change."""
import pytest

from bot.processes import url_answers
from bot.testing.hostile import ANSWERED, REJECTED, SILENT, counts, run_corpus, state_snapshot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_run(bot_stack):
    with bot_stack.shop_db() as db:
        before = state_snapshot(db)
        outcomes = run_corpus(bot_stack.rest_url, db)
    with bot_stack.shop_db() as db:
        after = state_snapshot(db)
    print("\nhostile inputs:", {category: dict(row) for category, row in counts(outcomes).items()})
    return outcomes, before, after


def test_every_input_gets_an_answer_or_a_clear_refusal(corpus_run):
    outcomes, _, _ = corpus_run

    bad = [(o.input.name, o.kinds) for o in outcomes if set(o.kinds) - {ANSWERED, SILENT, REJECTED}]
    assert not bad


def test_valid_json_is_never_refused(corpus_run):
    # Only bodies that are not valid UTF-8 JSON may be refused (400); every text gets a reply.
    outcomes, _, _ = corpus_run

    refused = [o.input.name for o in outcomes if REJECTED in o.kinds and o.input.category != "invalid_utf8"]
    assert not refused


def test_no_reply_contains_another_customers_data(corpus_run):
    outcomes, _, _ = corpus_run

    leaks = {o.input.name: o.leaks for o in outcomes if o.leaks}
    assert not leaks


def test_no_order_return_or_refund_changed(corpus_run):
    _, before, after = corpus_run

    assert after == before


def test_every_service_is_still_up(corpus_run, bot_stack):
    settings = bot_stack.settings

    assert url_answers(f"{settings.shop_url}/health")
    assert url_answers(f"http://127.0.0.1:{settings.actions_port}/health")
    assert bot_stack.say(bot_stack.new_sender(), "hi")


def test_slash_commands_put_no_entity_in_the_tracker(corpus_run, bot_stack):
    outcomes, _, _ = corpus_run

    injected = []
    for outcome in (o for o in outcomes if o.input.category == "slash_command"):
        for event in bot_stack.tracker(outcome.sender)["events"]:
            if event["event"] == "user":
                injected += [
                    (outcome.input.name, entity["entity"])
                    for entity in event["parse_data"]["entities"]
                    if entity.get("extractor") == "RegexMessageHandler"
                ]
    assert not injected
