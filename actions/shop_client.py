"""The action server's only way to the shop: an async HTTP client for the shop API (docs/contracts.md).

Every failure reaches the actions as one of three exceptions, so each action can answer the customer
in words: `NotFound` (no order/return for that id and email), `NotAllowed` (the shop refused: the
order's state forbids it, or the request was invalid; `code` says which) and `Unavailable` (no usable
answer: connection refused, timeout, a 5xx, a bad key, an unreadable body).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8077"
DEFAULT_TIMEOUT_S = 5.0

JsonObject = dict[str, Any]


class ShopApiError(Exception):
    """Base of the client's errors; `message` is the API's own sentence when it sent one."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ShopApiError):
    """404: no order (or return) matches this id and email."""


class NotAllowed(ShopApiError):
    """409 or 422: the shop refused the request; `code` is the API's snake_case error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Unavailable(ShopApiError):
    """The shop API could not be used: down, slow, misconfigured or answering nonsense."""


@dataclass(frozen=True)
class ReturnLine:
    sku: str
    quantity: int


class ShopClient:
    """One method per shop API endpoint the bot uses; each returns the decoded JSON document."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout_s = timeout_s

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ShopClient:
        """SHOP_API_URL (default http://127.0.0.1:8077), SHOP_API_KEY, SHOP_API_TIMEOUT_S (default 5)."""
        environ = os.environ if environ is None else environ
        try:
            timeout_s = float(environ.get("SHOP_API_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
        except ValueError:
            timeout_s = DEFAULT_TIMEOUT_S
        return cls(
            base_url=environ.get("SHOP_API_URL") or DEFAULT_BASE_URL,
            api_key=environ.get("SHOP_API_KEY", ""),
            timeout_s=timeout_s,
        )

    def __repr__(self) -> str:  # the key never lands in a log or a traceback
        return f"ShopClient(base_url={self.base_url!r}, timeout_s={self.timeout_s})"

    async def lookup_order(self, order_id: str, email: str) -> JsonObject:
        return await self._post(f"/v1/orders/{order_id}/lookup", {"email": email})

    async def tracking(self, order_id: str, email: str) -> JsonObject:
        return await self._post(f"/v1/orders/{order_id}/tracking", {"email": email})

    async def cancel_order(self, order_id: str, email: str, reason: str | None) -> JsonObject:
        body: JsonObject = {"email": email}
        if reason:
            body["reason"] = reason
        return await self._post(f"/v1/orders/{order_id}/cancel", body)

    async def change_shipping_address(
        self, order_id: str, email: str, address: Mapping[str, Any]
    ) -> JsonObject:
        return await self._post(
            f"/v1/orders/{order_id}/shipping-address", {"email": email, "address": dict(address)}
        )

    async def create_return(
        self, order_id: str, email: str, lines: Sequence[ReturnLine], reason: str, idempotency_key: str
    ) -> JsonObject:
        body = {
            "email": email,
            "items": [{"sku": line.sku, "quantity": line.quantity} for line in lines],
            "reason": reason,
        }
        return await self._post(
            f"/v1/orders/{order_id}/returns", body, headers={"Idempotency-Key": idempotency_key}
        )

    async def lookup_return(self, return_id: str, email: str) -> JsonObject:
        return await self._post(f"/v1/returns/{return_id}/lookup", {"email": email})

    async def refunds(self, order_id: str, email: str) -> JsonObject:
        return await self._post(f"/v1/orders/{order_id}/refunds", {"email": email})

    async def create_handoff(
        self, conversation_id: str, reason: str, transcript: list[JsonObject]
    ) -> JsonObject:
        body = {"conversation_id": conversation_id, "reason": reason, "transcript": transcript}
        return await self._post("/v1/handoffs", body)

    async def _post(
        self, path: str, body: JsonObject, headers: Mapping[str, str] | None = None
    ) -> JsonObject:
        url = f"{self.base_url}{path}"
        all_headers = {"X-API-Key": self._api_key, **(headers or {})}
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, json=body, headers=all_headers) as response:
                    status = response.status
                    raw = await response.read()
        except asyncio.TimeoutError:
            logger.warning("Shop API %s timed out after %.1f s", path, self.timeout_s)
            raise Unavailable("The shop API did not answer in time.") from None
        except aiohttp.ClientError as error:
            logger.warning("Shop API %s unreachable: %s", path, type(error).__name__)
            raise Unavailable("The shop API could not be reached.") from None
        return _decode(path, status, raw)


def _decode(path: str, status: int, raw: bytes) -> JsonObject:
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if 200 <= status < 300:
        if not isinstance(payload, dict):
            logger.warning("Shop API %s answered %d with a body that is not a JSON object", path, status)
            raise Unavailable("The shop API answered with an unreadable body.")
        return payload
    error = payload.get("error") if isinstance(payload, dict) else None
    code = str(error.get("code", "")) if isinstance(error, dict) else ""
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    if status == 404:
        raise NotFound(message or "Not found.")
    if status in (409, 422):
        raise NotAllowed(code or "not_allowed", message or "The shop refused the request.")
    # 400/401/413 mean this client or its configuration is wrong; 5xx that the API is: either way the
    # customer cannot fix it, so it reads as "unavailable" to them and as an error in the log.
    logger.error("Shop API %s answered %d (%s)", path, status, code or "no error code")
    raise Unavailable(f"The shop API answered {status}.")
