# Switchboard. The README's two commands are `make run` and `make test`; the rest are steps they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup setup-test setup-scaled train validate publish faq-export faq-import run run-scaled test test-unit test-stories nlu-report \
	nlu-compare bench-nlu tune-nlu bench-publish bench-chat bench-voice seed clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup:  ## Install Debian packages and the venv (fast when already done)
	@scripts/setup.sh

setup-test:  ## Also install what the tests need (Chromium, speech test data, PostgreSQL, Redis, nginx)
	@scripts/setup.sh --test

setup-scaled:  ## Also install the scaled topology's servers (PostgreSQL, Redis, nginx)
	@scripts/setup.sh --scaled

train: setup  ## Train the model (Rasa's cache skips unchanged components)
	@$(PY) -m switchboard.train

validate: setup  ## Check the content: Rasa's checks and the project's, each problem with file:line and a fix
	@$(PY) -m switchboard.validation

publish: setup  ## Check, train and load the new model into the running stack (a failed training keeps the old one)
	@$(PY) -m switchboard.validation --skip-rasa
	@$(PY) -m switchboard.publish

faq-export: setup  ## Write every FAQ as one spreadsheet: reports/faq.csv (or OUT=path)
	@$(PY) -m switchboard.faq_sheet export $(if $(OUT),--out "$(OUT)")

faq-import: setup  ## Check FILE=sheet.csv, show the diff, write it back to the YAML (DRY_RUN=1: only show)
	@test -n "$(FILE)" || { echo "usage: make faq-import FILE=path/to/faq.csv [DRY_RUN=1]" >&2; exit 2; }
	@$(PY) -m switchboard.faq_sheet import "$(FILE)" $(if $(DRY_RUN),--dry-run)

run: train  ## Install, train and start Rasa, actions and the gateway on localhost
	@$(PY) -m switchboard.stack

run-scaled: setup-scaled train  ## Start PostgreSQL, Redis, nginx and two each of the gateway, Rasa, actions
	@$(PY) -m switchboard.scaled

test: setup-test train  ## Validate data, run pytest and the conversation tests
	@scripts/test.sh

test-unit: setup-test  ## Only the fast tests (no Rasa server)
	@$(PY) -m pytest -m "not stack" -q

test-stories: train  ## Only the Rasa conversation tests
	@$(PY) -m switchboard.story_tests

nlu-report: setup  ## NLU report: per-language F1, entities, confusions, out-of-scope curve (reports/nlu/index.html)
	@$(PY) -m switchboard.nlu_eval.report

nlu-compare: setup  ## Per-language in-scope macro-F1 of BASE=<git revision>'s data against this checkout's, same pipeline
	@$(PY) -m switchboard.nlu_eval.compare --base "$(or $(BASE),HEAD)"

BANKING77 = $(shell $(PY) -c 'from switchboard.paths import shared_data; print(shared_data() / "banking77")' 2>/dev/null)

bench-nlu: setup  ## NLU benchmark: TRAIN=… TEST=… text,label CSVs (default BANKING77); accuracy, macro-F1, OOS recall, times
	@$(PY) -m switchboard.nlu_eval.bench --train "$(or $(TRAIN),$(BANKING77)/train.csv)" \
		--test "$(or $(TEST),$(BANKING77)/test.csv)" $(if $(CONFIG),--config "$(CONFIG)") $(if $(LIMIT),--limit $(LIMIT))

SETTING ?= minilm_weight
VALUES ?= 0,0.5,1,1.5,2,3
tune-nlu: setup  ## Choose a classifier setting on a validation split of TRAIN=… (default BANKING77): SETTING=… VALUES=a,b,c [FOLDS=K]
	@$(PY) -m switchboard.nlu_eval.tune --train "$(or $(TRAIN),$(BANKING77)/train.csv)" \
		--setting "$(SETTING)" --values "$(VALUES)" $(if $(FOLDS),--folds $(FOLDS)) $(if $(CONFIG),--config "$(CONFIG)")

bench-publish: setup train  ## Seconds from an NLU-only edit to the running Rasa server serving it
	@$(PY) -m switchboard.bench_publish

bench-chat: setup train  ## Chat load on the real stack: turns/s, p50/p95/p99, errors, CPU per turn (ARGS="--seconds 20 ...")
	@$(PY) -m switchboard.bench_chat $(ARGS)

bench-voice: setup-test train  ## Voice figures: WER and real-time factor per engine, response latency p50/p95, concurrent calls
	@$(PY) -m voice.bench
	@$(PY) -m voice.bench_calls

seed: setup  ## Reload the sample customers into the customer store
	@$(PY) -m actions.crm.seed

clean:  ## Remove this checkout's runtime data (not the shared cache)
	rm -rf var results reports .pytest_cache
