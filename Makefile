# One command to run the product, one to test it. Everything else is optional.
#
#   make run      set up .venv, migrate, load the demo data, serve http://127.0.0.1:8000;
#                 HOST=0.0.0.0 PORT=8080 serves phones on the same network as well
#   make test     set up .venv, run the whole test suite (SQLite, Celery eager)
#   make lint     ruff check + ruff format --check
#   make worker   a Celery worker (needs CELERY_BROKER_URL, see docs/deployment.md)
#
# The virtualenv is created on first use and reinstalled only when pyproject.toml
# changes (the stamp file .venv/.installed records the last install). pip writes to
# .venv/install.log; its last lines are shown only when the install fails.

SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
INSTALL_LOG := $(VENV)/install.log
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Serving beyond this machine (HOST=0.0.0.0 or a LAN address): with DEBUG on, the settings
# then accept this machine's LAN addresses as Host, so a phone on the same Wi-Fi gets in.
LOOPBACK_HOSTS := 127.0.0.1 localhost ::1
SERVE_ENV := $(if $(filter $(HOST),$(LOOPBACK_HOSTS)),,DEMO_ALLOW_LAN_HOSTS=1)

.PHONY: help install run serve migrate messages seed test lint format worker clean

help:
	@echo "make run     set up and serve the product on http://$(HOST):$(PORT) (demo data included)"
	@echo "             make run HOST=0.0.0.0 PORT=8080: also for phones on the same network"
	@echo "make test    set up and run the test suite"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make worker  run a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make clean   remove .venv, the SQLite database and collected files"

$(PYTHON):
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "Python 3.11 (or python3) not found" >&2; exit 1; }
	@echo "Creating $(VENV) with $(BOOTSTRAP_PYTHON) ..."
	@$(BOOTSTRAP_PYTHON) -m venv $(VENV)

# pip's output (and this machine's pip configuration warnings) goes to the log; a failure
# prints its tail and stops make, and the stamp is not written, so the next run retries.
$(STAMP): pyproject.toml | $(PYTHON)
	@echo "Installing dependencies into $(VENV) ... (log: $(INSTALL_LOG))"
	@{ $(PYTHON) -m pip install --disable-pip-version-check --upgrade pip && \
		$(PYTHON) -m pip install --disable-pip-version-check -e '.[dev]'; } >$(INSTALL_LOG) 2>&1 || { \
		echo "Installing dependencies FAILED. The last lines of $(INSTALL_LOG):" >&2; \
		tail -n 40 $(INSTALL_LOG) >&2; \
		echo "Installing dependencies FAILED (full log: $(INSTALL_LOG))" >&2; exit 1; }
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
	@echo "Migrating the database ..."
	@$(PYTHON) manage.py migrate --noinput --verbosity 0

# `manage.py seed_demo` alone prints what it built and the logins; here demo_banner
# prints the logins last, just before the server starts.
seed: migrate
	@echo "Loading the demo data (the first time takes about a minute) ..."
	@$(PYTHON) manage.py seed_demo --verbosity 0

run: messages seed serve

# The banner (URLs, logins) comes last, so that runserver's few lines follow it; its
# "development server" warning is left out: production runs gunicorn (docs/deployment.md).
serve: $(STAMP)
	@$(PYTHON) manage.py demo_banner --host $(HOST) --port $(PORT)
	@$(SERVE_ENV) DJANGO_RUNSERVER_HIDE_WARNING=true $(PYTHON) manage.py runserver $(HOST):$(PORT)

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
