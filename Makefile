# The habits of this project, one target each. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: install run init-db seed-demo test test-fast lint format bench load audit clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

init-db: install
	$(PY) -m lib.manage init-db

seed-demo: install
	$(PY) -m lib.manage seed-demo

run: init-db
	@if [ "$${DASHBOARD_ENV:-demo}" = "demo" ]; then $(PY) -m lib.manage seed-demo --if-empty; fi
	DASHBOARD_ENV=$${DASHBOARD_ENV:-demo} $(PY) -m lib.serve --server.port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Speed, measured: synthetic 1k/10k/100k tasks on SQLite (and PostgreSQL when reachable); prints a
# table and writes bench-results.json. BENCH_ARGS="--sizes 1000,10000 --runs 3" to shorten.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

# Ten real Chromium sessions against one server (see bench/load.py); LOAD_ARGS to change.
load: install
	$(PY) -m bench.load $(LOAD_ARGS)

# Vulnerability scan of the pinned requirements (pip-audit in its own venv; needs PyPI's advisory data).
audit:
	test -x .venv-audit/bin/pip-audit || ($(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install --quiet pip-audit)
	.venv-audit/bin/pip-audit -r requirements.txt --progress-spinner off

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
