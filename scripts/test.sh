#!/usr/bin/env bash
# The test suite behind `make test`: data validation, Rasa's conversation tests, then pytest.
# Expects `make setup-test train` to have run (the Makefile does that first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python

step() { printf '\n==== %s\n' "$*"; }

step "content validation (rasa data validate and the project's checks)"
$PY -m switchboard.validation

step "rasa test: conversation tests (tests/stories)"
$PY -m switchboard.story_tests

step "pytest"
$PY -m pytest "$@"
