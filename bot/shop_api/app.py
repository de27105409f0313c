"""Assemble the sanic app: routes, API-key check, body size limit, JSON error bodies, safe headers."""
from __future__ import annotations

import hmac
import json
import logging
from functools import partial

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.shop_api.errors import ApiError
from bot.shop_api.logs import log_config
from bot.shop_api.repository import ShopRepository
from bot.shop_api.routes import routes
from bot.shop_api.settings import Settings
from bot.shop_api.validation import MAX_BODY_BYTES

logger = logging.getLogger(__name__)

APP_NAME = "larkspur_shop_api"
_SANIC_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
}


def create_app(settings: Settings) -> Sanic:
    """The app for an already initialised database (see `seed.initialise`)."""
    # stdlib json: UTF-8 text as is and `/` unescaped (sanic's default ujson writes `\/`).
    app = Sanic(
        APP_NAME,
        log_config=log_config(),
        dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":")),
    )
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.repository = ShopRepository(settings.db_path)
    app.ctx.api_key = settings.api_key.encode("utf-8")
    app.blueprint(routes)
    app.register_middleware(_require_api_key, "request")
    app.register_middleware(_safe_headers, "response")
    app.error_handler.add(ApiError, _api_error)
    app.error_handler.add(SanicException, _sanic_error)
    app.error_handler.add(Exception, _unexpected_error)
    return app


async def _require_api_key(request: Request) -> None:
    if not request.path.startswith("/v1/"):
        return
    supplied = request.headers.get("X-API-Key", "").encode("utf-8", "surrogateescape")
    # compare_digest takes as long for a near miss as for a wild guess: no timing hints about the key.
    if not hmac.compare_digest(supplied, request.app.ctx.api_key):
        raise ApiError(401, "unauthorized", "A valid X-API-Key header is required.")


async def _safe_headers(request: Request, response: HTTPResponse) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.path.startswith("/v1/"):
        response.headers["Cache-Control"] = "no-store"  # customer data must not sit in caches


def _api_error(request: Request, error: ApiError) -> HTTPResponse:
    return json_response(error.body(), status=error.status)


def _sanic_error(request: Request, error: SanicException) -> HTTPResponse:
    status = getattr(error, "status_code", 500) or 500
    if status == 413:
        message = f"The request body is larger than {MAX_BODY_BYTES // 1024} KB."
    else:
        message = str(error) or "The request could not be handled."
    return json_response(
        {"error": {"code": _SANIC_ERROR_CODES.get(status, "http_error"), "message": message}}, status=status
    )


def _unexpected_error(request: Request, error: Exception) -> HTTPResponse:
    logger.error("Unexpected error on %s %s", request.method, request.path, exc_info=error)
    return json_response(
        {
            "error": {
                "code": "internal_error",
                "message": "Something went wrong on our side; please try again.",
            }
        },
        status=500,
    )
