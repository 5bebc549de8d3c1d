# Two commands matter: `make run` and `make test`. Both set up whatever they need and are
# quick the second time (a stamp file records that the dependencies are installed).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PG_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432

LOCK := requirements.lock
LOCK_VENV := .venv-lock

TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp

.PHONY: run test test-sqlite test-postgres install lint format clean postgres security lock \
	browser-deps chromium api-fuzz catalogues translations

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright) and
# inject axe-core, which comes from npm at the version package-lock.json records.
CHROMIUM ?= /usr/bin/chromium
AXE_STAMP := node_modules/.installed-stamp

install: $(STAMP) catalogues

# Translations: the catalogues under complaints_app/translations are the source; the
# compiled .mo files are built from them (and rebuilt when a catalogue changes).
TRANSLATIONS := complaints_app/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2

catalogues: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(STAMP)
	@$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -l $* -i $< -o $@

# Extract every marked string (templates/_macros too: by default pybabel skips folders whose
# name starts with "_"), carry it into each language's catalogue (new and changed
# strings arrive untranslated: no guess from a similar string) and compile.
# `make translations LANG_NEW=fr` starts a new language's catalogue first.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --sort-by-file --ignore-dirs ".*" \
	  --project "Trust Act complaints" -o $(TRANSLATIONS)/messages.pot .
	$(if $(LANG_NEW),$(BIN)/pybabel init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
	  --no-wrap -l $(LANG_NEW))
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap -N \
	  --ignore-obsolete
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every package, the test tools included, comes from requirements.lock: exact versions, each
# file checked against its recorded hashes. The project itself is installed without
# dependencies; `pip check` fails if pyproject.toml asks for something the lock lacks
# (then run `make lock`).
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/pip check
	touch $@

# Re-resolve requirements.lock from pyproject.toml, keeping the locked versions that still
# fit; `make lock UPGRADE=1` moves everything to the newest allowed versions. pip-tools runs
# in its own environment.
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check 'pip-tools>=7.4,<8'; }
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra test \
	  --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
	  --output-file $(LOCK) pyproject.toml

run: install
	$(FLASK) db upgrade
	$(FLASK) seed
ifeq ($(DEBUG),1)
	$(FLASK) run --debug --host $(HOST) --port $(PORT)
else
	$(BIN)/gunicorn --workers 2 --timeout 90 --bind $(HOST):$(PORT) wsgi:app
endif

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# PostgreSQL: start the local cluster if it is installed but stopped. Never fails: the test
# target says loudly when PostgreSQL is missing.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && ls /etc/postgresql >/dev/null 2>&1; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -n1) main start || true; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

# Chromium from Debian's packages when it is missing (as root, which machines here are). If
# it cannot be installed the browser tests skip with a banner, and CI (CI=true or
# REQUIRE_POSTGRES set) fails instead.
chromium:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "== Installing Chromium from Debian's packages for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || true; \
	fi
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo ""; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! Chromium is NOT installed at $(CHROMIUM) and 'apt-get install chromium' failed:"; \
	  echo "!! the browser and accessibility tests will NOT run (they skip)."; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo ""; \
	  if [ -n "$$REQUIRE_POSTGRES" ] || [ "$$CI" = true ]; then exit 1; fi; \
	fi

# axe-core from npm, exactly as package-lock.json says; reinstalled only when the lock changes.
$(AXE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm >/dev/null; } || true
	@if npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then touch $@; else \
	  echo ""; \
	  echo "!! axe-core could not be installed with 'npm ci': the accessibility tests will NOT run."; \
	  echo ""; \
	  if [ -n "$$REQUIRE_POSTGRES" ] || [ "$$CI" = true ]; then exit 1; fi; \
	fi

browser-deps: chromium $(AXE_STAMP)

test-sqlite: install browser-deps
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install postgres
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== PostgreSQL: running the suite against $(PG_SERVER) (the browser tests and the"; \
	  echo "   database-independent ones ran with SQLite)"; \
	  TEST_POSTGRES_SERVER=$(PG_SERVER) $(BIN)/pytest -q -p no:cacheprovider \
	    -m "not browser and not database_independent" \
	    $(PYTEST_ARGS); \
	else \
	  echo ""; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! PostgreSQL is NOT reachable on 127.0.0.1:5432: the PostgreSQL half of the suite !!"; \
	  echo "!! did NOT run. Only SQLite was tested. Start PostgreSQL and run 'make test' again. !!"; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo ""; \
	  if [ -n "$$REQUIRE_POSTGRES" ]; then exit 1; fi; \
	fi

test: lint
	@echo "== SQLite"
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

# schemathesis against a live server, from the API's own OpenAPI document: every phase, with a
# write token, bounded by API_FUZZ_MAX_TIME seconds (default 120).
api-fuzz: install
	$(BIN)/python .ci/api_fuzz.py

# Outside checks (bandit, wapiti, sqlmap) live in their own environment: their
# dependencies never mix with the app's.
$(TOOLS)/bin/python:
	$(PYTHON) -m venv $(TOOLS)

$(TOOLS_STAMP): .ci/security-tools.txt | $(TOOLS)/bin/python
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r .ci/security-tools.txt
	touch $@

security: install $(TOOLS_STAMP)
	$(BIN)/python .ci/outside_checks.py

clean:
	rm -rf $(VENV) $(TOOLS) $(LOCK_VENV) .pytest_cache .ruff_cache *.egg-info node_modules
