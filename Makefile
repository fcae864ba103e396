# Partnership: `make run` serves the demo, `make test` runs the tests. `make help` lists the rest.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app partnership
HOST ?= 127.0.0.1
PORT ?= 5000

# setup.cfg is the one list of direct Python dependencies; requirements.lock pins the whole
# tree made from it (`make lock`), so every machine installs the same versions.
LOCK := requirements.lock
PIP_TOOLS := pip-tools==7.6.2
define REQUIREMENTS
import configparser
c = configparser.ConfigParser()
c.read("setup.cfg")
print(c["options"]["install_requires"])
print(c["options.extras_require"]["test"])
endef
export REQUIREMENTS

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: setup.cfg $(LOCK)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check --upgrade pip
	$(PY) -c "$$REQUIREMENTS" > $(VENV)/requirements.txt
	$(PY) -m pip install -qq --disable-pip-version-check -r $(VENV)/requirements.txt -c $(LOCK)
	$(PY) -m pip check
	touch $@

# --omit=peer: MOJ Frontend names moment as a peer for its Nunjucks filters, which we don't use.
node_modules/.installed: package.json package-lock.json
	npm ci --omit=peer --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: install
install: $(VENV)/.installed node_modules/.installed ## Install Python and npm dependencies

# pip-tools lives in a throwaway venv: only this target needs it. Pins already in the lock
# are kept; LOCK_ARGS=--upgrade moves the indirect ones to their newest releases.
.PHONY: lock
lock: ## Pin the whole Python dependency tree from setup.cfg into requirements.lock
	@tools=$$(mktemp -d) && trap 'rm -rf "$$tools"' EXIT && \
	python3 -m venv "$$tools" && \
	"$$tools/bin/pip" install -qq --disable-pip-version-check $(PIP_TOOLS) && \
	python3 -c "$$REQUIREMENTS" | CUSTOM_COMPILE_COMMAND="make lock" "$$tools/bin/pip-compile" \
	  --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  $(LOCK_ARGS) --output-file $(LOCK) - && \
	sed -i 's/-r -$$/setup.cfg/' $(LOCK)

static/.built: node_modules/.installed $(wildcard partnership/frontend/*)
	rm -rf static && mkdir -p static/assets
	npm run --silent build
	cp -R node_modules/govuk-frontend/dist/govuk/assets/images node_modules/govuk-frontend/dist/govuk/assets/manifest.json static/assets/
	cp -R node_modules/@ministryofjustice/frontend/moj/assets/images/. static/assets/images/
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
	   node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js \
	   node_modules/htmx.org/dist/htmx.min.js node_modules/htmx-ext-sse/dist/sse.js \
	   partnership/frontend/app.mjs partnership/frontend/favicon.svg static/
	touch $@

.PHONY: assets
assets: static/.built ## Build the CSS and copy the front-end packages into static/

.PHONY: db
db: $(VENV)/.installed ## Create or upgrade the database (SQLite under instance/ unless DATABASE_URL is set)
	$(FLASK) db upgrade

.PHONY: seed
seed: db ## Load the demo partnership (idempotent) and print the demo logins
	$(FLASK) seed-demo

.PHONY: run
run: install assets seed ## Set everything up and serve the demo at http://127.0.0.1:5000
	@echo "Serving the demo partnership at http://$(HOST):$(PORT) (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT) --no-debugger --no-reload --with-threads

.PHONY: browser
browser: ## Install Debian's chromium for the browser tests, if it is missing
	@command -v chromium >/dev/null || { \
	  echo "Installing chromium for the browser tests (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.PHONY: test
test: install assets browser ## Run the tests (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

# Generated input, bounded and derandomised: schemathesis over every API operation (on
# PostgreSQL when TEST_DATABASE_URL is set), hypothesis over the web forms on each database.
# FUZZ_EXAMPLES sets the API's examples an operation.
.PHONY: fuzz
fuzz: install assets ## Fuzz the API from its OpenAPI document and the web forms with hostile text
	$(PY) -m pytest -n auto -m fuzz $(PYTEST_ARGS)

.PHONY: lint
lint: $(VENV)/.installed ## Check the code with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: security
security: $(VENV)/.installed ## Look for high-severity security problems with bandit (none allowed)
	$(VENV)/bin/bandit --recursive partnership --severity-level high --quiet

.PHONY: typecheck
typecheck: $(VENV)/.installed ## Check the types in partnership/ with mypy (set up in setup.cfg)
	$(VENV)/bin/mypy

.PHONY: serve
serve: install assets ## Serve with gunicorn in production mode (needs SECRET_KEY, DATABASE_URL, REDIS_URL)
	PARTNERSHIP_ENV=production $(FLASK) db upgrade
	PARTNERSHIP_ENV=production $(VENV)/bin/gunicorn --config partnership/gunicorn.conf.py wsgi:app

.PHONY: bench
bench: install assets ## Measure at scale (1M referrals; BENCH_REFERRALS, BENCH_DATABASE_URL) into bench/RESULTS.md
	$(PY) bench/run.py

.PHONY: clean
clean: ## Remove the built assets and the development database
	rm -rf static instance
