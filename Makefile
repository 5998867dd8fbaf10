# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format install fake-discord simulate bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Serve the API on 127.0.0.1:8080 backed by ./invite-tracker.db (migrated on start).
run: install
	$(BIN)/invite-tracker serve

## Lint, type-check and run the whole suite on SQLite and PostgreSQL.
test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The fake Discord with a demo guild, for trying the service by hand (see README).
fake-discord: install
	$(BIN)/invite-tracker fake-discord

## Attribution scenarios against the fake Discord, with their tables.
simulate: install
	$(BIN)/invite-tracker simulate

## Benchmarks: API throughput, attribution against a common baseline tracker, and what
## reading on join events allows at best.
bench: install
	$(BIN)/python -m benchmarks.api_throughput
	$(BIN)/python -m benchmarks.attribution
	$(BIN)/python -m benchmarks.event_reads

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
