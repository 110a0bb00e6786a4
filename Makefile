# Two commands on a fresh machine: `make lab` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch first, pinned: these machines hold a CPU wheel of 2.13.0; an unpinned torch pulls CUDA builds.
TORCH_SPEC ?= torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 8888
DB ?= library.duckdb

.PHONY: lab test lint pytest bench dashboard install install-test system-deps js clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test system-deps

# Chromium for the browser tests comes from Debian (never `playwright install`).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

# Jupyter refuses to run as root unless told; these machines run everything as root.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --ServerApp.allow_root=True)
LAB_ARGS ?=

lab: install
	WORKBENCH_DB=$(abspath $(DB)) $(VENV)/bin/jupyter lab --ip=$(HOST) --port=$(PORT) \
	  --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

dashboard: install
	$(VENV)/bin/workbench dashboard --db $(DB) --address $(HOST)

lint: install-test
	$(VENV)/bin/ruff check workbench tests bench

pytest: install-test
	$(PY) -m pytest -q

test: lint pytest

bench: install-test
	cd bench && ../$(PY) run_all.py $(BENCH_ARGS)

# Rebuild the widget bundle (the built file is committed; users never need node).
js:
	cd js && npm install --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
