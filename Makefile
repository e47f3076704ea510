# Switchboard. The README's two commands are `make run` and `make test`; the rest are steps they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup setup-test train validate run test test-unit test-stories nlu-report bench-voice seed clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup:  ## Install Debian packages and the venv (fast when already done)
	@scripts/setup.sh

setup-test:  ## Also install what the tests need (Chromium, speech test data)
	@scripts/setup.sh --test

train: setup  ## Train the model (Rasa's cache skips unchanged components)
	@$(PY) -m switchboard.train

validate: setup  ## Check the training data and domain
	@$(PY) -m rasa data validate --domain domain --fail-on-warnings

run: train  ## Install, train and start Rasa, actions and the gateway on localhost
	@$(PY) -m switchboard.stack

test: setup-test train  ## Validate data, run pytest and the conversation tests
	@scripts/test.sh

test-unit: setup-test  ## Only the fast tests (no Rasa server)
	@$(PY) -m pytest -m "not stack" -q

test-stories: train  ## Only the Rasa conversation tests
	@$(PY) -m switchboard.story_tests

nlu-report: setup  ## Per-language NLU cross-validation: intent F1 per language (reports/nlu/)
	@$(PY) -m switchboard.nlu_report

bench-voice: setup-test train  ## Voice figures: STT real-time factor, response latency p50/p95, concurrent calls
	@$(PY) -m voice.bench
	@$(PY) -m voice.bench_calls

seed: setup  ## Reload the sample customers into the customer store
	@$(PY) -m actions.crm.seed

clean:  ## Remove this checkout's runtime data (not the shared cache)
	rm -rf var results reports .pytest_cache
