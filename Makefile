# The habits of this project, one target each. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: install run init-db seed-demo test test-fast lint format bench bench-import load load-browser audit proxy clean

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
	$(VENV)/bin/lint-imports

# Speed, measured: synthetic 1k/10k/100k tasks on SQLite (and PostgreSQL when reachable); prints a
# table and writes bench-results.json. BENCH_ARGS="--sizes 1000,10000 --runs 3" to shorten.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

# The onboarding import of 5,000 and 20,000 task rows (preview, import, again; time and peak memory) on
# SQLite and PostgreSQL; prints a table and writes bench-results-import.json. BENCH_ARGS="--sizes 2000".
bench-import: install
	$(PY) -m bench.register $(BENCH_ARGS)

# Locust, headless: sessions that speak Streamlit's WebSocket protocol (no browser) against a server it
# starts (see bench/protocol/); Locust's HTML report, CSV stats and summary.json in bench-results-load/.
# LOAD_ARGS="--users 50 --spawn-rate 5 --run-time 120 --think 5" (add --hold-drafts for memory per session).
load: install
	$(PY) -m bench.protocol $(LOAD_ARGS)

# The end-to-end check: ten real Chromium sessions against one server (see bench/load/); LOAD_ARGS to change.
load-browser: install
	$(PY) -m bench.load $(LOAD_ARGS)

# HAProxy in front of the app as deploy/haproxy.cfg describes it, for a trial on this machine:
# https://localhost:8443 with a self-signed certificate (made once in data/proxy.pem), one replica
# on 127.0.0.1:8501 (start it with `make run` or `python -m lib.serve`). Set PROXY_HTTPS_BIND, APP1,
# APP2 and PROXY_CERT for a real deployment; AUTH_COOKIE_KEY must be the app's own key.
PROXY_CERT ?= data/proxy.pem
proxy:
	@test -f $(PROXY_CERT) || (openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
		-keyout $(PROXY_CERT).key -out $(PROXY_CERT).crt 2>/dev/null && cat $(PROXY_CERT).crt $(PROXY_CERT).key > $(PROXY_CERT) \
		&& rm $(PROXY_CERT).crt $(PROXY_CERT).key && chmod 600 $(PROXY_CERT))
	PROXY_CERT=$(PROXY_CERT) PROXY_HTTPS_BIND=$${PROXY_HTTPS_BIND:-:8443} PROXY_HTTP_BIND=$${PROXY_HTTP_BIND:-:8080} \
	APP1=$${APP1:-127.0.0.1:8501} APP2=$${APP2:-$${APP1:-127.0.0.1:8501}} \
	AUTH_COOKIE_KEY=$${AUTH_COOKIE_KEY:-$$(cat data/.cookie-key)} haproxy -db -f deploy/haproxy.cfg

# Vulnerability scan of the pinned requirements (pip-audit in its own venv; needs PyPI's advisory data).
audit:
	test -x .venv-audit/bin/pip-audit || ($(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install --quiet pip-audit)
	.venv-audit/bin/pip-audit -r requirements.txt --progress-spinner off

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The quick tests on both cores, then the browser journeys and the slow suites one at a time.
test: lint
	$(PY) -m pytest -n 2 -m "not browser and not slow" $(PYTEST_ARGS)
	$(PY) -m pytest -m "browser or slow" $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
