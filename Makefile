# The README's two commands live here: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: run test soak install install-dev lint import-graph format typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files make repeated runs skip the install when pyproject.toml has not changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Starts the server, runs the examples against it, lists the runs, keeps serving.
run: install
	@BIN=$(BIN) scripts/run-with-server.sh

test: install-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Long soak and fault runs (marker `soak`; `make test` leaves them out), one at a time.
soak: install-dev
	$(BIN)/python -m pytest -m soak -s $(PYTEST_ARGS)

# Ruff, then the layering contracts in pyproject.toml (see CONTRIBUTING.md), then the
# import graph printed in CONTRIBUTING.md must still be the code's.
lint: install-dev
	$(BIN)/ruff check headwater tests benchmarks examples scripts
	$(BIN)/ruff format --check headwater tests benchmarks examples scripts
	$(BIN)/lint-imports
	$(BIN)/python scripts/import_graph.py --check

# Rewrite the import graph in CONTRIBUTING.md after a change of layering.
import-graph: install-dev
	$(BIN)/python scripts/import_graph.py --write

format: install-dev
	$(BIN)/ruff format headwater tests benchmarks examples scripts
	$(BIN)/ruff check --fix headwater tests benchmarks examples scripts

typecheck: install-dev
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .grimp_cache .import_linter_cache
