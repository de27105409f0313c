"""Mask personal data (emails, phone numbers, card numbers, street addresses) in free text.

Used where text leaves the conversation's own store: log records (the filter in
`rasa_llm/logs/log_redaction.py`, installed by `bot/logging.yml`) and prompts sent to a remote LLM
endpoint by the generative fallback; with `order_numbers=True` also the
conversation-insights report (`rasa_llm.insights`), whose readers need no customer's order. Masking
is pattern-based and errs on the side of masking: a mistyped card number is still a card number, so
any run of 13-19 digits is masked, Luhn-valid or not. Shop identifiers (`ORD-10003`, `RET-20001`,
SKUs) and short numbers such as prices, quantities and confidences are otherwise left alone, because
the bot and the model need them.
"""
from __future__ import annotations

import re

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
ADDRESS = "[ADDRESS]"
ORDER = "[ORDER]"

# A number is only personal data when it stands alone: not inside a word, an identifier
# (`ORD-10003` keeps its digits because they are short), a decimal (`0.98765431`) or a longer run.
_NUMBER_START = r"(?<![\w.+])"
_NUMBER_END = r"(?![\w]|[.,]\d)"

# The local part is bounded (64 characters, RFC 5321's limit) so that a 100,000-character word
# costs linear time, not quadratic. `%40` too: an address in a query string reaches an access log
# URL-encoded. Groups: the first character, the "@", the domain (for `shorten_emails`).
_EMAIL_RE = re.compile(
    r"([\w.+%-])[\w.+%-]{0,63}(@|%40)([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24})\b"
)

# 13-19 digits, optionally grouped by single spaces or dashes (4-4-4-4, 4-6-5 Amex, ...).
_CARD_RE = re.compile(_NUMBER_START + r"\d(?:[ -]?\d){12,18}" + _NUMBER_END)

# International numbers start with "+" ("+44 20 7946 0958", "+1 (555) 123-4567"); national ones
# need at least 7 digits in groups, with optional parentheses around the area code
# ("(555) 123-4567", "555.123.4567", "030 1234567").
_INTERNATIONAL_PHONE_RE = re.compile(r"(?<![\w+])\+\d[\d\s().-]{5,22}\d" + _NUMBER_END)
_PHONE_RE = re.compile(
    r"(?:(?<![\w.+(])\(\d{1,4}\)[\s.-]?|" + _NUMBER_START + r")\d{2,4}(?:[\s.-]?\d{2,5}){1,4}" + _NUMBER_END
)
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15  # E.164

_STREET_TYPES = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
    r"ter|parkway|pkwy|highway|hwy|circle|cir|square|sq|trail|trl|crescent|close|row|alley|plaza"
)
_UNIT = r"(?:,?\s+(?:apt|apartment|suite|ste|unit|floor|fl|#)\.?\s*[\w-]+)?"
_ADDRESS_RES = (
    # "221B Baker Street", "1600 Pennsylvania Ave NW, Suite 300", "12 north elm st."
    re.compile(
        r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Za-z][\w'.-]*\s+){0,3}(?:" + _STREET_TYPES + r")\b\.?"
        r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?" + _UNIT,
        re.IGNORECASE,
    ),
    # Continental style, number after the name: "Hauptstraße 5", "Rue de Rivoli 10", "Calle Mayor 3".
    re.compile(
        r"\b(?:[\wÀ-ÿ'-]*(?:straße|strasse|str\.|weg|gasse|allee|platz)"
        r"|(?:rue|avenue|calle|via|avenida|rua)(?:\s+[\wÀ-ÿ'-]+){1,3})\s+\d{1,5}[a-z]?\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bP\.?\s?O\.?\s+Box\s+\d+\b", re.IGNORECASE),
)

# "ORD-10003", "ord 10003", "order #10003", "order number 10003": how customers type order numbers.
_ORDER_RE = re.compile(r"\b(?:ORD|order(?:\s+(?:number|no\.?|id))?)\s*[-#:]?\s*\d{3,10}\b", re.IGNORECASE)


def shorten_emails(text: str) -> str:
    """`maria.garcia@example.com` -> `m***@example.com`, for every address in `text`.

    Enough for a customer to recognise their address, or for an operator to tell two apart in a log,
    not enough to write to it.
    """
    return _EMAIL_RE.sub(r"\1***\2\3", text)


def _mask_phone(match: re.Match[str]) -> str:
    candidate = match.group(0)
    digits = sum(character.isdigit() for character in candidate)
    if not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS or _ISO_DATE_RE.fullmatch(candidate):
        return candidate
    return PHONE


def mask_personal_data(text: str, order_numbers: bool = False) -> str:
    """`text` with emails, phone numbers, card numbers and street addresses replaced by placeholders.

    The placeholders (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[ADDRESS]`) keep the sentence readable for a
    person reading a log or a model answering a question. Order of the passes matters: emails first
    (they may hold digits), international phone numbers before cards (a "+49 ..." number can have 13
    digits), cards before national phone numbers (a card's groups look like a phone's).
    `order_numbers=True` also masks order numbers (`[ORDER]`), for text shown to people outside the
    conversation.
    """
    if not text:
        return text
    masked = _EMAIL_RE.sub(EMAIL, text)
    if order_numbers:
        masked = _ORDER_RE.sub(ORDER, masked)
    masked = _INTERNATIONAL_PHONE_RE.sub(_mask_phone, masked)
    masked = _CARD_RE.sub(CARD, masked)
    masked = _PHONE_RE.sub(_mask_phone, masked)
    for pattern in _ADDRESS_RES:
        masked = pattern.sub(ADDRESS, masked)
    return masked
