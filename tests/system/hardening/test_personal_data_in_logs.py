"""Personal data and secrets reach the services' logs only masked, even with Rasa logging at debug
level (where it writes every message, slot and parse result)."""
import pytest

from bot.testing.fault_scenarios import TRACK_ANSWERS, TRACK_OPENING, converse
from bot.testing.stack import RunningStack

pytestmark = pytest.mark.slow

CARD = "4111 1111 1111 1111"
PHONE = "555-201-7788"
STREET = "221B Baker Street"


def test_logs_hold_personal_data_and_secrets_only_masked(controllable_stack):
    stack = controllable_stack
    sender = RunningStack.new_sender()
    stack.running.say(sender, f"my card {CARD} was charged twice, call me on {PHONE} or write to {STREET}")
    converse(stack.running, sender, TRACK_OPENING, TRACK_ANSWERS)  # the email reaches actions and shop API
    stack.running.tracker(sender)  # the HTTP API with the token in the query string

    logs = {path.stem: path.read_text(errors="replace") for path in stack.log_paths}
    raw_values = [
        CARD,
        PHONE,
        STREET,
        TRACK_ANSWERS["email"],
        stack.settings.shop_api_key,
        stack.settings.rasa_token,
    ]
    found = {name: [value for value in raw_values if value in text] for name, text in logs.items()}
    assert not any(found.values()), found
    # Not vacuous: Rasa did log the messages, masked.
    for placeholder in ("[CARD]", "[PHONE]", "[ADDRESS]", "[EMAIL]"):
        assert placeholder in logs["rasa"]
