# `make demo` and `make test` are the two entry points; both build the venv they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PORT ?= 5000
EMULATOR_PORT ?= 5005
EXAMPLE ?= quickstart

.PHONY: demo test lint typecheck unit docs bench screenshots clean

$(STAMP): pyproject.toml setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# PORT (default 5000) and EMULATOR_PORT (default 5005) choose the ports; EXAMPLE picks the site.
demo: $(STAMP)
	PORT=$(PORT) EMULATOR_PORT=$(EMULATOR_PORT) $(BIN)/python examples/run_demo.py $(EXAMPLE)

test: lint typecheck unit docs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

docs: $(STAMP)
	$(BIN)/sphinx-build -W -q -b html docs docs/_build/html

# Retake the docs' screenshots (the browser tests, writing into docs/_static/screenshots).
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -m browser

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) docs/_build build *.egg-info
