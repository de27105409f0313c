#!/usr/bin/env bash
# What the hardening tests need besides the venv: Debian's redis-server (Rasa's Redis lock store) and
# PostgreSQL (Rasa's SQL tracker store) for the scale-out test, and an unprivileged user to run them
# (PostgreSQL refuses to start as root). The tests start their own throw-away instances on free ports;
# nothing is enabled as a system service. Quick no-op when everything is present.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        echo "hardening setup: missing ${missing[*]}; install these Debian packages as root" >&2
        exit 1
    fi
    sudo_cmd=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
    echo "hardening setup: installing ${missing[*]} (apt)"
    $sudo_cmd apt-get update -q
    # policy-rc.d 101: the packages' post-install scripts must not start system-wide services.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
        $sudo_cmd chmod +x "$policy"
        trap '$sudo_cmd rm -f "$policy"' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# As root, the tests run the database servers as this user (see tests/system/hardening/services.py).
if [ "$(id -u)" -eq 0 ] && ! id rasa-llm-test >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin rasa-llm-test
fi
