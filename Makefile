# Everything a fresh machine needs: `make demo` and `make test` set up .venv and tmux themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
.PHONY: all test soak lint typecheck pytest demo bench clean system-deps browser-deps service-deps

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

# The test tools and the browser tests' playwright: only `make test` (and lint) install them.
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,browser]'
	touch $(TEST_STAMP)

# apt-get needs root: as another user these targets say what to run and carry on without it.
system-deps:
	@command -v tmux >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "tmux is missing and installing it needs root (sudo apt-get install tmux):"; \
	    echo "skipped; the tmux tests will be skipped and the demo cannot run"; exit 0; fi; \
	  echo "installing tmux with apt-get (needs root; running as root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "chromium is missing and installing it needs root (sudo apt-get install chromium):"; \
	    echo "the browser tests will be skipped"; exit 0; fi; \
	  echo "installing chromium with apt-get (browser tests; needs root, running as root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || echo "chromium could not be installed: browser tests will be skipped"; }

service-deps:
	@command -v systemd-analyze >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "systemd-analyze is missing and installing it needs root (sudo apt-get install systemd):"; \
	    echo "the service unit will not be verified"; exit 0; fi; \
	  echo "installing systemd with apt-get (verifies the service unit; needs root, running as root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null \
	  || echo "systemd could not be installed: the service unit will not be verified"; }

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

# The tmux tests mostly wait on real processes, so twice as many workers as cores (at most 16)
# finish sooner; worksteal keeps a worker from idling behind one long test. The two long forms
# of the messaging end-to-end story (marked soak, 10 s and over a minute, side by side) run in
# `make soak`, which CI runs after `make test`.
# The tests start hundreds of Python processes: bytecode is cached (in the ignored __pycache__
# folders) even where the environment sets PYTHONDONTWRITEBYTECODE, or each one compiles anew.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$((n * 2 > 16 ? 16 : n * 2)))

pytest: $(TEST_STAMP) system-deps browser-deps service-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m 'not soak'

test: lint typecheck pytest

soak: $(TEST_STAMP) system-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 -m soak

demo: $(STAMP) system-deps
	$(BIN)/credit-monitor demo

# Every figure of the README's Performance table, one script each (a few minutes in all).
BENCHES := bench_sweep bench_import bench_capture bench_classify bench_statusline bench_wake \
	bench_watch_idle bench_hardening bench_watch_view

bench: $(STAMP) system-deps
	@for b in $(BENCHES); do echo "== $$b"; PYTHONDONTWRITEBYTECODE= $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache test-output
