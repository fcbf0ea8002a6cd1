# odr-analysis: every developer command. `make help` lists them (from the `## ` comments).
# Everything runs from the project venv (.venv), which `make install` creates and keeps current.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# The interpreter that creates the venv: python3.11 if present, otherwise python3.
BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
STAMP := $(VENV)/.installed
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
# JupyterLab refuses to run as root unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

PYTEST_ARGS ?=
BENCH_ARGS ?=
LAB_ARGS ?=
APP_ARGS ?=
REPORT_ARGS ?=
# `make report`: the data folder (a portfolio or one account) and where the HTML reports go.
REPORT_DATA ?= data/sample
REPORT_OUT ?= reports
# The what-if panel notebook that `make app` serves with Voila (no code shown).
APP_NOTEBOOK ?= notebooks/02-what-if-simulator.ipynb
# Debian's chromium, driven by Playwright in tests/test_browser.py.
CHROMIUM ?= /usr/bin/chromium
# Benchmark entry points; benchmarks/ also holds importable helpers (portfolio.py, peers.py).
BENCHMARKS ?= $(sort $(wildcard benchmarks/bench_*.py))
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install lab app report browser test lint format typecheck sample bench strip clean

help: ## List the targets with a one-line description
	@echo "Usage: make <target> [VAR=value]   (venv: $(VENV))"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PYTEST_ARGS=\"-k engine\"  BENCH_ARGS=\"--orders 1000000\"  LAB_ARGS=\"--port 8899\""
	@echo "           APP_ARGS=\"--port 8866\"  APP_NOTEBOOK=notebooks/02-what-if-simulator.ipynb"
	@echo "           REPORT_DATA=data/raw  REPORT_OUT=reports  REPORT_ARGS=\"--date 2026-02-23 --pdf\""

$(PY):
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "error: need python3.11 or python3 on PATH" >&2; exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[dev,amazon]"
	@touch $(STAMP)

# Turn off JupyterLab's "get notified about news?" toast and its update checks.
$(LAB_OVERRIDES): | $(STAMP)
	@mkdir -p $(dir $@)
	@echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $@

install: $(STAMP) ## Create .venv if missing and install the package with its dev tools

lab: $(STAMP) $(LAB_OVERRIDES) ## Open JupyterLab on notebooks/ (they read data/sample/ by default)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

# Voila's lab template without its two CDN links (icon fonts): the app asks nothing outside.
VOILA_OFFLINE := $(VENV)/share/jupyter/voila/templates/odr-offline/index.html.j2
$(VOILA_OFFLINE): scripts/voila_offline_template.py | $(STAMP)
	$(PY) scripts/voila_offline_template.py

app: $(STAMP) $(VOILA_OFFLINE) ## Serve the what-if panel (notebook 02) with Voila: no code, for stakeholders
	cd $(dir $(APP_NOTEBOOK)) && $(abspath $(BIN))/voila --template=odr-offline $(notdir $(APP_NOTEBOOK)) $(APP_ARGS)

# --exit-zero: a channel over the target (exit 4) or at risk (3) is news, not a failed make.
report: $(STAMP) ## Write one HTML report per account of data/sample/ + a summary to reports/
	$(BIN)/odr-report $(REPORT_DATA) --out $(REPORT_OUT) --exit-zero $(REPORT_ARGS)

# Root (as in CI) installs chromium with apt; anyone else is told how, and the browser tests skip
# (with CI=true they fail instead, so CI never passes without them).
browser: ## Install Debian's chromium for the browser tests if missing (as root; else says how)
	@if [ -x "$(CHROMIUM)" ]; then echo "browser tests: using $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "browser tests: installing chromium (apt-get)"; \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
		|| { echo "error: could not install chromium" >&2; \
			case "$${CI:-}" in true|1|yes) exit 1;; esac; }; \
	else \
		echo "note: $(CHROMIUM) is missing, so the browser tests will skip;" \
			"install it with: sudo apt-get install chromium"; \
	fi

test: $(STAMP) lint browser ## Lint, then run every test: unit, hypothesis, notebooks, browser, doctests
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; exit $$status

lint: $(STAMP) ## Check code and notebooks with ruff (lint rules and formatting)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Fix what ruff can fix, then format code and notebooks
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## Type-check odr_analysis with mypy
	$(BIN)/mypy

sample: $(STAMP) ## Regenerate the synthetic sample data in data/sample/ (fixed seed)
	$(PY) -m odr_analysis.sample data/sample

bench: $(STAMP) ## Run benchmarks/bench_*.py (smaller: make bench BENCH_ARGS="--orders 1000000")
	@test -n "$(BENCHMARKS)" || { echo "error: no benchmarks/bench_*.py found" >&2; exit 1; }
	@set -e; for script in $(BENCHMARKS); do \
		echo "$(PY) $$script $(BENCH_ARGS)"; $(PY) $$script $(BENCH_ARGS); done

strip: $(STAMP) ## Strip outputs and execution counts from notebooks/*.ipynb
	$(PY) scripts/strip_notebooks.py $(NOTEBOOKS)

clean: ## Remove caches and build leftovers (keeps .venv, data and notebooks)
	rm -rf .pytest_cache .ruff_cache .mypy_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
		-type d -prune -exec rm -rf {} +
