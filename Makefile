# Two entry points: `make run` (demo server) and `make test` (whole suite on PostgreSQL).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Newest Python >= 3.12 we can find (Django 6.1 needs it), else any python3 >= 3.11 (Django 5.2 LTS).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# Installs come from the locks in requirements/ (pinned, with hashes; `make lock` writes them).
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/dev.txt | cksum | cut -d' ' -f1)

# The suite runs against a real PostgreSQL server; pytest-django creates and drops test_<name>.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cdrapi
# One test database per checkout, so two checkouts can run their suites at once.
export TEST_DATABASE_NAME ?= test_cdrapi_$(shell echo "$(CURDIR)" | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv run test test-sqlite fuzz bench lint fmt lock clean

help:
	@echo "make run          virtualenv, install, migrate, demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test         virtualenv, install, whole suite on PostgreSQL ($(TEST_DATABASE_URL))"
	@echo "make test-sqlite  the same suite on SQLite (PostgreSQL-only tests skip)"
	@echo "make fuzz         a long schemathesis run (FUZZ_EXAMPLES=2000 per operation)"
	@echo "make bench        the benchmark (BENCH_ARGS='--rows 200000' for a quick run)"
	@echo "make lint         ruff check + ruff format --check + lint-imports (the layers)"
	@echo "make lock         requirements/*.txt from pyproject.toml (LOCK_ARGS=--upgrade: newest)"

$(STAMP): pyproject.toml requirements/dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found; set PYTHON=/path/to/python3" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

# The first run writes .env (DEBUG=1, a SECRET_KEY, this run's DATABASE_URL), which every
# later manage.py command reads, in any shell; the environment wins over it.
run: venv
	$(BIN)/python -m cdrapi.first_run $(HOST) $(PORT)
	$(BIN)/python manage.py migrate --no-input --verbosity 0
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py demo_setup --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv
	CDRAPI_EXPECT_POSTGRES=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

test-sqlite: venv
	@mkdir -p var
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

fuzz: venv
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		$(BIN)/pytest tests/api/test_fuzz.py -p no:cacheprovider $(PYTEST_ARGS)

# Seeds (or reuses) its own PostgreSQL database, serves the app under gunicorn, prints a table.
bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# lint-imports: pyproject.toml's import contracts (docs/architecture.md, "Layers").
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After a change to pyproject.toml's dependencies; a test fails until the locks match it.
lock: venv
	$(BIN)/python requirements/lock.py $(LOCK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis .import_linter_cache .grimp_cache
