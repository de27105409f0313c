"""One warning line, not a dozen, for a turn whose action server could not be reached.

When the action server is down, Rasa 3.6 logs an ERROR and a WARNING for every custom action it
tried (`action_validate_slot_mappings` runs on every message), then an ERROR with three chained
tracebacks from the message processor: about ten lines for one known condition, in which the
customer already got an apology (rasa_llm.ActionFailurePolicy). This logging filter keeps the
processor's record as a single WARNING that names the action and the unreachable server, and drops
the per-action duplicates. Any other failure of a custom action keeps Rasa's full report.

    filters:
      quiet_action_server:
        (): rasa_llm.logs.action_server_log.UnreachableActionServerFilter
"""
from __future__ import annotations

import logging
import re

UNREACHABLE = "Couldn't connect to the server at"
_ACTION_LOGGER = "rasa.core.actions.action"
_PROCESSOR_LOGGER = "rasa.core.processor"
_PROCESSOR_FAILURE = "Encountered an exception while running action"
_ACTION_NAME = re.compile(r"action '([^']*)'")
# Rasa's exception text leaves the URL's closing quote out: "... the server at 'http://host/webhook."
_SERVER_URL = re.compile(r"server at '([^'\s]+)")


def _chain(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _unreachable_server(record: logging.LogRecord) -> str | None:
    """The message of the connection failure behind `record`'s exception, if that is what it is."""
    error = record.exc_info[1] if record.exc_info else None
    for link in _chain(error):
        if UNREACHABLE in str(link):
            return str(link)
    return None


class UnreachableActionServerFilter(logging.Filter):
    """Collapses Rasa's report of an unreachable action server into one WARNING per failed action."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name not in (_ACTION_LOGGER, _PROCESSOR_LOGGER):
            return True
        message = record.getMessage()
        if record.name == _ACTION_LOGGER and UNREACHABLE in message:
            return False  # repeated by the processor's record, or (slot mappings) by the next action's
        if record.name == _PROCESSOR_LOGGER and message.startswith(_PROCESSOR_FAILURE):
            reason = _unreachable_server(record)
            if reason is not None:
                action = _ACTION_NAME.search(message)
                server = _SERVER_URL.search(reason)
                record.msg = "Custom action '%s' did not run: the action server at %s could not be reached."
                record.args = (
                    action.group(1) if action else "?",
                    server.group(1).rstrip(".") if server else "?",
                )
                record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
                record.exc_info, record.exc_text = None, None
        return True
