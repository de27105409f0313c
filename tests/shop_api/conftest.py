"""Fixtures: the real shop API on loopback with a temp database, and a client for it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shop_api.client import ShopClient
from tests.support.shop_api import RunningShopApi, start_shop_api


@pytest.fixture(scope="module")
def shop_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningShopApi]:
    """One server per test module, for tests that change nothing (reads and refusals)."""
    with start_shop_api(tmp_path_factory.mktemp("shop_api")) as api:
        yield api


@pytest.fixture
def fresh_shop_api(tmp_path) -> Iterator[RunningShopApi]:
    """A server with a newly seeded database, for a test that changes orders."""
    with start_shop_api(tmp_path) as api:
        yield api


@pytest.fixture(scope="module")
def client(shop_api: RunningShopApi) -> ShopClient:
    return ShopClient(shop_api)


@pytest.fixture
def fresh_client(fresh_shop_api: RunningShopApi) -> ShopClient:
    return ShopClient(fresh_shop_api)
