"""A customer's side of one REST conversation with the full stack, for the multi-turn tests."""
from __future__ import annotations

import json
from typing import Any

from bot.testing.stack import RunningStack, texts


class Chat:
    """One conversation: `say` sends a message and answers the bot's reply, lower-cased."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.sender = stack.new_sender()
        self.replies: list[str] = []

    def say(self, text: str) -> str:
        reply = texts(self.stack.say(self.sender, text))
        self.replies.append(reply)
        return reply

    @property
    def everything(self) -> str:
        """Every reply of the conversation so far, joined."""
        return "\n".join(self.replies)

    def slots(self) -> dict[str, Any]:
        return self.stack.tracker(self.sender)["slots"]

    def active_loop(self) -> str | None:
        return (self.stack.tracker(self.sender).get("active_loop") or {}).get("name")

    def order(self, order_id: str) -> dict[str, Any]:
        with self.stack.shop_db() as db:
            row = db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        order = dict(row)
        order["shipping_address"] = json.loads(order["shipping_address"])
        return order

    def returned_items(self, order_id: str) -> list[list[tuple[str, int]]]:
        """The (sku, quantity) lines of each return on `order_id`, oldest first."""
        with self.stack.shop_db() as db:
            returns = db.execute(
                "SELECT id FROM returns WHERE order_id = ? ORDER BY id", (order_id,)
            ).fetchall()
            return [
                sorted(map(tuple, db.execute(
                    "SELECT sku, quantity FROM return_items WHERE return_id = ?", (ret["id"],)).fetchall()))
                for ret in returns
            ]

    def handoffs(self) -> int:
        with self.stack.shop_db() as db:
            return len(
                db.execute("SELECT id FROM handoffs WHERE conversation_id = ?", (self.sender,)).fetchall()
            )
