"""UnreachableActionServerFilter: an unreachable action server is one warning line, other failures
keep Rasa's whole report."""
import io
import logging

import pytest
from rasa.shared.exceptions import RasaException

from rasa_llm.logs.action_server_log import UnreachableActionServerFilter

URL = "http://127.0.0.1:5055/webhook"


@pytest.fixture
def log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s - %(message)s"))
    handler.addFilter(UnreachableActionServerFilter())
    loggers = [logging.getLogger(name) for name in ("rasa.core.actions.action", "rasa.core.processor")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)
        logger.propagate = True


def _fail_like_rasa(remote_error: Exception) -> None:
    """What Rasa's processor logs when the form's validation action raised `remote_error`."""
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError:
            raise remote_error from None
    except Exception:
        logging.getLogger("rasa.core.processor").exception(
            "Encountered an exception while running action 'order_verification_form'.Bot will continue, "
            "but the actions events are lost. Please check the logs of your action server for more "
            "information."
        )


def test_an_unreachable_action_server_is_one_warning_line(log):
    action_log = logging.getLogger("rasa.core.actions.action")
    action_log.error(f"Failed to run custom action 'action_validate_slot_mappings'. Couldn't connect to the "
                     f"server at '{URL}'. Is the server running? Error: Cannot connect to host")
    action_log.warning(
        "Failed to execute custom action 'action_validate_slot_mappings' as a result of error "
        f"'Failed to execute custom action 'action_validate_slot_mappings'. Couldn't connect to "
        f"the server at '{URL}.'"
    )
    _fail_like_rasa(
        RasaException(
            "Failed to execute custom action 'validate_order_verification_form'. Couldn't connect to the "
            f"server at '{URL}."
        )
    )

    lines = log.getvalue().splitlines()
    assert lines == [
        "WARNING rasa.core.processor - Custom action 'order_verification_form' did not run: the action "
        "server "
        f"at {URL} could not be reached."
    ]


def test_any_other_failure_keeps_rasas_traceback(log):
    _fail_like_rasa(RasaException("Failed to execute custom action 'action_track_order'"))

    text = log.getvalue()
    assert text.startswith("ERROR rasa.core.processor - Encountered an exception")
    assert "Traceback" in text and "Failed to execute custom action 'action_track_order'" in text
