# One command to run the product, one to test it. Everything else is optional.
#
#   make run      set up .venv, migrate, load the demo data, serve http://127.0.0.1:8000
#   make test     set up .venv, run the whole test suite (SQLite, Celery eager)
#   make lint     ruff check + ruff format --check
#   make worker   a Celery worker (needs CELERY_BROKER_URL, see docs/deployment.md)
#
# The virtualenv is created on first use and reinstalled only when pyproject.toml
# changes (the stamp file .venv/.installed records the last install).

SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help install run serve migrate messages seed test lint format worker clean

help:
	@echo "make run     set up and serve the product on http://$(HOST):$(PORT) (demo data included)"
	@echo "make test    set up and run the test suite"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make worker  run a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make clean   remove .venv, the SQLite database and collected files"

$(PYTHON):
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "Python 3.11 (or python3) not found" >&2; exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PYTHON)
	@echo "Installing dependencies into $(VENV) ..."
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Compiled catalogues (.mo) are committed; recompile only when gettext is present.
messages: $(STAMP)
	@if [ -d locale ]; then \
		if command -v msgfmt >/dev/null 2>&1; then \
			$(PYTHON) manage.py compilemessages --ignore=$(VENV) --verbosity 0; \
		else \
			echo "msgfmt not found: using the committed .mo files"; \
		fi; \
	fi

migrate: $(STAMP)
	$(PYTHON) manage.py migrate --noinput

seed: migrate
	$(PYTHON) manage.py seed_demo

run: messages seed serve

serve: $(STAMP)
	@echo
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PYTHON) manage.py runserver $(HOST):$(PORT)

test: messages
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: $(STAMP)
	@test -n "$$CELERY_BROKER_URL" || { \
		echo "CELERY_BROKER_URL is not set: without a broker every job runs inside the web process."; \
		echo "Example: CELERY_BROKER_URL=redis://127.0.0.1:6379/0 make worker"; exit 1; }
	$(VENV)/bin/celery -A pinghu_points worker --loglevel=info --concurrency=2

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache *.egg-info
