"""Rasa's Slack connector with two additions: a configurable Web API URL and citation rendering.

- `slack_api_url` (optional credential): where replies are posted. Rasa 3.6 always uses
  slack.com; the tests point it at a fake Slack Web API on loopback. Unset, it is Rasa's connector.
- Custom payloads of this bot's knowledge answers (`{"sources": [...], "mode": ...}`) and handoffs
  (`{"handoff": true, ...}`) are not Slack messages: Rasa would post them to chat.postMessage as
  unknown arguments, which Slack rejects. Sources become a small context block under the answer;
  the handoff notice needs nothing more, its text was already posted. Any other custom payload is
  passed to Slack as Rasa does (a Slack message of your own, e.g. with `blocks`).
"""
from __future__ import annotations

from typing import Any

from rasa.core.channels import slack as rasa_slack
from rasa.core.channels.channel import InputChannel, OutputChannel
from slack_sdk.web.async_client import AsyncWebClient

BOT_PAYLOAD_KEYS = {"sources", "mode", "handoff", "handoff_id"}


def sources_block(sources: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A Slack context block naming the knowledge-base passages an answer came from."""
    titles = [
        str(source.get("title") or source.get("id"))
        for source in sources
        if isinstance(source, dict) and (source.get("title") or source.get("id"))
    ]
    if not titles:
        return None
    # plain_text, so a title never needs Slack's mrkdwn escaping
    return {"type": "context", "elements": [{"type": "plain_text", "text": "Sources: " + " · ".join(titles)}]}


class SlackBot(rasa_slack.SlackBot):
    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
        api_url: str | None = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_url:
            self.client = AsyncWebClient(token, base_url=api_url, proxy=proxy)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        if not set(json_message) <= BOT_PAYLOAD_KEYS:
            await super().send_custom_json(recipient_id, json_message, **kwargs)
            return
        block = sources_block(json_message.get("sources") or [])
        if block is not None:
            text = block["elements"][0]["text"]
            await self._post_message(channel=self.slack_channel or recipient_id, text=text, blocks=[block])


class SlackInput(rasa_slack.SlackInput):
    """Rasa's Slack input channel (webhook `/webhooks/slack/webhook`, signature checks and all)."""

    slack_api_url: str | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.slack_api_url = (credentials or {}).get("slack_api_url") or None
        return channel

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> OutputChannel:
        return SlackBot(
            self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.slack_api_url
        )
