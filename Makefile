# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
# The kiosk's own dependencies (make run, make console), and those plus the dev tools
# (make test): a lobby machine's venv holds no linters, type checker or browser driver.
RUN_STAMP := $(VENV)/.runtime-$(HASH)
STAMP := $(VENV)/.installed-$(HASH)
# The suite in three processes (pytest-xdist), each taking the next test as it frees up:
# most of its time is spent waiting on screens, browsers and servers, so a third
# process fills the two cores (16 min with two, 12 with three, 766 tests).
# `make unit PYTEST_ARGS="-k name"` runs a part in one.
PYTEST_ARGS ?= -n 3 --dist worksteal --durations=25

.PHONY: run console test lint unit bench clean i18n screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.runtime-*
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* $(VENV)/.runtime-*
	touch $(STAMP) $(RUN_STAMP)

## Run the visitor kiosk on the embedded default (SQLite in the platform data dir).
run: $(RUN_STAMP)
	$(BIN)/kiosk run

## Open the reception console on the embedded default (staff log in with their PIN).
console: $(RUN_STAMP)
	$(BIN)/kiosk console

## Linters, type checks, layer contracts and the whole test suite.
test: lint unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks: ratios against raw baselines measured in the same run.
bench: $(STAMP)
	$(BIN)/python -m bench

## The tablet screenshots in docs/screenshots/ (Chromium, landscape and portrait).
screenshots: $(STAMP)
	KIOSK_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_tablet_look.py -k centred

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info

## Re-extract visitor-facing strings, merge them into the catalogs and compile them.
i18n: $(STAMP)
	$(BIN)/pybabel extract -k _ -k N_ --no-location --omit-header --sort-output \
		-o kiosk/locale/kiosk.pot kiosk screens
	$(BIN)/pybabel update -i kiosk/locale/kiosk.pot -d kiosk/locale -D kiosk \
		--ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d kiosk/locale -D kiosk
