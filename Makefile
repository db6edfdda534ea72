# Two commands do all of the set-up on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run   - virtualenv, dependencies, libmagic, migrations, then the app on SQLite + local store
#   make test  - the same set-up, then the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest-xdist: one worker per core, each with its own databases and tmp folders
# (tests/conftest.py). loadfile keeps each file on one worker: the Redis tests of
# tests/jobs/test_workers.py (one Redis database) never run at once, module fixtures are
# built once. (pytest-xdist 3.8's loadgroup does not group under pytest 9.2.) Files go out
# longest first (tests/conftest.py, LONG_FILES), so no worker is left with a long one at the end.
# `make test PYTEST_ARGS=` runs in one process.
PYTEST_ARGS ?= -n auto --dist loadfile
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: run test lint install system-deps browser-deps proxy-deps db-upgrade bench bench-peer translations clean

install: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# libmagic sniffs every upload (python-magic needs the C library); poppler's pdftoppm
# renders PDF pages for the review page; Tesseract with English and Simplified Chinese data
# reads card numbers and passports' MRZ (triage/analysis).
system-deps:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' || missing="$$missing libmagic1"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr"; \
	for lang in eng chi_sim; do \
	  tesseract --list-langs 2>/dev/null | grep -qx "$$lang" || missing="$$missing tesseract-ocr-$${lang/_/-}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing through apt"; \
	  $(APT) update -qq && $(APT) install -y -qq $$missing >/dev/null; \
	fi

# Debian's Chromium for the browser tests (no browser download), with Noto CJK so the
# Chinese screenshots show characters; npm installs axe-core into the user's cache for the
# accessibility test.
browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium fonts-dejavu-core"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing through apt"; \
	  $(APT) update -qq && $(APT) install -y -qq $$missing >/dev/null; \
	fi

# Debian's nginx for the slow-client test: the production set-up puts it in front of
# gunicorn (config/nginx.conf); the test runs it from a temp folder, not as a service.
proxy-deps:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing nginx through apt"; \
	  $(APT) update -qq && $(APT) install -y -qq nginx >/dev/null; \
	}

db-upgrade: install
	$(BIN)/flask --app wsgi db upgrade

# The app and, beside it, one Celery worker with the beat scheduler on the embedded broker
# (a SQLite file in instance/, no Redis; CELERY_BROKER_URL names another). Ctrl-C stops both.
# Links in emails point where this app listens unless PUBLIC_URL says otherwise; the worker
# writes the emails, so it gets the same address.
run: db-upgrade
	@export PUBLIC_URL="$${PUBLIC_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/celery -A wsgi.celery worker --beat --loglevel=INFO --concurrency=2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $$worker 2>/dev/null || break; sleep 1; done; kill -9 $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: each pytest-xdist worker, and
# each gunicorn, Celery and checker process the tests start, otherwise compiles every module
# (and pytest rewrites every test module's asserts) anew, about 4 s of each worker's start.
test: install browser-deps proxy-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Customer strings: extract them (babel.cfg), merge them into translations/*/messages.po
# (new strings come untranslated, and tests/i18n fails until they are translated), then
# compile the .mo files the app reads. Both are committed, so any checkout speaks all three
# languages; tests/i18n fails on a .mo older than its .po.
translations: install
	$(BIN)/python -m triage.i18n.catalog update compile

bench: install
	$(BIN)/python -m benchmarks

# This product against django-helpdesk's public form (benchmarks/README.md): installs
# django-helpdesk into benchmarks/.peer-venv on first use, needs PostgreSQL and Redis.
bench-peer: install
	$(BIN)/python -m benchmarks peer

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
