"""Dependencies failing under a running conversation: the customer gets a polite answer, nothing
crashes, and the conversation goes on once the service is back."""
import pytest

from bot.testing import fault_scenarios
from bot.testing.fault_scenarios import HUMAN_OFFER_RE

pytestmark = pytest.mark.slow


def _tracking_number(stack) -> str:
    with stack.running.shop_db() as db:
        return (
            db.execute("SELECT tracking_number FROM orders WHERE order_id = 'ORD-10002'")
            .fetchone()[0]
            .lower()
        )


def _assert_recovers(observation, stack):
    assert observation.services_up
    assert _tracking_number(stack) in observation.after, f"after {observation.fault}: {observation.after!r}"


@pytest.mark.parametrize("scenario", [fault_scenarios.shop_api_slow, fault_scenarios.shop_api_error,
                                      fault_scenarios.shop_api_down])
def test_shop_api_failure_gets_an_apology_with_a_person_offered(controllable_stack, scenario):
    observation = scenario(controllable_stack)

    assert "sorry" in observation.during and HUMAN_OFFER_RE.search(observation.during), observation.during
    assert _tracking_number(controllable_stack) not in observation.during
    assert observation.problems_logged["rasa"] == 0  # the action handled it: Rasa saw a normal turn
    _assert_recovers(observation, controllable_stack)


def test_action_server_down_gets_an_apology_not_silence(controllable_stack):
    observation = fault_scenarios.action_server_down(controllable_stack)

    assert "sorry" in observation.during, f"the bot said {observation.during!r} with the action server down"
    assert (
        observation.problems_logged["rasa"] == 1
    )  # one warning (rasa_llm.logs.action_server_log), no tracebacks
    _assert_recovers(observation, controllable_stack)


def test_rasa_restart_resumes_the_form_where_it_was(controllable_stack):
    observation = fault_scenarios.rasa_restart(controllable_stack)

    assert observation.details["active_loop_before"] == "address_change_form"
    assert observation.details["active_loop_after"] == "address_change_form"
    assert observation.details["slots_after"] == observation.details["slots_before"]
    assert observation.details["address_line1_at_end"] == "7 Larch Court"
    assert observation.services_up


def test_a_return_whose_reply_was_lost_is_not_created_twice_on_retry(controllable_stack):
    observation = fault_scenarios.return_reply_lost(controllable_stack)

    assert observation.details["returns_after_fault"] == 1  # the shop did create it...
    assert HUMAN_OFFER_RE.search(observation.during)  # ...but the bot could not know, and said so
    assert observation.details["returns_at_end"] == 1  # the retry found the same return
    assert "ret-" in observation.after


def test_a_double_submitted_confirmation_creates_one_return(controllable_stack):
    observation = fault_scenarios.double_confirm(controllable_stack)

    assert observation.details["returns_at_end"] == 1
    assert "ret-" in observation.during
    assert observation.services_up
