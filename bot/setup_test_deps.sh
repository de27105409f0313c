#!/usr/bin/env bash
# What the channel tests need besides the venv (bot/setup.sh dev): Debian's Chromium for the
# browser test (Playwright drives it through executable_path; `playwright install` is never run,
# it would download a browser) and the web chat page's npm packages. Quick no-op when present.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        echo "test setup: Chromium is missing; install Debian's chromium package as root" >&2
        exit 1
    fi
    sudo_cmd=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
    echo "test setup: installing chromium (apt)"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends chromium fonts-liberation
fi

bash bot/webchat/setup.sh

if ! .venv/bin/python -c "import playwright, pexpect" >/dev/null 2>&1; then
    echo "test setup: playwright/pexpect missing from .venv: run 'bash bot/setup.sh dev' first" >&2
    exit 1
fi
