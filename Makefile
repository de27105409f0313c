# The two commands of the README:
#   make run    build the venv, train if needed, start shop API + action server, open `rasa shell`
#   make test   the same set-up plus test tools, then the whole test suite
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export USE_TF := 0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PY := .venv/bin/python

.PHONY: run serve train test setup benchmark-intent benchmark-fallback lint

run: setup
	$(PY) -m bot.stack shell

serve: setup
	bash bot/webchat/setup.sh
	$(PY) -m bot.stack serve

train: setup
	$(PY) -m bot.stack train

setup:
	bash bot/setup.sh

test:
	bash bot/setup.sh dev
	bash bot/setup_test_deps.sh
	bash bot/setup_hardening_deps.sh
	$(PY) -m bot.stack train
	$(PY) -m pytest

lint:
	$(PY) -m ruff check rasa_llm bot actions tests benchmarks
