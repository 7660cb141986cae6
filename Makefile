# One command per gate; `make check` is what .ci/run and reviewers run.
PY ?= .venv/bin/python

.PHONY: check lint format types imports test bench schema

check: lint types imports

lint:
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

types:
	$(PY) -m mypy cockpit widgets screens

imports:
	.venv/bin/lint-imports

test:
	$(PY) -m pytest

schema:
	.venv/bin/cockpit config schema > config/schema.json

bench:
	$(PY) -m bench
