"""Turn request bodies into typed values, or refuse them with a 400/422 that names the field."""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.shop_api.errors import ApiError, invalid

MAX_BODY_BYTES = 64 * 1024
MAX_REASON_CHARS = 500
MAX_RETURN_LINES = 50
MAX_QUANTITY = 100
# A handoff keeps the latest messages only: enough for an agent to pick the conversation up.
MAX_TRANSCRIPT_MESSAGES = 100
MAX_TRANSCRIPT_TEXT_CHARS = 2000

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}

ADDRESS_FIELDS = {
    "name": 100,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 56,
}
OPTIONAL_ADDRESS_FIELDS = {"line2", "region"}

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class ReturnLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class TranscriptMessage:
    sender: str
    text: str
    timestamp: float | int | str | None

    def as_dict(self) -> JsonObject:
        return {"sender": self.sender, "text": self.text, "timestamp": self.timestamp}


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    reason: str
    transcript: list[TranscriptMessage]
    transcript_truncated: bool


def parse_json_object(body: bytes | None) -> JsonObject:
    """The request body as a JSON object; 400 when it is not JSON, 422 when it is not an object."""
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise invalid("invalid_body", "body", "must be a JSON object.")
    return payload


def optional_text(
    payload: Mapping[str, Any],
    key: str,
    *,
    code: str,
    max_chars: int | None,
    field: str | None = None,
    allow_blank: bool = False,
) -> str | None:
    """A string field kept verbatim, or None when absent; refuses non-strings, blanks, control
    characters and text that is not valid Unicode.

    `max_chars=None` leaves the length to the body size limit (for text that is truncated instead).
    """
    field = field or key
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(code, field, "must be a string.")
    if not allow_blank and not value.strip():
        raise invalid(code, field, "must not be blank.")
    if max_chars is not None and len(value) > max_chars:
        raise invalid(code, field, f"must be at most {max_chars} characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates parse as JSON but cannot be stored as text
        raise invalid(code, field, "must be valid Unicode text.") from None
    if any(unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS for char in value):
        raise invalid(code, field, "must not contain control characters.")
    return value


def required_text(
    payload: Mapping[str, Any], key: str, *, code: str, max_chars: int | None, field: str | None = None
) -> str:
    value = optional_text(payload, key, code=code, max_chars=max_chars, field=field)
    if value is None:
        raise invalid(code, field or key, "is required.")
    return value


def email(payload: Mapping[str, Any]) -> str:
    """The customer's email, lower-cased for comparison."""
    value = required_text(payload, "email", code="invalid_email", max_chars=254).strip().lower()
    if not _EMAIL.match(value):
        raise invalid("invalid_email", "email", "is not an email address.")
    return value


def address(payload: Mapping[str, Any]) -> dict[str, str | None]:
    raw = payload.get("address")
    if not isinstance(raw, dict):
        raise invalid(
            "invalid_address", "address", "must be an object with name, line1, city, postal_code, country."
        )
    unknown = sorted(set(raw) - set(ADDRESS_FIELDS))
    if unknown:
        raise invalid("invalid_address", f"address.{unknown[0]}", "is not an address field.")
    parsed: dict[str, str | None] = {}
    for key, max_chars in ADDRESS_FIELDS.items():
        read = optional_text if key in OPTIONAL_ADDRESS_FIELDS else required_text
        parsed[key] = read(raw, key, code="invalid_address", max_chars=max_chars, field=f"address.{key}")
    return parsed


def reason(payload: Mapping[str, Any]) -> str:
    return required_text(payload, "reason", code="invalid_reason", max_chars=MAX_REASON_CHARS)


def optional_reason(payload: Mapping[str, Any]) -> str | None:
    return optional_text(payload, "reason", code="invalid_reason", max_chars=MAX_REASON_CHARS)


def return_lines(payload: Mapping[str, Any]) -> list[ReturnLine]:
    raw = payload.get("items")
    if not isinstance(raw, list) or not raw:
        raise invalid("invalid_items", "items", "must be a non-empty list of {sku, quantity}.")
    if len(raw) > MAX_RETURN_LINES:
        raise invalid("invalid_items", "items", f"must have at most {MAX_RETURN_LINES} entries.")
    lines: list[ReturnLine] = []
    seen = set()
    for index, item in enumerate(raw):
        field = f"items[{index}]"
        if not isinstance(item, dict):
            raise invalid("invalid_items", field, "must be an object with sku and quantity.")
        sku = (
            required_text(item, "sku", code="invalid_items", max_chars=40, field=f"{field}.sku")
            .strip()
            .upper()
        )
        if sku in seen:
            raise invalid("invalid_items", f"{field}.sku", f"{sku} is listed twice.")
        seen.add(sku)
        quantity = item.get("quantity")
        # bool is an int in Python; `true` is not a quantity.
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise invalid(
                "invalid_items", f"{field}.quantity", f"must be a whole number from 1 to {MAX_QUANTITY}."
            )
        lines.append(ReturnLine(sku, quantity))
    return lines


def idempotency_key(header: str | None) -> str | None:
    if header is None:
        return None
    if not _IDEMPOTENCY_KEY.match(header):
        raise invalid(
            "invalid_idempotency_key", "Idempotency-Key", "must be 1 to 255 printable ASCII characters."
        )
    return header


def handoff(payload: Mapping[str, Any]) -> HandoffRequest:
    conversation_id = required_text(payload, "conversation_id", code="invalid_handoff", max_chars=128)
    why = required_text(payload, "reason", code="invalid_handoff", max_chars=MAX_REASON_CHARS)
    raw = payload.get("transcript", [])
    if not isinstance(raw, list):
        raise invalid("invalid_handoff", "transcript", "must be a list of {sender, text, timestamp}.")
    messages, truncated = _transcript(raw)
    return HandoffRequest(conversation_id, why, messages, truncated)


def _transcript(raw: list[Any]) -> tuple[list[TranscriptMessage], bool]:
    truncated = len(raw) > MAX_TRANSCRIPT_MESSAGES
    first = len(raw) - MAX_TRANSCRIPT_MESSAGES if truncated else 0
    messages = []
    for index in range(first, len(raw)):
        entry = raw[index]
        field = f"transcript[{index}]"
        if not isinstance(entry, dict):
            raise invalid("invalid_handoff", field, "must be an object with sender, text and timestamp.")
        sender = required_text(entry, "sender", code="invalid_handoff", max_chars=32, field=f"{field}.sender")
        message = optional_text(
            entry, "text", code="invalid_handoff", max_chars=None, field=f"{field}.text", allow_blank=True
        ) or ""
        if len(message) > MAX_TRANSCRIPT_TEXT_CHARS:
            message, truncated = message[:MAX_TRANSCRIPT_TEXT_CHARS], True
        timestamp = entry.get("timestamp")
        if timestamp is not None and not _is_timestamp(timestamp):
            raise invalid(
                "invalid_handoff", f"{field}.timestamp", "must be a finite number, a string or null."
            )
        if isinstance(timestamp, str):
            timestamp = required_text(
                entry, "timestamp", code="invalid_handoff", max_chars=64, field=f"{field}.timestamp"
            )
        messages.append(TranscriptMessage(sender, message, timestamp))
    return messages, truncated



def _is_timestamp(value: Any) -> bool:
    # Python's json reads NaN and Infinity, which no JSON client could read back.
    if isinstance(value, bool):
        return False
    return isinstance(value, str) or (isinstance(value, int | float) and math.isfinite(value))
