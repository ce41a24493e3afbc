# Two commands matter: `make run` (install and start the dev stack) and
# `make test` (install and run every test). Everything else supports them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Two stamps: the runtime (requirements.txt), all `make run` needs, and the
# development tools on top (requirements-dev.txt: pytest, Playwright, mypy,
# ruff, nox, twine...), which test, lint and bench add.
RUNTIME := $(VENV)/.installed-runtime
STAMP  := $(VENV)/.installed
API_PORT ?= 5002
IDP_PORT ?= 5000
# scripts/run-dev.sh reads them: `make run API_PORT=5003` also sets API_RESOURCE.
export API_PORT IDP_PORT

.PHONY: install install-runtime system-deps client-deps interop-deps certs migrate run call-api serve test test-fast lint docs release-check dist bench bench-full bench-smoke check clean

$(RUNTIME): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(STAMP): $(RUNTIME) requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

client_static/node_modules/.installed: client_static/package.json client_static/package-lock.json
	cd client_static && npm ci --no-audit --no-fund --loglevel=error
	touch $@

INTEROP := tests/project/interop/oidc-provider

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The runtime and the browser client's packages: what `make run` and `make serve` need.
install-runtime: $(RUNTIME) client-deps

install: $(STAMP) client-deps

client-deps:
	@if [ -f client_static/package.json ]; then $(MAKE) --no-print-directory client_static/node_modules/.installed; fi

# node oidc-provider, the independent DPoP issuer of tests/project/interop.
interop-deps:
	$(MAKE) --no-print-directory $(INTEROP)/node_modules/.installed

system-deps:
	scripts/install-system-deps.sh redis redis-sentinel netns chromium wrk valgrind nginx haproxy docker

certs: $(RUNTIME)
	$(PY) manage.py create_signing_cert --settings=idp.settings

# The system checks run once, when the servers start (runserver), not here as well.
migrate: $(RUNTIME)
	mkdir -p var
	$(PY) manage.py migrate --noinput -v0 --skip-checks
	$(PY) manage.py migrate --noinput -v0 --skip-checks --settings=idp.settings
	$(PY) manage.py seed_idp --skip-checks --settings=idp.settings

# The ports are checked first: a port another program holds fails in a second, before any install.
run:
	@scripts/run-dev.sh --check-ports
	$(MAKE) --no-print-directory install-runtime certs migrate
	scripts/run-dev.sh

# The console client against the ports `make run` was given.
call-api: $(RUNTIME)
	$(PY) manage.py call_api --issuer http://localhost:$(IDP_PORT) --api-url http://localhost:$(API_PORT)

# The API as in production (scripts/serve.sh: granian, WEB_CONCURRENCY workers,
# default one per core, DEBUG off) on API_PORT. Configure it with the
# environment: OIDC_ISSUER, OIDC_AUDIENCE, DJANGO_SECRET_KEY, REDIS_URL, ...
serve: install-runtime
	mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	API_PORT=$(API_PORT) PY=$(PY) scripts/serve.sh

# The library's suite runs on the matrix (noxfile.py: the built wheel on
# Python 3.11-3.13 x Django 5.2-6.1, plus the sample as a fresh clone on
# Django 6.1); the sample project's suite (tests/project, config.settings)
# runs here on the pinned versions of requirements.txt.
test: install interop-deps system-deps certs docs
	$(VENV)/bin/nox
	$(PY) -m pytest tests/project

test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser and not slow"
	$(PY) -m pytest tests/project -m "not browser and not slow"

# Every static check, as listed in .pre-commit-config.yaml (the commit hook runs
# the same list): hygiene, ruff check and format, mypy, the structure check,
# the release check and its tests, the workflows' schema and zizmor.
lint: $(STAMP)
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

# Refuses a release whose jwks_auth.__version__, CHANGELOG.md heading and tag
# disagree: `make release-check TAG=v1.2.0` (default: the v* tags on HEAD).
# The standard library only, so it needs no install.
release-check:
	$(PYTHON) scripts/release_check.py $(if $(TAG),--tag "$(TAG)")

# The sdist, the wheel built from it and `twine check`, in .nox/_dist (the nox
# session that make test also runs).
dist: $(STAMP)
	$(VENV)/bin/nox -s build

# The documentation site (docs/, Sphinx + MyST + furo; Read the Docs builds the
# same from .readthedocs.yaml). Every warning fails it, and nitpicky mode fails
# on a link to a page, heading, setting or Python name that does not exist. No
# network: no intersphinx, no linkcheck. tests/docs runs the pages' code.
docs: $(STAMP)
	rm -rf docs/_build
	$(VENV)/bin/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

check: $(STAMP)
	$(PY) manage.py check --deploy --fail-level ERROR

# Every target of BENCHMARKS.md in under 10 minutes on two cores; bench-full adds the long phases
# (the production-server sweep, token growth, Redis, the Django peers timed in process and over HTTP)
# and the fleet soaks' long forms (bench/fleet_figures.py: hosts in network namespaces, a Redis failover).
bench: install
	scripts/install-system-deps.sh redis wrk valgrind node
	$(PY) bench/run.py
	$(PY) -m bench.standards_profile
	$(PY) -m bench.ssf_propagation --rounds 10 --number 100000

bench-full: install
	scripts/install-system-deps.sh redis redis-sentinel netns wrk valgrind node
	$(PY) bench/run.py --full
	$(PY) bench/fleet_figures.py

bench-smoke: install
	scripts/install-system-deps.sh redis wrk valgrind node
	$(PY) bench/run.py --smoke
	$(PY) -m bench.standards_profile --smoke
	$(PY) -m bench.ssf_propagation --rounds 2 --number 5000

clean:
	rm -rf $(VENV) var client_static/node_modules $(INTEROP)/node_modules .pytest_cache test-artifacts .nox build dist docs/_build
