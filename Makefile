# The project's commands; `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.DEFAULT_GOAL := help
.PHONY: help setup run worker beat test lint helm-check bench browser e2e messages clean-data

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch $@

setup: $(VENV)/.installed node_modules/.installed ## Install Python and front-end dependencies

run: setup ## Set up everything (embedded PostgreSQL if DATABASE_URL is unset) and serve the demo
	$(PY) -W ignore manage.py bootstrap --demo
	@if [ -n "$$REDIS_URL" ]; then echo "REDIS_URL is set: background jobs go to Redis; start 'make worker' (and 'make beat') beside this."; fi
	$(VENV)/bin/uvicorn core.asgi:application --host 127.0.0.1 --port $(PORT) --workers 1

worker: setup ## Start a Celery worker (needs REDIS_URL; without it tasks run inside make run)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL to start a worker; without Redis, tasks run eagerly in make run."; exit 1; }
	$(VENV)/bin/celery -A core worker --loglevel=INFO

beat: setup ## Start Celery beat: periodic jobs, fanned out to every active tenant (needs REDIS_URL)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL to start beat."; exit 1; }
	@mkdir -p .data
	$(VENV)/bin/celery -A core beat --loglevel=INFO

test: setup browser helm-check ## Run the whole test suite (builds the template tenant schema once; checks the Helm chart first)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup ## Check the code with ruff
	$(VENV)/bin/ruff check .

helm-check: $(VENV)/.installed ## Lint the Helm chart and validate its manifests (Kubernetes schemas)
	scripts/helm-check.sh

bench: setup ## Run the benchmarks and write docs/benchmarks.md
	$(PY) -m tests.bench.run

browser: ## Install Debian's chromium for the browser tests if missing
	@scripts/ensure-chromium.sh

e2e: setup browser ## Browser tests only (Debian's chromium)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

messages: setup ## Extract and compile the English/Chinese catalogues
	$(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'node_modules/*' --ignore '.data/*' --ignore 'tests/*' --ignore '*.egg-info/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore '.venv/*' --ignore 'node_modules/*' --ignore '.data/*'

clean-data: ## Stop the embedded database and delete .data/
	-$(VENV)/bin/python -c "import pgserver; pgserver.get_server('.data/postgres').cleanup()" 2>/dev/null
	rm -rf .data
