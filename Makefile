# Two entry points:
#   make run   set up, migrate, load the demo data and serve on http://127.0.0.1:5000
#   make test  set up, then lint, type-check and run every test on SQLite and PostgreSQL
# and one for performance, not part of `make test`:
#   make bench time the main pages against 100,000 generated cases, on SQLite
#              (instance/bench.sqlite) and PostgreSQL (database bench), and over HTTP
#   make loadtest  50 simulated people for 60 s against gunicorn on PostgreSQL (loadtest/run.py)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
BIN := .venv/bin
FLASK := PORTAL_ENV=development $(BIN)/flask --app wsgi
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PG_REACHABLE := import sys, psycopg; psycopg.connect(sys.argv[1].replace("+psycopg", "", 1), connect_timeout=3).close()
# pytest-xdist: each run spreads the tests over one worker process per CPU core, and every
# worker has its own database, upload folder and servers. Whole files go to a worker (a few
# per cent faster than single tests here, and each file's tests run in order as alone).
# PYTEST_WORKERS=0 runs one process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

BENCH_DB := instance/bench.sqlite
BENCH_CASES ?= 100000
# An absolute path: Flask-SQLAlchemy reads a relative SQLite path from the instance folder.
BENCH_FLASK := DATABASE_URL=sqlite:///$(abspath $(BENCH_DB)) $(FLASK)
# The PostgreSQL data set: loadtest/run.py makes it (database `bench`) and the load test copies it.
BENCH_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench

.PHONY: run test install bench loadtest

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@if $(BIN)/python -c '$(PG_REACHABLE)' "$(TEST_POSTGRES_URL)" 2>/dev/null; then \
	  pg=yes; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "PostgreSQL not reachable at $(TEST_POSTGRES_URL); CI needs it" >&2; exit 1; \
	else \
	  pg=no; echo "PostgreSQL not reachable at $(TEST_POSTGRES_URL); skipping the PostgreSQL run"; \
	fi; \
	echo "== Tests on SQLite"; \
	DATABASE_URL= $(PYTEST); \
	if [ "$$pg" = yes ]; then \
	  echo "== Tests on PostgreSQL"; \
	  DATABASE_URL="$(TEST_POSTGRES_URL)" $(PYTEST); \
	fi

# The data sets are generated once and kept: delete $(BENCH_DB) (SQLite) or drop the
# PostgreSQL database `bench` to start again. The pages are timed in the app on SQLite and on
# PostgreSQL, then over HTTP (gunicorn, PostgreSQL; loadtest/pages.py) with the board's
# throughput under 8 clients at once. Without PostgreSQL only the SQLite figures are made.
bench: install
	@if [ ! -f $(BENCH_DB) ]; then \
	  $(BENCH_FLASK) db upgrade \
	  && $(BENCH_FLASK) demo generate --cases $(BENCH_CASES) --seed 1 \
	  || { rm -f $(BENCH_DB) $(BENCH_DB)-wal $(BENCH_DB)-shm; exit 1; }; \
	fi
	@echo "== SQLite"
	$(BENCH_FLASK) demo benchmark
	@if $(BIN)/python -c '$(PG_REACHABLE)' "$(TEST_POSTGRES_URL)" 2>/dev/null; then \
	  echo "== PostgreSQL"; \
	  LOADTEST_CASES=$(BENCH_CASES) $(BIN)/python -c 'from loadtest.run import ensure_data_set; ensure_data_set()' \
	  && DATABASE_URL=$(BENCH_POSTGRES_URL) $(FLASK) demo benchmark \
	  && echo "== Over HTTP, PostgreSQL" \
	  && LOADTEST_CASES=$(BENCH_CASES) $(BIN)/python -m loadtest.pages; \
	else \
	  echo "PostgreSQL not reachable at $(TEST_POSTGRES_URL): SQLite figures only"; \
	fi

# PostgreSQL's 100k data set (database `bench`, generated if missing, then only read) is copied
# to a database of the run's own, dropped afterwards. Exit status 1 if a pass mark fails.
loadtest: install
	$(BIN)/python -m loadtest.run

# Dependencies are reinstalled only when requirements.txt or package-lock.json change.
install: .venv/.installed node_modules/.package-lock.json

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Python 3.11 or newer is needed (set PYTHON=python3.x)" >&2; exit 1; }
	$(PYTHON) -m venv .venv

.venv/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --silent --no-audit --no-fund
