"""Headless Chromium for the page tests: Debian's own build, driven by Playwright (no download)."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Browser, Playwright

PHONE = {"width": 375, "height": 740}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright: Playwright) -> Browser:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `bash bot/setup_test_deps.sh`")
    return playwright.chromium.launch(executable_path=CHROMIUM)
