# civicgrid — the two commands: `make demo` (the demo city) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint serve screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: install, migrate the SQLite database, load the demo city and serve it on http://$(BIND) (BIND=host:port)
# The server runs with DEBUG off, which refuses the public demo keys: the demo makes its own, once, in var/.
# QR codes carry SITE_URL: the address served, unless SITE_URL is set (e.g. the address phones reach).
BIND ?= 127.0.0.1:8000
demo: export CIVICGRID_BIND ?= $(BIND)
demo: export SITE_URL ?= http://$(BIND)
demo: export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key
demo: export CIVICGRID_TOKEN_KEYS_FILE ?= $(CURDIR)/var/token_keys
demo: $(STAMP)
	@mkdir -p var && umask 077 && \
	  { test -s "$$SECRET_KEY_FILE" || $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$$SECRET_KEY_FILE"; } && \
	  { test -s "$$CIVICGRID_TOKEN_KEYS_FILE" || $(BIN)/python -c 'import secrets; print("k1:" + secrets.token_urlsafe(32))' > "$$CIVICGRID_TOKEN_KEYS_FILE"; }
	$(BIN)/civicgrid migrate --noinput
	$(BIN)/civicgrid demo
	$(BIN)/civicgrid serve --with-worker

## test: ruff (lint + format check), the import contracts, migrations check and the whole pytest suite (SQLite, and PostgreSQL when configured)
test: $(STAMP)
	$(BIN)/ruff check src bench tools
	$(BIN)/ruff format --check src bench tools
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/civicgrid makemigrations --check --dry-run
	@echo "=== the suite on SQLite ==="
	DATABASE_URL= $(BIN)/pytest src
	@if [ -n "$$DATABASE_URL" ] || [ "$$CIVICGRID_TEST_POSTGRES" = "1" ]; then \
		url="$${DATABASE_URL:-postgres:///civicgrid}"; \
		echo "=== the suite again on PostgreSQL ($$url) ==="; \
		DATABASE_URL="$$url" $(BIN)/pytest src; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src bench tools
	$(BIN)/ruff format --check src bench tools
	$(BIN)/lint-imports

## screenshots: build a throwaway demo city, serve it and save the main pages to docs/screenshots/
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) var
