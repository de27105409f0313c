"""The one exception the shop API answers with: an HTTP status, a snake_case code and a sentence."""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal the client should see as `{"error": {"code", "message"[, "field"]}}`."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


def order_not_found() -> ApiError:
    # One answer for "no such order" and "wrong email", so the API never confirms that an order exists.
    return ApiError(404, "order_not_found", "No order matches this order id and email address.")


def return_not_found() -> ApiError:
    return ApiError(404, "return_not_found", "No return matches this return id and email address.")


def invalid(code: str, field: str, message: str) -> ApiError:
    """A 422 naming the field at fault, e.g. `address.postal_code` or `items[1].quantity`."""
    return ApiError(422, code, f"{field}: {message}", field=field)


def conflict(code: str, message: str) -> ApiError:
    """A 409: the request is well formed but the order's state forbids it."""
    return ApiError(409, code, message)
