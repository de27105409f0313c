"""HTTP routes: parse and validate the request, run the repository call in a worker thread, answer JSON."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.shop_api import validation
from bot.shop_api.openapi import openapi_document
from bot.shop_api.repository import ShopRepository
from rasa_llm.shared.privacy import shorten_emails

logger = logging.getLogger(__name__)
routes = Blueprint("shop_api")
T = TypeVar("T")


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    # sqlite3 blocks; a worker thread keeps the event loop serving other requests meanwhile.
    return await asyncio.to_thread(function, *args)


def _repository(request: Request) -> ShopRepository:
    return request.app.ctx.repository


@routes.get("/health")
async def health(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


@routes.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    return json(openapi_document())


@routes.post("/v1/orders/<order_id>/lookup")
async def lookup_order(request: Request, order_id: str) -> HTTPResponse:
    email = validation.email(validation.parse_json_object(request.body))
    return json(await _in_thread(_repository(request).lookup_order, order_id, email))


@routes.post("/v1/orders/<order_id>/tracking")
async def track_order(request: Request, order_id: str) -> HTTPResponse:
    email = validation.email(validation.parse_json_object(request.body))
    return json(await _in_thread(_repository(request).tracking, order_id, email))


@routes.post("/v1/orders/<order_id>/cancel")
async def cancel_order(request: Request, order_id: str) -> HTTPResponse:
    payload = validation.parse_json_object(request.body)
    email = validation.email(payload)
    reason = validation.optional_reason(payload)
    order = await _in_thread(_repository(request).cancel_order, order_id, email, reason)
    logger.info(
        "Cancelled %s for %s, refund %s", order_id, shorten_emails(email), order["refund"]["refund_id"]
    )
    return json(order)


@routes.post("/v1/orders/<order_id>/shipping-address")
async def change_shipping_address(request: Request, order_id: str) -> HTTPResponse:
    payload = validation.parse_json_object(request.body)
    email = validation.email(payload)
    address = validation.address(payload)
    order = await _in_thread(_repository(request).change_shipping_address, order_id, email, address)
    logger.info("Changed the shipping address of %s for %s", order_id, shorten_emails(email))
    return json(order)


@routes.post("/v1/orders/<order_id>/returns")
async def create_return(request: Request, order_id: str) -> HTTPResponse:
    payload = validation.parse_json_object(request.body)
    email = validation.email(payload)
    lines = validation.return_lines(payload)
    reason = validation.reason(payload)
    key = validation.idempotency_key(request.headers.get("Idempotency-Key"))
    document, created = await _in_thread(
        _repository(request).create_return, order_id, email, lines, reason, key
    )
    if created:
        logger.info("Created return %s on %s for %s", document["return_id"], order_id, shorten_emails(email))
    return json(document, status=201 if created else 200)


@routes.post("/v1/returns/<return_id>/lookup")
async def lookup_return(request: Request, return_id: str) -> HTTPResponse:
    email = validation.email(validation.parse_json_object(request.body))
    return json(await _in_thread(_repository(request).lookup_return, return_id, email))


@routes.post("/v1/orders/<order_id>/refunds")
async def refunds(request: Request, order_id: str) -> HTTPResponse:
    email = validation.email(validation.parse_json_object(request.body))
    return json(await _in_thread(_repository(request).refunds, order_id, email))


@routes.post("/v1/handoffs")
async def create_handoff(request: Request) -> HTTPResponse:
    handoff = validation.handoff(validation.parse_json_object(request.body))
    document = await _in_thread(_repository(request).create_handoff, handoff)
    logger.info("Opened handoff %s (%d transcript messages)", document["handoff_id"], len(handoff.transcript))
    return json(document, status=201)


@routes.get("/v1/handoffs/<handoff_id>")
async def get_handoff(request: Request, handoff_id: str) -> HTTPResponse:
    return json(await _in_thread(_repository(request).get_handoff, handoff_id))
