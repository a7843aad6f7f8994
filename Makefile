# Two commands on a fresh machine with Python 3.11+ and pip:
#   make demo   run the platform with demo users on the embedded SQLite default
#   make test   lint, migration check, translations check, tests on SQLite (and PostgreSQL
#               when BIANHE_TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-sqlite test-postgres lint messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bianhe demo

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench
	BIANHE_HOME=$$(mktemp -d) $(BIN)/bianhe manage makemigrations --check --dry-run
	$(BIN)/python scripts/compile_messages.py --check

test-sqlite: $(STAMP)
	BIANHE_HOME=$$(mktemp -d) BIANHE_DATABASE_URL= $(BIN)/pytest

test-postgres: $(STAMP)
	@if [ -n "$$BIANHE_TEST_DATABASE_URL" ]; then \
		BIANHE_HOME=$$(mktemp -d) BIANHE_DATABASE_URL="$$BIANHE_TEST_DATABASE_URL" $(BIN)/pytest; \
	else \
		echo "BIANHE_TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped"; \
	fi

test: lint test-sqlite test-postgres

# Refreshing the catalogue from the sources needs GNU gettext (xgettext, msgmerge: Debian's
# gettext package); compiling it, which `make test` checks, needs only Python.
messages: $(STAMP)
	cd src/bianhe && BIANHE_HOME=$$(mktemp -d) ../../$(BIN)/django-admin makemessages -l zh_Hans \
		--settings=bianhe.settings --no-location --no-obsolete -i "migrations/*"
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
