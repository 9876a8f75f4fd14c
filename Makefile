# Developer entry points. With no environment set, everything runs on SQLite with Celery
# tasks inline; export DATABASE_URL / CELERY_BROKER_URL to use real services.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
MANAGE := $(PYTHON) manage.py
# Lives inside .venv, so a fresh venv always reinstalls.
STAMP := $(VENV)/.installed
# make run ADDR=127.0.0.1:8001 when 8000 is taken. SITE_URL (links in emails, QR codes,
# the banner) follows ADDR unless the environment sets it.
ADDR ?= 127.0.0.1:8000
SITE_URL ?= http://$(ADDR)

.PHONY: help install lock run test lint fmt smoke bench

help:
	@echo "make install  venv, the locked dependencies (requirements.lock), translations"
	@echo "make lock     re-make the lock files from pyproject.toml (UPGRADE=1: newest of all)"
	@echo "make run      install, migrate, demo data, runserver on $(ADDR)"
	@echo "make test     install, pytest (ARGS='-k name' to pass options)"
	@echo "make smoke    production smoke: gunicorn, Celery, PostgreSQL, Redis, crawl as every role"
	@echo "make lint     ruff check, ruff format --check, makemigrations --check"
	@echo "make fmt      ruff fix and format"
	@echo "make bench    benchmarks (bench/run.py; pages at national scale need PostgreSQL)"

$(PYTHON):
	python3.11 -m venv $(VENV)

# Every install comes from the lock (scripts/lock.py), so every machine gets the same
# versions; the project itself installs nothing but its name (--no-deps).
$(STAMP): requirements.lock pyproject.toml | $(PYTHON)
	@$(PYTHON) scripts/lock.py --check || echo "warning: installing the old lock" >&2
	@echo "Installing the locked dependencies (requirements.lock) into $(VENV)..."
	@# PYTHONWARNINGS: setuptools' editable-install notice is noise here.
	PYTHONWARNINGS=ignore $(PYTHON) -m pip install --quiet --quiet --disable-pip-version-check \
		--require-hashes -r requirements.lock
	PYTHONWARNINGS=ignore $(PYTHON) -m pip install --quiet --quiet --disable-pip-version-check \
		--no-deps -e .
	@touch $@

install: $(STAMP)
	@# Only our own locale dirs: without --ignore, compilemessages walks into .venv.
	@if find . -path ./$(VENV) -prune -o -type d -name locale -print | grep -q .; then \
		$(MANAGE) compilemessages --ignore=$(VENV) --verbosity 0; \
	fi
	@{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep -q libharfbuzz-subset \
		|| echo "warning: libharfbuzz-subset0 is missing; certificate PDFs render ~8x slower" \
		        "(apt-get install libharfbuzz-subset0)" >&2

# uv comes from the lock's dev extra, so an old lock is enough to make the new one.
lock: install
	$(PYTHON) scripts/lock.py --uv $(VENV)/bin/uv $(if $(UPGRADE),--upgrade)
	@$(MAKE) --no-print-directory install

run: install
	$(MANAGE) migrate --verbosity 0
	SITE_URL=$(SITE_URL) $(MANAGE) seed_demo
	SITE_URL=$(SITE_URL) $(MANAGE) runserver $(ADDR)

test: install
	@# One pytest process, worker tests included (docs/development.md, "Tests").
	@# pytest exits 5 when it collects no tests: warn, don't fail.
	$(VENV)/bin/pytest $(ARGS) || { rc=$$?; [ $$rc -eq 5 ] || exit $$rc; \
		echo "warning: pytest collected no tests" >&2; }

lint: install
	$(PYTHON) scripts/lock.py --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run --verbosity 1

# scripts/smoke: production settings on PostgreSQL and Redis (both on 127.0.0.1), ~3 min.
# It wipes KOS_SMOKE_DB (kos_smoke) and Redis db KOS_SMOKE_REDIS_DB (14); docs/deployment.md.
smoke: install
	scripts/smoke

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# bench/pages.py: every dashboard and list page at full and at 1/100 scale (PostgreSQL).
# A database that does not exist yet is created, migrated and seeded (seed_scale, ~2 min).
BENCH_DATABASES ?= postgres://postgres@127.0.0.1:5432/kos_scale,postgres://postgres@127.0.0.1:5432/kos_scale_small

bench: install
	@if [ -f bench/run.py ]; then \
		BENCH_DATABASES=$(BENCH_DATABASES) $(PYTHON) bench/run.py; \
	else \
		echo "No benchmarks yet: bench/run.py comes later."; \
	fi
