# The two commands of the README. Both do all their own set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
EXAMPLE ?= examples/pokemon.yaml

.PHONY: run test install dev lint typecheck node-deps sandbox-deps bubblewrap browser bench bench-deps clean studio studio-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# The JS originals (handlebars.js 4.0.12, Numeral.js, Moment.js) for the
# differential tests, pinned by tests/js/package-lock.json.
tests/js/node_modules/.package-lock.json: tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --silent
node-deps: tests/js/node_modules/.package-lock.json

# The npm libraries CLOSER preinstalls for `sandbox` scripts (request, axios,
# lodash, moment, ...), pinned by their package-lock.json and found through
# NODE_PATH; nothing to install where node is absent (no nodejs runtime then).
SANDBOX_NODE := src/flowbot/integrations/sandbox/node
$(SANDBOX_NODE)/node_modules/.package-lock.json: $(SANDBOX_NODE)/package-lock.json
	cd $(SANDBOX_NODE) && npm ci --no-audit --no-fund --silent
ifneq ($(shell command -v node 2>/dev/null),)
sandbox-deps: $(SANDBOX_NODE)/node_modules/.package-lock.json
else
sandbox-deps:
endif

# Debian's bubblewrap, so the sandbox tests run scripts in both modes (with it:
# no network but the egress proxy, a read-only system; without: limits only).
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
	  echo "installing Debian's bubblewrap for the sandbox tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

# Debian's chromium for the Playwright widget test (Playwright's own browser
# download cannot be used here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@# a Korean font, so that the Korean widget's screenshots show Hangul (the tests pass without)
	@dpkg -s fonts-nanum >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-nanum >/dev/null 2>&1 || \
	  echo "fonts-nanum not installed: Korean text in screenshots shows as boxes"

# Debian's wrk, the load generator of bench/scale.py (a C program: an asyncio
# client would be the bottleneck when two server processes share the machine).
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for bench/scale.py"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# The studio (studio/, React + Vite): built into src/flowbot/server/static/studio/
# (git-ignored), again whenever one of its sources is newer than the last build.
# The preview's stylesheet is the widget's own (read from widget.js at build time).
STUDIO_OUT := src/flowbot/server/static/studio
STUDIO_SOURCES := $(shell find studio/src -type f 2>/dev/null) studio/package-lock.json \
	studio/index.html studio/vite.config.ts studio/widget-css.ts studio/tsconfig.json \
	src/flowbot/server/static/widget.js
$(STUDIO_OUT)/.built: $(STUDIO_SOURCES)
	cd studio && npm ci --no-audit --no-fund --silent && npm run build
	touch $@
studio: $(STUDIO_OUT)/.built

# the studio's component tests (vitest, jsdom)
studio-test: studio
	cd studio && npx vitest run

lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: dev
	$(BIN)/mypy --strict src/flowbot

run: install sandbox-deps studio
	$(BIN)/flowbot serve $(EXAMPLE) --port $(PORT) --db sqlite:///flowbot.db

test: dev node-deps sandbox-deps bubblewrap browser lint typecheck studio studio-test
	$(BIN)/pytest -q

bench: dev bench-deps
	$(BIN)/python bench/templates.py
	$(BIN)/python bench/turns.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/http.py
	$(BIN)/python bench/breakdown.py
	$(BIN)/python bench/channels.py
	$(BIN)/python bench/nodes.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) tests/js/node_modules $(SANDBOX_NODE)/node_modules studio/node_modules $(STUDIO_OUT) .pytest_cache .mypy_cache test-artifacts
