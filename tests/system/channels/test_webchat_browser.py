"""The web chat page in headless Chromium, as a customer uses it: ask where an order is, verify,
read the tracking details, reload the page and find the conversation still there.

Debian's Chromium is driven by Playwright through `executable_path` (no browser download).
Screenshots are left in tests/artifacts/ for a person to look at.
"""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from tests.system.channels.browser import PHONE, launch

ORDER_ID = "ORD-10002"
EMAIL = "maria.garcia@example.com"
REPLY_TIMEOUT_MS = 90_000


@pytest.fixture()
def page(channels_stack):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        yield page
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def tracking_number(stack) -> str:
    """The demo order's tracking number, asked of the shop API the bot itself uses."""
    response = requests.post(
        f"{stack.settings.shop_url}/v1/orders/{ORDER_ID}/tracking", json={"email": EMAIL},
        headers={"X-API-Key": stack.settings.shop_api_key}, timeout=30,
    )
    response.raise_for_status()
    return response.json()["tracking_number"]


def say(page: Page, text: str) -> None:
    """Type `text` and press Enter, then wait until the bot has answered it."""
    bot_messages = page.locator(".msg--bot")
    before = bot_messages.count()
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg--user").last).to_have_text(f"You: {text}")
    expect(bot_messages).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_text("The assistant is typing…")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def test_order_tracking_conversation_survives_a_reload(channels_stack, page: Page, artifacts):
    expected_tracking = tracking_number(channels_stack)
    page.goto(channels_stack.webchat_url)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=30_000)
    expect(page.get_by_label("Your message")).to_be_focused()

    say(page, "where is my order")
    say(page, ORDER_ID)
    say(page, EMAIL)

    log = page.get_by_role("log", name="Conversation")
    expect(log).to_contain_text(expected_tracking, timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "webchat_phone.png"), full_page=True)

    session = page.evaluate("localStorage.getItem('larkspur.chat.session')")
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=30_000)
    expect(log).to_contain_text(expected_tracking)
    expect(log).to_contain_text(EMAIL)
    assert page.evaluate("localStorage.getItem('larkspur.chat.session')") == session

    # The reloaded page rejoins the same conversation on the server: the bot answers it there.
    say(page, "thanks")
    tracker = requests.get(
        f"{channels_stack.settings.rasa_url}/conversations/{session}/tracker",
        params={"token": channels_stack.settings.rasa_token}, timeout=30,
    ).json()
    user_texts = [event.get("text") for event in tracker["events"] if event["event"] == "user"]
    assert user_texts[-4:] == ["where is my order", ORDER_ID, EMAIL, "thanks"]

    page.set_viewport_size({"width": 1100, "height": 800})
    page.screenshot(path=str(artifacts / "webchat_desktop.png"))


def test_suggested_replies_work_from_the_keyboard(channels_stack, page: Page, domain_texts):
    page.goto(channels_stack.webchat_url)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(timeout=30_000)

    say(page, "hello")
    suggestions = page.get_by_role("group", name="Suggested replies")
    expect(suggestions.get_by_role("button")).to_have_count(3)
    bot_messages = page.locator(".msg--bot")
    before = bot_messages.count()
    suggestions.get_by_role("button", name="Track an order").press("Enter")

    expect(page.locator(".msg--user").last).to_have_text("You: Track an order")
    expect(suggestions).to_have_count(0)  # answered suggestions go away
    expect(page.get_by_label("Your message")).to_be_focused()
    expect(bot_messages).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    assert bot_messages.last.locator(".msg__text").inner_text() in domain_texts("utter_ask_order_id")
