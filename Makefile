# Developer verbs. `make run` and `make test` set up everything they need.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COMPOSE ?= docker compose

.PHONY: help install run test test-fast docs screenshots lint format migrations-check ci \
        requirements static clean chromium typecheck precommit publish-emr measure bench measure-cost measure-monitoring measure-api scrape chaos build build-dev up down stop \
        migrate shell redis-cli logs

help: ## Show the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# --- Set-up --------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ATMO needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-installs only when the hash-checked requirements change.
$(VENV)/.installed: requirements/tests.txt cli/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/tests.txt
	# The atmo CLI: its pinned dependencies are in requirements/tests.txt (hash-checked).
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation ./cli
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

# The Jupyter kernel the notebook runner (emr/atmo_runner) runs notebooks with, in the virtualenv.
KERNEL_SPEC := $(VENV)/share/jupyter/kernels/atmo-pyspark/kernel.json
$(KERNEL_SPEC): $(VENV)/.installed emr/atmo_runner/kernel.py
	PYTHONPATH=emr $(BIN)/python -m atmo_runner.kernel --prefix $(VENV) >/dev/null

install: $(VENV)/.installed $(KERNEL_SPEC) static/vendor/.installed ## Create .venv, install Python and npm dependencies (and the runner's Jupyter kernel), copy front-end files into static/vendor

static: static/vendor/.installed ## Copy the front-end packages into static/vendor

# pip-tools follows pip's internals closely: a new pip can break an old pip-tools
# and the other way round. 7.6.2 works with the pip 26 that $(BIN)/python gets.
PIP_TOOLS_VERSION ?= 7.6.2

requirements: $(BIN)/python ## Re-compile requirements/*.txt and emr/requirements.txt (pinned, with hashes) from the .in files
	$(BIN)/python -m pip install --quiet "pip-tools==$(PIP_TOOLS_VERSION)"
	for name in base local tests docs; do \
	  $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links -o requirements/$$name.txt requirements/$$name.in || exit 1; \
	done
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -c requirements/local.txt -o emr/requirements.txt emr/requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -c emr/requirements.txt -o emr/jupyterlab.txt emr/jupyterlab.in

# --- Local verbs ------------------------------------------------------------------

run: install ## Run the whole portal locally (web, worker, scheduler, local AWS, local OIDC)
	$(BIN)/python -m localdev

test: install ## Run the test suite (PostgreSQL if DATABASE_URL is set, else SQLite)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: install ## The test suite without the browser tests
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

docs: $(VENV)/.installed-docs ## Build the documentation into docs/_build/html (warnings are errors)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

CHROMIUM := /usr/bin/chromium

# Without chromium the browser tests skip themselves and pytest would exit 0
# having taken no screenshot: refuse instead.
screenshots: chromium install ## Re-take the documentation's screenshots (docs/screenshots) with the browser tests
	ATMO_SCREENSHOTS=1 $(BIN)/pytest tests/browser $(PYTEST_ARGS)

chromium:
	@test -x $(CHROMIUM) || { echo "make screenshots: no $(CHROMIUM); install Debian's chromium (apt-get install -y chromium)" >&2; exit 1; }

measure: install ## Print SQL queries per page and AWS calls per status sync with 5 and with 200 objects
	$(BIN)/python bin/measure_scaling.py

# wrk is the load tool: Debian's package, installed on first use.
bench: install ## Load benchmark (~10 min): pages' p50/p95 against a bare view at 5, 200, 2,000 objects, and the sweeps' queries and AWS calls; fails on a missed aim (BENCH_ARGS=--help)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || { echo "make bench: could not install wrk (apt-get install -y wrk)" >&2; exit 1; }
	$(BIN)/python bin/bench_pages.py $(BENCH_ARGS)

measure-cost: install ## Print what a week of the seeded local usage costs, with and without idle shutdown
	$(BIN)/python bin/measure_cost_week.py

measure-monitoring: install ## Print the heartbeat's latency (gunicorn, live worker) and one metrics scrape's cost at 1,000 clusters
	$(BIN)/python bin/measure_monitoring.py

measure-api: install ## Print the API's p95 for the job list at 100 jobs against the dashboard's (gunicorn, prod settings)
	$(BIN)/python bin/measure_api.py

scrape: install ## Scrape the running site's /metrics for a minute (next to `make run`) and print what moved
	$(BIN)/python bin/scrape_metrics.py $(SCRAPE_ARGS)

chaos: install ## Daily jobs over 40 simulated days under faults (~25 min); prints the counts (CHAOS_ARGS=--help)
	$(BIN)/python bin/chaos.py $(CHAOS_ARGS)

lint: install ## ruff lint and format check; shellcheck of the cluster scripts (emr/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@command -v shellcheck >/dev/null || { echo "make lint: no shellcheck (apt-get install -y shellcheck)" >&2; exit 1; }
	shellcheck -x emr/*.sh

publish-emr: install ## Publish emr/ (bootstrap action, steps, notebook runner) to the Spark EMR bucket; PUBLISH_ARGS=--dry-run
	$(BIN)/python manage.py publish_emr_code $(PUBLISH_ARGS)

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The Django plugin imports the test settings, which start an embedded Redis when
# REDIS_URL is unset; mypy exits without running atexit hooks, so that server
# would outlive it. mypy never connects: any URL will do.
typecheck: install ## mypy with the Django plugin (configured in pyproject.toml)
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" $(BIN)/mypy

precommit: install ## Run the pre-commit hooks (ruff, ruff format, django-upgrade, djhtml) on every file
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

migrations-check: install ## Fail if a model change has no migration
	ATMO_ENVIRONMENT=test $(BIN)/python manage.py makemigrations --check --dry-run --skip-checks

ci: lint typecheck precommit migrations-check docs test ## What CI runs

clean: ## Remove the virtualenv, node_modules, collected static files and local data
	rm -rf $(VENV) node_modules static/vendor staticfiles .local db.sqlite3

# --- Container verbs (need Docker) ----------------------------------------------------

# What /__version__ of an image reports (the Dockerfile writes them to version.json).
# Override any of them: make build SOURCE=https://... BUILD_URL=https://...
# VERSION is pyproject.toml's release when HEAD carries its tag, else <release>-dev.
IMAGE ?= atmo
PROJECT_VERSION = $(shell $(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
VERSION ?= $(if $(filter $(PROJECT_VERSION),$(shell git tag --points-at HEAD 2>/dev/null)),$(PROJECT_VERSION),$(PROJECT_VERSION)-dev)
COMMIT ?= $(or $(shell git rev-parse HEAD 2>/dev/null),unknown)
SOURCE ?=
BUILD_URL ?=
BUILD_ARGS = --build-arg VERSION="$(VERSION)" --build-arg COMMIT="$(COMMIT)" \
             --build-arg SOURCE="$(SOURCE)" --build-arg BUILD_URL="$(BUILD_URL)"

build: ## Build the production image atmo:<version>, with version, commit, source and build URL
	docker build $(BUILD_ARGS) -t $(IMAGE):$(VERSION) .

build-dev: ## Build the image of the docker compose stack (atmo:dev)
	$(COMPOSE) build $(BUILD_ARGS)

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
