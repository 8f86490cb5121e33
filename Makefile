# The one entry point: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Where the embedded defaults keep their files (the settings read the same variable).
DATA_DIR ?= var
export DJANGO_SETTINGS_MODULE := workbench.settings
# The uv pin comes from the lock file, so there is one list of versions.
UV := $(shell grep -i '^uv==' requirements.lock)
# pytest processes (pytest-xdist; 0 = in this process) and extra arguments, e.g. "-x tests/api".
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: install chromium screenshots run test lint format typecheck bench fixtures migrate \
	worker clean

## install: the venv from requirements.lock, with uv (much faster), or pip if uv cannot run.
## Both write the bytecode of what they install: a process whose environment sets
## PYTHONDONTWRITEBYTECODE (this machine's, the image's) would otherwise compile every import
## from source each time it starts (a Celery worker's first batch, each test's subprocess).
$(VENV)/.installed: requirements.lock requirements/production.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@if $(PY) -m pip install --quiet $(UV) && \
		$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) \
			-r requirements.lock; then :; else \
		echo "uv failed; installing with pip"; \
		$(PY) -m pip install --quiet -r requirements.lock; fi
	touch $@

install: $(VENV)/.installed

migrate: install
	@mkdir -p $(DATA_DIR)
	$(PY) manage.py migrate --noinput

## make run: install, migrate, load the seed articles and demo data, start web + Celery worker.
run: export DEBUG ?= 1
run: migrate
	@mkdir -p $${STATIC_ROOT:-$(DATA_DIR)/static}  # WhiteNoise looks there even under DEBUG
	$(PY) manage.py seed_articles
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Workbench:   http://$(HOST):$(PORT)/"
	@echo "  Review desk: http://$(HOST):$(PORT)/admin/"
	@echo "  Demo logins: analyst / analyst-demo, analyst2 / analyst2-demo, reviewer / reviewer-demo"
	@echo ""
	@set -e; \
	$(VENV)/bin/celery -A workbench worker --beat --pool threads --concurrency 4 \
		--loglevel INFO --schedule $(DATA_DIR)/celerybeat-schedule & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	@mkdir -p $(DATA_DIR)
	$(VENV)/bin/celery -A workbench worker --beat --pool threads --loglevel INFO \
		--schedule $(DATA_DIR)/celerybeat-schedule

## chromium: the browser tests drive Debian's Chromium (Playwright never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## make test: install what the tests need and run them (SQLite unless DATABASE_URL says otherwise).
test: install chromium
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make lint: ruff (lint and format) and mypy; .ci/run runs it first.
lint: install typecheck
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## make typecheck: mypy with the Django and DRF plugins, on annotations/ and workbench/.
typecheck: install
	$(PY) -m mypy

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install chromium
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

## make screenshots: refresh docs/screenshots/ from the real pages (needs Chromium).
screenshots: install chromium
	WRITE_SCREENSHOTS=1 $(PY) -m pytest -q tests/ui/test_screenshots.py

## make fixtures: regenerate fixtures/articles.json from fixtures/seeds/ with import_articles.
fixtures: install
	@tmp=$$(mktemp -d); \
	DATA_DIR=$$tmp DATABASE_URL=sqlite:///$$tmp/fixtures.sqlite3 sh -c '\
		$(PY) manage.py migrate --noinput -v0 && \
		$(PY) manage.py import_articles fixtures/seeds && \
		$(PY) manage.py dumpdata annotations.article --indent 2 -o fixtures/articles.json'; \
	status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache

## JavaScript: Node from the machine's packages (installed when missing, as Chromium is), the
## locked npm packages (ESLint, axe-core), the pure modules' unit tests and the linter.
.PHONY: nodejs test-js lint-js
nodejs:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)

node_modules/.installed: package.json package-lock.json | nodejs
	npm ci --prefer-offline --no-audit --no-fund --loglevel=error
	touch $@

test-js: nodejs
	node --test tests/js/

lint-js: node_modules/.installed
	npx --no-install eslint annotations/static tests/js eslint.config.js

test: test-js node_modules/.installed
lint: lint-js
