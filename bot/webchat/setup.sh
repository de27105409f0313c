#!/usr/bin/env bash
# Install the web chat page's browser packages (socket.io-client) from npm into
# bot/webchat/node_modules; the page never loads scripts from a CDN. Quick no-op when current.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
    echo "webchat setup: npm is missing; install Node.js 18 or newer (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
stamp=node_modules/.package-lock.json
# npm rewrites node_modules/.package-lock.json on every install: newer than package-lock.json means current
if [ -f node_modules/socket.io-client/dist/socket.io.min.js ] && [ "$stamp" -nt package-lock.json ]; then
    exit 0
fi
echo "webchat setup: npm ci in bot/webchat"
npm ci --no-audit --no-fund --loglevel=error
