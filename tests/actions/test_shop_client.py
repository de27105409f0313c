"""The shop API client maps every answer to a document or one of three errors."""
from __future__ import annotations

import asyncio

import pytest

from actions.shop_client import NotAllowed, NotFound, ShopClient, Unavailable


def test_settings_come_from_the_environment_and_the_key_stays_out_of_repr() -> None:
    client = ShopClient.from_env(
        {"SHOP_API_URL": "http://127.0.0.1:9/", "SHOP_API_KEY": "s3cret", "SHOP_API_TIMEOUT_S": "x"}
    )
    assert client.base_url == "http://127.0.0.1:9"
    assert client.timeout_s == 5.0  # an unreadable timeout falls back to the default
    assert "s3cret" not in repr(client)
    assert ShopClient.from_env({}).base_url == "http://127.0.0.1:8077"


def test_a_known_order_is_a_document(api) -> None:
    order = asyncio.run(ShopClient.from_env().lookup_order("ORD-10003", "john.smith@example.com"))
    assert order["status"] == "delivered"
    assert [item["sku"] for item in order["items"]] == ["LK-PCK-028", "LK-TOP-010"]


def test_a_wrong_email_is_not_found(api) -> None:
    with pytest.raises(NotFound):
        asyncio.run(ShopClient.from_env().lookup_order("ORD-10003", "maria.garcia@example.com"))


def test_a_refusal_carries_the_api_code(api) -> None:
    with pytest.raises(NotAllowed) as refusal:
        asyncio.run(ShopClient.from_env().cancel_order("ORD-10002", "maria.garcia@example.com", None))
    assert refusal.value.code == "not_cancellable"


def test_a_wrong_api_key_reads_as_unavailable(api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "not-the-key")
    with pytest.raises(Unavailable):
        asyncio.run(ShopClient.from_env().lookup_order("ORD-10003", "john.smith@example.com"))


def test_nobody_listening_is_unavailable(down_api) -> None:
    with pytest.raises(Unavailable):
        asyncio.run(ShopClient.from_env().tracking("ORD-10003", "john.smith@example.com"))


def test_an_answer_slower_than_the_timeout_is_unavailable(slow_api) -> None:
    with pytest.raises(Unavailable):
        asyncio.run(ShopClient.from_env().tracking("ORD-10003", "john.smith@example.com"))
