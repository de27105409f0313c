"""A small client for the shop API tests: sends the key and JSON, returns the raw response."""
from __future__ import annotations

from typing import Any

import requests

from tests.support.shop_api import RunningShopApi

MARIA = "maria.garcia@example.com"
JOHN = "john.smith@example.com"
AIKO = "aiko.tanaka@example.com"
LUKAS = "lukas.becker@example.com"


class ShopClient:
    def __init__(self, api: RunningShopApi) -> None:
        self.api = api

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(
            f"{self.api.base_url}{path}",
            json=body,
            headers={**self.api.headers, **(headers or {})},
            timeout=30,
        )

    def post_raw(self, path: str, data: bytes, headers: dict[str, str] | None = None) -> requests.Response:
        """POST bytes as they are (malformed or oversized bodies)."""
        merged = {**self.api.headers, "Content-Type": "application/json", **(headers or {})}
        return requests.post(f"{self.api.base_url}{path}", data=data, headers=merged, timeout=30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.get(
            f"{self.api.base_url}{path}", headers={**self.api.headers, **(headers or {})}, timeout=30
        )


def error_code(response: requests.Response) -> str:
    """The `error.code` of a refusal, after checking the body has the documented shape."""
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["code"]
