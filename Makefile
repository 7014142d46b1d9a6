# Two commands: `make run` serves the demo site on http://127.0.0.1:5000, `make test` runs every test.
# `make cluster`: the demo on two hosts (gunicorn each) behind Debian's nginx on http://127.0.0.1:5000 (README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PO     := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 2
# `make run` mails notifications to aiosmtpd's debugging server here (README: Notifications)
MAIL_HOST ?= 127.0.0.1
MAIL_PORT ?= 8025
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test cluster lint bench install translations lock clean

run: install
	$(BIN)/flask --app wsgi init --demo
	@echo "Servicebook on http://$(HOST):$(PORT)/ (demo users: staff, editor, publisher, trainer, quality_lead, admin; password: servicebook)"
	@echo "Notification mail goes to $(MAIL_HOST):$(MAIL_PORT); to read it, run in another terminal: $(BIN)/python -m aiosmtpd -n -l $(MAIL_HOST):$(MAIL_PORT)"
	SERVICEBOOK_ENV=development MAIL_SERVER=$(MAIL_HOST) MAIL_PORT=$(MAIL_PORT) SITE_URL=http://$(HOST):$(PORT) $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: install $(NODE_STAMP)
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests (apt-get install chromium fonts-noto-cjk)"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; \
	fi
	@$(NGINX_INSTALL)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Debian's nginx, for `make cluster` and the cluster tests (tests/site/test_cluster.py); nothing else uses it.
NGINX ?= /usr/sbin/nginx
define NGINX_INSTALL
if [ ! -x $(NGINX) ]; then \
  echo "Installing Debian's nginx for the cluster tests and make cluster (apt-get install nginx)"; \
  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx; \
fi
endef

# A throw-away PostgreSQL with the demo content, host-a and host-b (gunicorn, 2 workers each, their own instance
# folders) and nginx round-robin over them on $(HOST):$(PORT); Ctrl-C stops it all (tests/support/cluster.py).
cluster: install
	@$(NGINX_INSTALL)
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m tests.support.cluster

lint: install
	$(BIN)/ruff check .

# Benchmarks (not part of `make test`; they read ../shared/corpus): search latency at 1x (the reference
# queries and the common words); hello-world, the search page and the API at 16 and 64 connections in one
# gunicorn (2 workers, Debian's wrk); the growth curve at 1x, 3x, 10x and 30x; five pages under load; the
# one-minute concurrency run (20 clients editing and measuring at once). About 40 minutes in all.
BENCH_DIR ?= /tmp/servicebook-bench-1x

bench: install
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk for the HTTP benchmarks"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); $$SUDO apt-get install -y -qq wrk; }
	rm -rf $(BENCH_DIR)
	$(BIN)/python bench/search.py --keep $(BENCH_DIR)
	$(BIN)/python bench/http.py --reuse $(BENCH_DIR)
	$(BIN)/python bench/growth.py
	$(BIN)/python bench/load.py --reuse $(BENCH_DIR)
	$(BIN)/python bench/concurrency.py

install: $(STAMP) $(MO)

# axe-core for the browser tests' accessibility checks, from package-lock.json (`npm ci`); Debian's nodejs
# and npm are installed with apt-get when npm is missing. Nothing in node_modules/ is served.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's nodejs and npm for axe-core (apt-get install nodejs npm)"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Servicebook needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# constraints.txt pins every installed package: refresh it from the newest releases pyproject.toml allows,
# in a throw-away virtualenv, then run `make test` before committing it.
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	build/lock-venv/bin/python -m pip install --quiet -e ".[test]"
	{ sed -n '1,3p' constraints.txt; build/lock-venv/bin/python -m pip freeze --exclude-editable | grep -iv '^servicebook'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf build/lock-venv

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

# After changing UI strings: refresh the catalogue, translate the new entries in the .po, then `make`.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) build *.egg-info node_modules
