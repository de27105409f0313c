"""The report opened in headless Chromium: it renders offline, its plots are drawn, no personal data."""
from __future__ import annotations

import re

from playwright.sync_api import sync_playwright

from rasa_llm.insights.cli import main
from rasa_llm.insights.report import HTML_FILE
from tests.system.channels.browser import launch

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
ORDER_NUMBER = re.compile(r"\bORD[-\s]?\d+", re.IGNORECASE)


def test_report_renders_offline_with_plots_and_no_personal_data(small_store, tmp_path):
    assert main(["--endpoints", str(small_store), "--since", "2026-11-02", "--until", "2026-11-03",
                 "--out", str(tmp_path)]) == 0
    requests = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto((tmp_path / HTML_FILE).as_uri())
        plots = page.locator("figure.plot svg")
        sizes = [plots.nth(index).bounding_box() for index in range(plots.count())]
        text = page.inner_text("body")
        todo_rows = page.locator("h2#todo ~ table tr").count()
        browser.close()
    assert requests == [(tmp_path / HTML_FILE).as_uri()]  # nothing else fetched: self-contained
    assert len(sizes) >= 4 and all(box and box["width"] > 200 and box["height"] > 100 for box in sizes)
    assert "Conversation insights" in text and "To-do list for designers" in text
    assert "[ORDER]" in text  # the question that held an order number is listed, masked
    assert not EMAIL.search(text) and not ORDER_NUMBER.search(text)
    assert todo_rows >= 3  # header + the groups of the scenario's unhandled questions
