# The two commands of the README:
#   make run    build the venv, train if needed, start shop API + action server, open `rasa shell`
#   make test   the same set-up plus test tools, then the whole test suite
SHELL := /bin/bash
# The project's environment block (telemetry off, offline, no TensorFlow backend...): one file.
include bot/environment.env
export $(shell sed -n 's/^\([A-Z_]*\)=.*/\1/p' bot/environment.env)
PY := .venv/bin/python

.PHONY: run serve train test setup benchmark-intent benchmark-fallback benchmark-insights insights lint

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

benchmark-intent: setup
	$(PY) benchmarks/intent_benchmark.py --train data/nlu --split 0.25 --seed 7

benchmark-fallback: setup
	$(PY) benchmarks/fallback_benchmark.py

# The conversation-insights report of the tracker store in endpoints.yml (ENDPOINTS=... for another):
#   make insights SINCE=2026-11-01 UNTIL=2026-11-30    (UTC days, both included; default: the last 30 days)
insights: setup
	$(PY) -m rasa_llm.insights --endpoints $(or $(ENDPOINTS),endpoints.yml) --out $(or $(OUT),reports/insights) \
		$(if $(SINCE),--since $(SINCE)) $(if $(UNTIL),--until $(UNTIL))

benchmark-insights: setup
	$(PY) benchmarks/insights_benchmark.py

lint:
	$(PY) -m ruff check rasa_llm bot actions tests benchmarks
