"""How this bot's custom payloads (citations, handoff) leave through the socket.io and Slack connectors."""
from __future__ import annotations

import asyncio
from typing import Any

from bot.channels.slack import SlackBot, SlackInput
from bot.channels.socketio import SocketIOOutput

CITED = {
    "sources": [{"id": "kb-returns", "title": "Returns & refunds"}, {"id": "kb-ship", "title": "Shipping"}],
    "mode": "generated",
}


class RecordingSocketServer:
    def __init__(self) -> None:
        self.emitted: list[dict[str, Any]] = []

    async def emit(self, event: str, data: Any = None, room: Any = None, **kwargs: Any) -> None:
        self.emitted.append({"event": event, "data": data, "room": room, **kwargs})


class RecordingSlackClient:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    async def chat_postMessage(self, **kwargs: Any) -> None:  # noqa: N802 (slack_sdk's name)
        self.posted.append(kwargs)


def slack_bot() -> SlackBot:
    bot = SlackBot("xoxb-test", slack_channel=None)
    bot.client = RecordingSlackClient()
    return bot


def test_socketio_custom_payload_is_one_bot_uttered_event_to_the_session():
    server = RecordingSocketServer()

    asyncio.run(SocketIOOutput(server, "bot_uttered").send_custom_json("session-1", dict(CITED)))

    assert server.emitted == [{"event": "bot_uttered", "data": {"custom": CITED}, "room": "session-1"}]


def test_slack_lists_sources_in_a_context_block():
    bot = slack_bot()

    asyncio.run(bot.send_custom_json("D123", dict(CITED)))

    [post] = bot.client.posted
    assert post["channel"] == "D123"
    assert post["text"] == "Sources: Returns & refunds · Shipping"
    assert post["blocks"] == [{"type": "context", "elements": [{"type": "plain_text", "text": post["text"]}]}]


def test_slack_posts_nothing_more_for_a_handoff_or_an_uncited_answer():
    bot = slack_bot()

    asyncio.run(bot.send_custom_json("D123", {"handoff": True, "handoff_id": "HO-40001"}))
    asyncio.run(bot.send_custom_json("D123", {"sources": [], "mode": "abstained"}))
    asyncio.run(bot.send_custom_json("D123", {"sources": [{"id": None}, "junk"], "mode": "generated"}))

    assert bot.client.posted == []


def test_slack_passes_its_own_message_payloads_through():
    bot = slack_bot()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hi*"}}]

    asyncio.run(bot.send_custom_json("D123", {"blocks": blocks, "text": "Hi"}))

    assert bot.client.posted == [{"channel": "D123", "blocks": blocks, "text": "Hi", "as_user": True}]


def test_slack_api_url_credential_points_replies_elsewhere():
    channel = SlackInput.from_credentials({"slack_token": "xoxb-test", "slack_signing_secret": "s",
                                           "slack_api_url": "http://127.0.0.1:9/api/"})
    default = SlackInput.from_credentials({"slack_token": "xoxb-test", "slack_signing_secret": "s"})

    assert channel.get_output_channel("D1").client.base_url == "http://127.0.0.1:9/api/"
    assert default.get_output_channel("D1").client.base_url == "https://slack.com/api/"
