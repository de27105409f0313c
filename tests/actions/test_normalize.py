"""What customers type, turned into what the shop API takes (no server needed)."""
from __future__ import annotations

import pytest

from actions import normalize

ORDER_ITEMS = [
    {"sku": "LK-PCK-028", "name": "Trailhead 28 Daypack", "quantity": 1},
    {"sku": "LK-TOP-010", "name": "Basecamp Merino Tee", "quantity": 2},
]


@pytest.mark.parametrize(
    "typed",
    [
        "ORD-10003",
        "ord 10003",
        "ORD10003",
        "#10003",
        "10003",
        "ord-10003",
        "it's ord #10003 i think",
        " Ord 10003 ",
    ],
)
def test_order_ids_in_any_shape_become_canonical(typed: str) -> None:
    assert normalize.order_id(typed) == "ORD-10003"


@pytest.mark.parametrize(
    "typed", ["RET-20001", "RF-30001", "1234", "123456", "order please", "", None, 10003]
)
def test_text_without_an_order_id_gives_none(typed: object) -> None:
    assert normalize.order_id(typed) is None


def test_email_is_found_in_a_sentence_and_lower_cased() -> None:
    assert normalize.email("it's Maria.Garcia@Example.com thanks") == "maria.garcia@example.com"


@pytest.mark.parametrize(
    "typed", ["maria.garcia", "maria@", "@example.com", "", None, "a" * 300 + "@example.com"]
)
def test_not_an_email_gives_none(typed: object) -> None:
    assert normalize.email(typed) is None


def test_address_fields_are_checked() -> None:
    assert normalize.street("  221   Birch Lane ") == "221 Birch Lane"
    assert normalize.street("Birch Lane") is None  # no house number
    assert normalize.city("Denver") == "Denver"
    assert normalize.city("80205") is None
    assert normalize.postal_code("80205") == "80205"
    assert normalize.postal_code("sw1a 1aa") == "SW1A 1AA"
    assert normalize.postal_code("hello") is None
    assert normalize.country("usa") == "US"
    assert normalize.country("united states of america") == "US"
    assert normalize.country("germany") == "Germany"
    assert normalize.country("12345") is None


def test_free_text_drops_control_characters_and_refuses_the_huge() -> None:
    assert normalize.free_text("too\x00 small\x07", 500) == "too small"
    assert normalize.free_text("x" * 501, 500) is None
    assert normalize.free_text("   ", 500) is None


def test_items_are_matched_by_catalogue_name_word_or_all() -> None:
    by_entity = normalize.match_items("the daypack", ["Trailhead 28 Daypack"], ORDER_ITEMS)
    assert [item["sku"] for item in by_entity] == ["LK-PCK-028"]
    by_word = normalize.match_items("just the tees please", [], ORDER_ITEMS)
    assert [item["sku"] for item in by_word] == ["LK-TOP-010"]
    assert normalize.match_items("both of them", [], ORDER_ITEMS) == ORDER_ITEMS
    assert normalize.match_items("", ["all"], ORDER_ITEMS) == ORDER_ITEMS


def test_items_not_on_the_order_match_nothing() -> None:
    assert normalize.match_items("the tent", ["Ridgeline 2 Tent"], ORDER_ITEMS) == []
    assert normalize.match_items("28", [], ORDER_ITEMS) == []  # digits alone name nothing
