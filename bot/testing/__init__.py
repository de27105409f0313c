"""What system tests and benchmarks use to run the bot on loopback; the bot itself never imports it.

`stack` (the whole bot, or one with a fault proxy in front of the shop API), `fault_proxy`,
`fault_scenarios`, `hostile` (the hostile-input corpus), `tiny_bot` (a small bot for the knowledge
components).
"""
from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
