# `make demo` and `make test` are the two entry points; both build the venv they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PORT ?= 5000
EMULATOR_PORT ?= 5005
EXAMPLE ?= quickstart

.PHONY: demo test test-lowest lint typecheck unit docs bench screenshots clean catalogs compile-catalogs

$(STAMP): pyproject.toml setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo needs only the examples' packages, not the developer tools: a fresh clone answers in seconds.
DEMO_STAMP := $(VENV)/.demo-installed
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[demo]'
	touch $(DEMO_STAMP)

# PORT (default 5000) and EMULATOR_PORT (default 5005) choose the ports; EXAMPLE picks the site.
demo: $(DEMO_STAMP)
	PORT=$(PORT) EMULATOR_PORT=$(EMULATOR_PORT) $(BIN)/python examples/run_demo.py $(EXAMPLE)

# The checks run beside the suite: pytest spends much of its time waiting on servers, browsers and subprocesses,
# and the checks fill that time. Each one's output is printed whole when it ends; any failure fails `make test`.
test: compile-catalogs
	$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck docs unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# Four pytest-xdist workers on the 2-core machine: the suite waits on servers, browsers and subprocesses much of the
# time (about 1.3 cores busy with 2 workers), and 4 keep both cores busy (vmstat: no idle time), so what speeds it
# up now is CPU saved, not more workers. loadscope keeps a module's tests on one worker
# (tests/scale's servers are module-scoped and its tests follow one another); --no-loadscope-reorder keeps the
# collection order, which starts the longest modules (tests/browser, tests/scale) first instead of last.
# (loadgroup's xdist_group marks are ignored on pytest 9.2: pytest-xdist issue 1386.)
XDIST := -n 4 --dist loadscope --no-loadscope-reorder
# The lowest declared pytest-xdist has no --no-loadscope-reorder (and that run has no browser or scale modules).
LOWEST_XDIST := -n 4 --dist loadscope

# Bytecode is kept (in the ignored __pycache__ folders) even where the environment says not to write it
# (PYTHONDONTWRITEBYTECODE): the suite starts hundreds of Python processes (xdist workers, gunicorn, the CLI, the
# emulator), and each would compile flask-line and the tests again.
KEEP_BYTECODE := env -u PYTHONDONTWRITEBYTECODE

unit: $(STAMP)
	$(KEEP_BYTECODE) $(BIN)/pytest $(XDIST) --durations=15  # the slowest tests, named in every run

# The catalogs of flask-line's pages (domain flask_line) and of the emulator's screens (domain emulator).
CATALOGS := flask_line/translations:flask_line flask_line/testing/translations:emulator

# After changing a visitor-facing string: extract, merge into every language's .po, then translate what is new.
# --ignore-dirs: Babel's default skips every folder whose name starts with "_" (flask_line/_module, _flow...).
catalogs: $(STAMP)
	for pair in $(CATALOGS); do dir=$${pair%%:*}; domain=$${pair##*:}; \
	  $(BIN)/pybabel -q extract -F $$dir/babel.cfg -k N_ --ignore-dirs '.* __pycache__' --no-location --sort-output --project flask-line \
	    --copyright-holder "flask-line developers" -o $$dir/$$domain.pot . && \
	  $(BIN)/pybabel -q update -i $$dir/$$domain.pot -d $$dir -D $$domain --no-fuzzy-matching --ignore-obsolete --width 120 \
	    --ignore-pot-creation-date || exit 1; done
	$(MAKE) compile-catalogs

# The .mo files the wheel ships; `make test` recompiles them, so a stale one shows up in `git status`.
compile-catalogs: $(STAMP)
	for pair in $(CATALOGS); do $(BIN)/pybabel -q compile -d $${pair%%:*} -D $${pair##*:} || exit 1; done

docs: $(STAMP)
	$(BIN)/sphinx-build -W -q -b html docs docs/_build/html

# Retake the docs' screenshots (the browser tests, writing into docs/_static/screenshots).
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -m browser

# The suite (browser, scale and docs-tooling tests aside) on the lowest versions pyproject.toml declares, in its own venv.
LOWEST_VENV ?= .venv-lowest
test-lowest:
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  -c tests/lowest-versions.txt -e '.[test]'
	$(LOWEST_VENV)/bin/python -m pip list --format=freeze | grep -iE '^(flask|werkzeug|authlib|requests|joserfc|sqlalchemy)=='
	$(KEEP_BYTECODE) $(LOWEST_VENV)/bin/pytest -q $(LOWEST_XDIST) -m "not browser and not scale and not tooling"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-lowest docs/_build build *.egg-info
