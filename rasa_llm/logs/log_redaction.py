"""A logging filter that masks personal data and secrets in every record a handler writes.

Rasa (`rasa run --logging-config-file`), the action server (`python -m rasa_sdk
--logging-config_file`) and any sanic service install it from a dictConfig file such as
`bot/logging.yml`:

    filters:
      redact: {"()": rasa_llm.logs.log_redaction.RedactingFilter}
    handlers:
      console: {class: logging.StreamHandler, filters: [redact]}

It sits on handlers, not loggers: a filter on a logger does not see the records its children
propagate, a filter on a handler sees every record that handler writes.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping

from rasa_llm.shared.privacy import mask_personal_data

SECRET = "[SECRET]"

# Environment variables whose values are secrets, by name: SHOP_API_KEY, RASA_AUTH_TOKEN,
# LLM_API_KEY, OPENAI_API_KEY, SLACK_SIGNING_SECRET, DB_PASSWORD, ...
_SECRET_NAME_RE = re.compile(r"(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
# Shorter values ("1", "true") would mask ordinary words; real keys are longer.
_MIN_SECRET_LENGTH = 8

# Secrets recognisable by where they stand, whatever their value: HTTP auth headers, `token=`
# query parameters (Rasa's HTTP API takes its token there), `"api_key": "..."` in JSON or
# Python reprs, passwords in connection URLs (`postgresql://user:password@host`).
_SECRET_CONTEXT_RES = (
    re.compile(r"(?i)(\bauthorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic|token)\s+)[^\s'\",;]+"),
    re.compile(r"(?i)(\bx-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",;]+"),
    re.compile(r"(?i)([?&](?:token|api_key|apikey|key|access_token)=)[^&\s'\"]+"),
    re.compile(r"(?i)(['\"]?\b(?:api_key|apikey|token|auth_token|access_token|secret|password)['\"]?\s*[:=]\s*['\"])[^'\"]+"),
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(?=@)"),
)


def secret_values_from_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables that hold secrets, longest first."""
    environ = os.environ if environ is None else environ
    values = {
        value for name, value in environ.items()
        if _SECRET_NAME_RE.search(name) and len(value) >= _MIN_SECRET_LENGTH
    }
    # Longest first, so a secret that contains another is masked whole.
    return sorted(values, key=len, reverse=True)


def mask_secrets(text: str, secret_values: Iterable[str] = ()) -> str:
    """`text` with the given secret values and context-recognisable secrets replaced by [SECRET]."""
    for value in secret_values:
        text = text.replace(value, SECRET)
    for pattern in _SECRET_CONTEXT_RES:
        text = pattern.sub(lambda match: match.group(1) + SECRET, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with personal data and secrets masked.

    The secret values are read from the environment when the filter is created, i.e. when the
    process configures logging, which is after the launcher has put the keys in its environment.
    """

    def __init__(self, name: str = "", environ: Mapping[str, str] | None = None) -> None:
        super().__init__(name)
        self._secret_values = secret_values_from_environment(environ)

    def redact(self, text: str) -> str:
        return mask_personal_data(mask_secrets(text, self._secret_values))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not fit its format string
            # Its arguments are dropped: they cannot be formatted, so they cannot be masked.
            message = f"{record.msg} (unformattable log arguments dropped)"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters print `exc_text` when it is set: the traceback is masked once, here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        request_line = getattr(record, "request", None)  # sanic's access records carry the URL here
        if isinstance(request_line, str):
            record.request = self.redact(request_line)
        return True
