"""Logging for the shop API: sanic's log configuration with every email address masked.

Emails travel in request bodies, not URLs, so access logs never see them; the filter is the safety
net for anything else that might log one (an exception message, a future log line).
"""
from __future__ import annotations

import logging
from typing import Any

from sanic.log import LOGGING_CONFIG_DEFAULTS

from rasa_llm.shared.privacy import shorten_emails


class EmailMaskingFilter(logging.Filter):
    """Masks email addresses in a record's message and in the request line of access records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = shorten_emails(message)
        if masked != message:
            record.msg, record.args = masked, None
        request_line = getattr(record, "request", None)  # sanic's access records carry the URL here
        if isinstance(request_line, str):
            record.request = shorten_emails(request_line)
        return True


def log_config() -> dict[str, Any]:
    """Sanic's default logging, plus the email filter on every handler and on this package's logger."""
    defaults = LOGGING_CONFIG_DEFAULTS  # holds stream objects: copied level by level, not deep-copied
    return {
        **defaults,
        "filters": {"mask_emails": {"()": EmailMaskingFilter}},
        "handlers": {
            name: {**handler, "filters": ["mask_emails"]} for name, handler in defaults["handlers"].items()
        },
        "loggers": {
            **defaults["loggers"],
            "bot.shop_api": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
