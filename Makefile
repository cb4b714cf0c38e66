# kerasfix — every target sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-real lint bench demo screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(STAMP)

## Open kerasfix on the active environment (VIRTUAL_ENV, CONDA_PREFIX or python3 on PATH).
run: $(STAMP)
	$(BIN)/kerasfix $(ARGS)

## The whole suite: unit, probe, wheel-based venv tests and the real tensorflow-cpu tier.
test: $(STAMP)
	$(BIN)/ruff check kerasfix tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## Everything except the real-package tier.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not realtf" $(PYTEST_ARGS)

test-real: $(STAMP)
	$(BIN)/python -m pytest -q -m realtf $(PYTEST_ARGS)

## ruff, then mypy (its files and strictness are in pyproject.toml: strict on the engine).
lint: $(STAMP)
	$(BIN)/ruff check kerasfix tests
	$(BIN)/mypy

## kerasfix scan vs pip check, pipdeptree and uv pip check (medians and ratios), then
## kerasfix fix through pip vs through uv on two real TF breakages (medians and their ratio).
bench: $(STAMP)
	$(BIN)/python tests/bench.py
	$(BIN)/python tests/bench_fix.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache

## A sandbox environment broken the way users break theirs (real packages), app opened on it.
demo: $(STAMP)
	$(BIN)/python tests/demo.py

## SVGs of the real app on the demo environment, for the README.
screenshots: $(STAMP)
	$(BIN)/python tests/screenshots.py
