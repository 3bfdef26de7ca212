# Developer verbs. `make run` and `make test` set up everything they need.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COMPOSE ?= docker compose

.PHONY: help install run test test-fast docs screenshots lint format migrations-check ci \
        requirements static clean build up down stop migrate shell redis-cli logs

help: ## Show the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# --- Set-up --------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ATMO needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-installs only when the hash-checked requirements change.
$(VENV)/.installed: requirements/tests.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/tests.txt
	@touch $@

$(VENV)/.installed-docs: requirements/docs.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/tests.txt -r requirements/docs.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

static/vendor/.installed: node_modules/.installed bin/copy-vendor.mjs
	npm run --silent vendor
	@touch $@

install: $(VENV)/.installed static/vendor/.installed ## Create .venv, install Python and npm dependencies, copy front-end files into static/vendor

static: static/vendor/.installed ## Copy the front-end packages into static/vendor

requirements: $(BIN)/python ## Re-compile requirements/*.txt (pinned, with hashes) from the .in files
	$(BIN)/python -m pip install --quiet pip-tools
	for name in base local tests docs; do \
	  $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links -o requirements/$$name.txt requirements/$$name.in || exit 1; \
	done

# --- Local verbs ------------------------------------------------------------------

run: install ## Run the whole portal locally (web, worker, scheduler, local AWS, local OIDC)
	$(BIN)/python -m atmo.localdev

test: install ## Run the test suite (PostgreSQL if DATABASE_URL is set, else SQLite)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: install ## The test suite without the browser tests
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

docs: $(VENV)/.installed-docs ## Build the documentation into docs/_build/html (warnings are errors)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

screenshots: install ## Re-take the documentation's screenshots (docs/screenshots) with the browser tests
	ATMO_SCREENSHOTS=1 $(BIN)/pytest tests/browser $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install ## Fail if a model change has no migration
	ATMO_ENVIRONMENT=test $(BIN)/python manage.py makemigrations --check --dry-run --skip-checks

ci: lint migrations-check docs test ## What CI runs

clean: ## Remove the virtualenv, node_modules, collected static files and local data
	rm -rf $(VENV) node_modules static/vendor staticfiles .local db.sqlite3

# --- Container verbs (need Docker) ----------------------------------------------------

build: ## Build the container images
	$(COMPOSE) build

up: ## Start the stack in containers (http://localhost:8000)
	$(COMPOSE) up

down: ## Stop and remove the containers
	$(COMPOSE) down

stop: ## Stop the containers
	$(COMPOSE) stop

migrate: ## Apply migrations in the web container
	$(COMPOSE) run --rm web migrate

shell: ## A shell in the web container
	$(COMPOSE) run --rm web bash

redis-cli: ## redis-cli against the containers' Redis
	$(COMPOSE) exec redis redis-cli

logs: ## Follow the containers' logs
	$(COMPOSE) logs -f
