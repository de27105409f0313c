"""Fixtures: the real shop API on loopback with a temp database, and a client for it."""
from __future__ import annotations

import pytest

from tests.shop_api.client import ShopClient
from tests.support.shop_api import RunningShopApi


@pytest.fixture(scope="module")
def client(shop_api: RunningShopApi) -> ShopClient:
    return ShopClient(shop_api)


@pytest.fixture
def fresh_client(fresh_shop_api: RunningShopApi) -> ShopClient:
    return ShopClient(fresh_shop_api)
