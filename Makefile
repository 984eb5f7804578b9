# Everything a fresh machine needs: `make demo` and `make test` set up .venv and tmux themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all test lint typecheck pytest demo bench clean system-deps browser-deps

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,browser]'
	touch $(STAMP)

system-deps:
	@command -v tmux >/dev/null 2>&1 || { \
	  echo "installing tmux with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium with apt-get (browser tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || echo "chromium could not be installed: browser tests will be skipped"; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-deps browser-deps
	$(BIN)/pytest -n auto

test: lint typecheck pytest

demo: $(STAMP) system-deps
	$(BIN)/credit-monitor demo

bench: $(STAMP) system-deps
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_sweep.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache test-output
