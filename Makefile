# Two commands matter: `make run` (install and start the dev stack) and
# `make test` (install and run every test). Everything else supports them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
API_PORT ?= 5002
IDP_PORT ?= 5000

.PHONY: install system-deps client-deps interop-deps certs migrate run test test-fast lint bench bench-smoke check clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

client_static/node_modules/.installed: client_static/package.json client_static/package-lock.json
	cd client_static && npm ci --no-audit --no-fund --loglevel=error
	touch $@

INTEROP := tests/project/interop/oidc-provider

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) client-deps

client-deps:
	@if [ -f client_static/package.json ]; then $(MAKE) --no-print-directory client_static/node_modules/.installed; fi

# node oidc-provider, the independent DPoP issuer of tests/project/interop.
interop-deps:
	$(MAKE) --no-print-directory $(INTEROP)/node_modules/.installed

system-deps:
	scripts/install-system-deps.sh redis chromium

certs: $(STAMP)
	$(PY) manage.py create_signing_cert --settings=idp.settings

migrate: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py migrate --noinput -v0 --settings=idp.settings
	$(PY) manage.py seed_idp --settings=idp.settings

run: install certs migrate
	scripts/run-dev.sh

# Two suites: the library's (tests/, on tests.settings) and the sample
# project's (tests/project, on config.settings, its own pytest.ini).
test: install interop-deps system-deps certs
	$(PY) -m pytest
	$(PY) -m pytest tests/project

test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser and not slow"
	$(PY) -m pytest tests/project -m "not browser and not slow"

lint: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff check

check: $(STAMP)
	$(PY) manage.py check --deploy --fail-level ERROR

bench: install
	scripts/install-system-deps.sh redis wrk node
	$(PY) bench/run.py

bench-smoke: install
	scripts/install-system-deps.sh redis wrk node
	$(PY) bench/run.py --smoke

clean:
	rm -rf $(VENV) var client_static/node_modules $(INTEROP)/node_modules .pytest_cache test-artifacts
