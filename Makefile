# One command to run the product, one to test it. Everything else is optional.
#
#   make run      set up .venv, migrate, load the demo data, serve http://127.0.0.1:8000;
#                 HOST=0.0.0.0 PORT=8080 serves phones on the same network as well
#   make test     set up .venv with the test tools, run the whole test suite (SQLite,
#                 Celery eager)
#   make lint     ruff check + ruff format --check
#   make worker   a Celery worker (needs CELERY_BROKER_URL, see docs/deployment.md)
#
# The virtualenv is created on first use. `make run` installs only what the product
# needs to run (pyproject.toml's dependencies); `make test`, `lint` and `format` add the
# test tools (its `dev` extra: pytest, Playwright, schemathesis, ruff ...). Each is
# reinstalled only when pyproject.toml changes (the stamp files .venv/.installed and
# .venv/.installed-dev record the last install). The requirements are read straight from
# pyproject.toml, so nothing is built (the project itself has no package to install).
# pip writes to .venv/install.log; its last lines are shown only when the install fails.
# --no-compile: Python compiles a module when it is first imported, so the install does
# not compile the thousands of files (Faker's locales, Django's tests ...) never used.

SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
INSTALL_LOG := $(VENV)/install.log
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Serving beyond this machine (HOST=0.0.0.0 or a LAN address): with DEBUG on, the settings
# then accept this machine's LAN addresses as Host, so a phone on the same Wi-Fi gets in.
LOOPBACK_HOSTS := 127.0.0.1 localhost ::1
SERVE_ENV := $(if $(filter $(HOST),$(LOOPBACK_HOSTS)),,DEMO_ALLOW_LAN_HOSTS=1)

.PHONY: help install install-dev run serve migrate messages seed test lint format worker clean

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

# The requirements of pyproject.toml: [project] dependencies, plus the optional extra
# named in $(1) if any. Python 3.11's tomllib reads them; no build step, no setuptools.
requirements = $(PYTHON) -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	print("\n".join(p["dependencies"] + [r for e in sys.argv[1:] for r in p["optional-dependencies"][e]]))' $(1)

# pip's output (and this machine's pip configuration warnings) goes to the log; a failure
# prints its tail and stops make, and the stamp is not written, so the next run retries.
# $(1): what is installed (for the message), $(2): the extras, $(3): the stamp.
define pip_install
	@echo "Installing $(1) into $(VENV) ... (log: $(INSTALL_LOG))"
	@{ $(call requirements,$(2)) > $(VENV)/requirements.txt && \
		$(PYTHON) -m pip install --disable-pip-version-check --no-compile -r $(VENV)/requirements.txt; } >>$(INSTALL_LOG) 2>&1 || { \
		echo "Installing $(1) FAILED. The last lines of $(INSTALL_LOG):" >&2; \
		tail -n 40 $(INSTALL_LOG) >&2; \
		echo "Installing $(1) FAILED (full log: $(INSTALL_LOG))" >&2; exit 1; }
	@touch $(3)
endef

$(STAMP): pyproject.toml | $(PYTHON)
	@: >$(INSTALL_LOG)
	$(call pip_install,dependencies,,$(STAMP))

$(DEV_STAMP): $(STAMP)
	$(call pip_install,the test tools,dev,$(DEV_STAMP))

install: $(STAMP)

install-dev: $(DEV_STAMP)

# Compiled catalogues (.mo) are committed; a catalogue is recompiled when its .po is newer
# and gettext is present, with msgfmt itself (the check compilemessages makes, without
# starting Django: that took a few seconds of every `make run`).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

messages: $(MO_FILES)

locale/%.mo: locale/%.po
	@if command -v msgfmt >/dev/null 2>&1; then \
		msgfmt --check-format -o $@ $<; \
	else \
		echo "msgfmt not found: using the committed $@"; \
	fi

migrate: $(STAMP)
	@echo "Migrating the database ..."
	@$(PYTHON) manage.py migrate --noinput --verbosity 0

# `manage.py seed_demo` alone prints what it built and the logins; here demo_banner
# prints the logins last, just before the server starts.
seed: migrate
	@echo "Loading the demo data (the first time: about 20 s, longer on a busy machine) ..."
	@$(PYTHON) manage.py seed_demo --verbosity 0

run: messages seed serve

# The banner (URLs, logins) comes last, so that runserver's few lines follow it; its
# "development server" warning is left out: production runs gunicorn (docs/deployment.md).
serve: $(STAMP)
	@$(PYTHON) manage.py demo_banner --host $(HOST) --port $(PORT)
	@$(SERVE_ENV) DJANGO_RUNSERVER_HIDE_WARNING=true $(PYTHON) manage.py runserver $(HOST):$(PORT)

test: messages $(DEV_STAMP)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: $(STAMP)
	@test -n "$$CELERY_BROKER_URL" || { \
		echo "CELERY_BROKER_URL is not set: without a broker every job runs inside the web process."; \
		echo "Example: CELERY_BROKER_URL=redis://127.0.0.1:6379/0 make worker"; exit 1; }
	$(VENV)/bin/celery -A pinghu_points worker --loglevel=info --concurrency=2

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache *.egg-info
