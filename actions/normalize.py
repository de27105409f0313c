"""Turn what customers type into the shapes the shop API expects, or None when it cannot be one.

Pure functions, no Rasa imports: the form validators call them and tests can check them alone.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

# "ORD-10003", "ord 10003", "ORD10003", "#10003" or a bare "10003", anywhere in a sentence. The
# lookbehind keeps the digits of return and refund ids (RET-20001, RF-30001) and longer numbers out.
_ORDER_ID = re.compile(r"(?:\bord\s*[-#]?\s*|#|(?<![\w#-]))(\d{5})\b", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
MAX_EMAIL_CHARS = 254

MAX_REASON_CHARS = 500
MAX_STREET_CHARS = 200
MAX_CITY_CHARS = 100
MAX_COUNTRY_CHARS = 56
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,8}[A-Za-z0-9]$")
_COUNTRY_ALIASES = {
    "us": "US", "u.s.": "US", "usa": "US", "u.s.a.": "US", "united states": "US",
    "united states of america": "US", "america": "US", "the us": "US", "the usa": "US",
    "the united states": "US",
}
_RETURN_ALL_WORDS = ("all", "both", "everything", "every item", "whole order", "entire order", "all of them")
# Words of product names too common to tell two items apart ("Trekking Poles Pair", "Dry Bag 20L").
_NAME_STOPWORDS = {"the", "and", "of", "for", "with", "pair", "pack", "set"}


def order_id(text: Any) -> str | None:
    """The first order id in `text`, as ORD-12345; None when there is none."""
    if not isinstance(text, str):
        return None
    match = _ORDER_ID.search(text)
    return f"ORD-{match.group(1)}" if match else None


def email(text: Any) -> str | None:
    """The first email address in `text`, lower-cased; None when there is none (or it is absurdly long)."""
    if not isinstance(text, str):
        return None
    match = _EMAIL.search(text)
    if match is None or len(match.group(0)) > MAX_EMAIL_CHARS:
        return None
    return match.group(0).lower()


def free_text(text: Any, max_chars: int) -> str | None:
    """A customer's own words (a reason, a street): trimmed, control characters removed, None when
    empty or too long to be an answer."""
    if not isinstance(text, str):
        return None
    cleaned = "".join(char for char in text if unicodedata.category(char) != "Cc" or char == " ")
    cleaned = " ".join(cleaned.split())
    if not cleaned or len(cleaned) > max_chars:
        return None
    return cleaned


def street(text: Any) -> str | None:
    """A street line must name a street and a house number (at least one letter and one digit)."""
    value = free_text(text, MAX_STREET_CHARS)
    if value is None or not any(c.isalpha() for c in value) or not any(c.isdigit() for c in value):
        return None
    return value


def city(text: Any) -> str | None:
    value = free_text(text, MAX_CITY_CHARS)
    if value is None or len(value) < 2 or not any(c.isalpha() for c in value) or any(c.isdigit() for c in value):
        return None
    return value


def postal_code(text: Any) -> str | None:
    value = free_text(text, 10)
    if value is None or not _POSTAL_CODE.match(value) or not any(c.isdigit() for c in value):
        return None
    return value.upper()


def country(text: Any) -> str | None:
    """A country name (or code); the common spellings of the United States become "US"."""
    value = free_text(text, MAX_COUNTRY_CHARS)
    if value is None:
        return None
    alias = _COUNTRY_ALIASES.get(value.lower().rstrip("."))
    if alias:
        return alias
    if len(value) < 2 or not all(c.isalpha() or c in " .'-" for c in value):
        return None
    return value if len(value) <= 3 and value.isupper() else value.title()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _stem(word: str) -> str:
    # "tees" names the "Tee", "boots" the "Boots": compare singular-ish forms.
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def wants_all_items(text: str, products: Sequence[str]) -> bool:
    lowered = f" {' '.join(_words(text))} "
    return any(value.strip().lower() == "all" for value in products) or any(
        f" {phrase} " in lowered for phrase in _RETURN_ALL_WORDS
    )


def match_items(text: str, products: Sequence[str], items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's items the customer means: all of them ("both", "all"), the ones whose catalogue
    name was recognised as a `product` entity, or else those sharing a distinctive word with `text`
    ("the tee" -> Basecamp Merino Tee). Empty when nothing matches."""
    if wants_all_items(text, products):
        return list(items)
    named = {value.strip().lower() for value in products}
    chosen = [item for item in items if str(item.get("name", "")).lower() in named]
    if chosen:
        return chosen
    said = {_stem(word) for word in _words(text)} | {_stem(word) for value in products for word in _words(value)}
    return [
        item
        for item in items
        if {_stem(w) for w in _words(str(item.get("name", ""))) if w not in _NAME_STOPWORDS and not w.isdigit()}
        & said
    ]
