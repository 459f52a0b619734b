# Peer Mentor Programme dashboard.
#   make run    set everything up and serve the dashboard (demo data if there is no database)
#   make test   set everything up and run every check (lint, format, types, tests)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DB     ?= $(if $(DASHBOARD_DB),$(DASHBOARD_DB),data/programme.duckdb)
# `make test` runs every test once, in two runs side by side: the browser tests with the real
# clock, and all the others with the clock moved (Debian's faketime) to late on the last day of a
# February, so a test or a figure that depends on today's date fails here, not on some later
# day. The moved-clock run shares its tests between two workers (pytest-xdist), then runs the
# slow ones that need no browser (the soak) on one, beside the browser tests, which spend much
# of their time waiting on Chromium and the servers.
MOVED_CLOCK ?= 2029-02-28 23:30:00
# `make test` runs the full soak (2,000 page runs: memory after the first 200, open files,
# connections) and the three-server test with its full million attendance rows (24,000 mentors).
SOAK_RUNS ?= 2000
# glibc's malloc gives threads arenas of their own (up to eight per core), and Streamlit runs
# every page run in a new thread: over thousands of runs a server's memory creeps up without a
# leak. Two arenas keep it flat (the soak: +1-3% over 1,500 runs instead of up to +8%). Every
# server and test process started here inherits it; docs/OPERATIONS.md says the same for a
# server started another way.
export MALLOC_ARENA_MAX := 2
IMPORT_MENTORS ?= 24000

.PHONY: help venv run test soak slow lint format bench clean distclean

help:
	@echo "make run      set up and serve the dashboard at http://localhost:8501 (DB=$(DB))"
	@echo "make test     set up and run lint, format check, type check and all tests"
	@echo "make lint     ruff check"
	@echo "make format   ruff format"
	@echo "make bench    run the benchmarks"
	@echo "make soak     the full soak: 2,000 page runs on one session"
	@echo "make clean    remove caches and test artifacts (keeps .venv and data)"
	@echo "make distclean  clean, and remove .venv too"

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: venv
	@mkdir -p "$(dir $(DB))"
	@if [ ! -e "$(DB)" ]; then \
		echo "No database at $(DB): creating demo data."; \
		$(PY) -m analysis demo --db "$(DB)"; \
	fi
	DASHBOARD_DB="$(DB)" $(VENV)/bin/streamlit run dashboard.py --server.address=localhost

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo
	@command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime"; exit 1; }
	@mkdir -p test-artifacts
	@{ faketime '$(MOVED_CLOCK)' $(VENV)/bin/pytest -m "not browser and not slow" -q -n 2 \
		-p no:cacheprovider --basetemp=test-artifacts/moved-clock-tmp; fast=$$?; \
		PM_SOAK_RUNS=$(SOAK_RUNS) faketime '$(MOVED_CLOCK)' $(VENV)/bin/pytest \
		-m "slow and not browser" -q -p no:cacheprovider --basetemp=test-artifacts/moved-clock-slow; \
		slow=$$?; test $$fast -eq 0 && test $$slow -eq 0; } > test-artifacts/moved-clock.log 2>&1 & moved=$$!; \
	PM_IMPORT_MENTORS=$(IMPORT_MENTORS) $(VENV)/bin/pytest -m browser; main=$$?; \
	wait $$moved; moved_rc=$$?; \
	echo "== the other tests, with the clock moved to $(MOVED_CLOCK) =="; \
	grep -E '^[0-9]+ (passed|failed)|^FAILED|^ERROR' test-artifacts/moved-clock.log; \
	tail -n 60 test-artifacts/moved-clock.log; \
	test $$main -eq 0 && test $$moved_rc -eq 0

soak: venv
	PM_SOAK_RUNS=2000 $(VENV)/bin/pytest tests/test_soak.py -q -s

slow: venv
	PM_SOAK_RUNS=2000 PM_IMPORT_MENTORS=24000 $(VENV)/bin/pytest -m slow -q -s

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: venv
	$(VENV)/bin/ruff format .

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts benchmarks/scratch
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
