"""Slack: signed Events API requests reach the bot and its reply reaches Slack; forged ones do neither.

Requests go to Rasa's own Slack webhook; the bot posts to the fake Slack Web API configured as
`slack_api_url` in the run's credentials.
"""
from __future__ import annotations

import json
import time
import uuid

import requests

from tests.system.channels.fake_slack import message_event, signed_headers


def new_dm() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8].upper()
    return {"user": f"U{suffix}", "channel": f"D{suffix}"}


def post_event(stack, body: bytes, headers: dict[str, str] | None) -> requests.Response:
    return requests.post(
        stack.slack_webhook, data=body, headers=headers or {"Content-Type": "application/json"}, timeout=30
    )


def test_signed_message_gets_the_bots_reply_posted_to_slack(channels_stack, domain_texts):
    dm = new_dm()
    body = json.dumps(message_event("hello", **dm)).encode()

    response = post_event(channels_stack, body, signed_headers(channels_stack.slack_signing_secret, body))

    assert response.status_code == 200
    posts = channels_stack.slack.wait_for_posts(dm["channel"])
    assert posts, "the bot posted nothing to Slack"
    first = posts[0]
    assert first["token"] == f"Bearer {channels_stack.slack_token}"
    assert first["body"]["text"] in domain_texts("utter_greet")


def test_url_verification_challenge_is_answered(channels_stack):
    body = json.dumps(
        {"type": "url_verification", "token": "unused", "challenge": "c-" + uuid.uuid4().hex}
    ).encode()

    response = post_event(channels_stack, body, signed_headers(channels_stack.slack_signing_secret, body))

    assert response.status_code == 200
    assert response.json() == json.loads(body)["challenge"]


def test_forged_requests_are_rejected_and_get_no_reply(channels_stack):
    secret = channels_stack.slack_signing_secret
    forged = {}

    def attempt(name: str, make_headers) -> None:
        dm = new_dm()
        body = json.dumps(message_event("hello", **dm)).encode()
        forged[name] = (dm["channel"], post_event(channels_stack, body, make_headers(body)))

    attempt("unsigned", lambda body: None)
    attempt("stale", lambda body: signed_headers(secret, body, timestamp=int(time.time()) - 6 * 60))
    attempt("wrong secret", lambda body: signed_headers("not-the-" + secret, body))
    attempt("tampered body", lambda body: signed_headers(secret, body.replace(b"hello", b"hi")))
    attempt("signature of another timestamp", lambda body: {
        **signed_headers(secret, body), "X-Slack-Request-Timestamp": str(int(time.time()) - 1)})

    for name, (_, response) in forged.items():
        assert response.status_code == 400, f"{name}: {response.status_code} {response.text}"

    # A genuine message sent after the forged ones is answered; had any forged one been taken,
    # its reply would have been posted by then too.
    dm = new_dm()
    body = json.dumps(message_event("hello", **dm)).encode()
    post_event(channels_stack, body, signed_headers(secret, body))
    assert channels_stack.slack.wait_for_posts(dm["channel"])
    for name, (channel, _) in forged.items():
        assert channels_stack.slack.posted_to(channel) == [], f"{name} request got a reply"
