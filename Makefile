# Two commands for a newcomer: `make run` and `make test`. Everything else is installed from here.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# the 流程设计 page's modeler, bundled from node_modules (rebuilt when its sources change)
DESIGNER_BUNDLE := api/pages/static/build/modeler.js
DESIGNER_SOURCES := $(wildcard api/pages/modeler/*) .bpmnlintrc tools/build_designer.mjs
SYS_STAMP  := var/.system-packages
PORT   ?= 5000
# Debian packages the tests need: a CJK font for PDF notices, pdftotext, and Chromium for the page tests.
SYSTEM_PACKAGES := fonts-wqy-microhei poppler-utils chromium

.PHONY: run test serve install clean-db

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(DESIGNER_BUNDLE): $(NODE_STAMP) $(DESIGNER_SOURCES)
	npm run --silent build:designer

$(SYS_STAMP):
	@mkdir -p var
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $(SYS_STAMP)

install: $(STAMP) $(NODE_STAMP) $(DESIGNER_BUNDLE)

run: $(STAMP) $(NODE_STAMP) $(DESIGNER_BUNDLE)
	PORT=$(PORT) $(PY) -m api

serve: $(STAMP) $(NODE_STAMP) $(DESIGNER_BUNDLE)
	$(PY) -m api.production

test: $(STAMP) $(NODE_STAMP) $(DESIGNER_BUNDLE) $(SYS_STAMP)
	env -u TEST_DATABASE_URL $(PY) -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	  $(PY) -m pytest -m "not no_db"; \
	fi

clean-db:
	rm -f var/newborn.db var/newborn.db-wal var/newborn.db-shm
