# Two set-up commands on a machine that has only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-times test-cluster install install-dev java chromium js-clients bench bench-venv clean screenshots bench-dashboard

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# PySpark (the second engine the query layer is tested on) needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing a Java runtime for PySpark"; \
	  (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless) >/dev/null 2>&1 || \
	  echo "no Java: the PySpark tests will be skipped"; }

# The survey widget is tested in headless Chromium: Debian's package, driven by Playwright's client.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	  echo "no chromium: the browser tests will be skipped"; }

# analytics.js (Segment's @segment/analytics-next, from npm) for the collector's browser test; the
# versions are pinned by tests/js/package-lock.json. Without node/npm that test is skipped.
JS_CLIENTS := tests/js/node_modules/.installed
$(JS_CLIENTS): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/js --no-audit --no-fund --silent && touch $@ || \
	  echo "npm ci failed: the analytics.js browser test will be skipped"; \
	else echo "no node/npm: the analytics.js browser test will be skipped"; fi

js-clients: $(JS_CLIENTS)

demo: $(VENV)/.installed
	$(BIN)/centric demo --workspace centric-workspace

# Everything but the tests marked `cluster` (Spark on a standalone cluster and the Spark engine's
# end-to-end runs), which `make test-cluster` runs; CI (.ci/run) runs both.
test: $(VENV)/.installed-dev java chromium js-clients
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=30 -m "not cluster"

# Measure each test module's seconds again into tests/module_seconds.json (the order `make test` hands
# modules to its workers in: longest first; tests/conftest.py).
test-times: $(VENV)/.installed-dev java chromium js-clients
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not cluster" --record-module-seconds

# PNGs of every dashboard page, en and ca, desktop and 375 px, in screenshots/ (git-ignored). Uses
# SCREENSHOT_WORKSPACE when set, else builds a small demo shop in screenshots/workspace once.
SCREENSHOT_WORKSPACE ?=
screenshots: $(VENV)/.installed-dev chromium
	$(BIN)/python scripts/dash_screenshots.py --out screenshots $(if $(SCREENSHOT_WORKSPACE),--workspace $(SCREENSHOT_WORKSPACE))

# p50/p95 of each dashboard page's data request on the 20k demo (built once in /tmp/centric-demo20k).
bench-dashboard: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/dashboard.py

# The tests on a real Spark standalone cluster (a master and two workers on localhost, started once
# by the session fixture in tests/spark_cluster.py), alone.
test-cluster: $(VENV)/.installed-dev java
	$(BIN)/python -m pytest -q -m cluster

# The anchors of benchmarks/clv.py: lifetimes 0.11.3 (archived) runs only on old numpy, pandas and
# scipy, so it lives in a venv of its own and the benchmark calls it in a subprocess.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet 'lifetimes==0.11.3' 'numpy<2' 'pandas<2.3' 'scipy<1.14' 'setuptools<81'
	touch $@

bench-venv: $(BENCH_VENV)/.installed

bench: $(VENV)/.installed-dev $(BENCH_VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/clv.py --anchor-python $(BENCH_VENV)/bin/python
	$(BIN)/python benchmarks/text.py
	$(BIN)/python benchmarks/segments.py
	$(BIN)/python benchmarks/journey.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/incremental.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) centric-workspace screenshots .pytest_cache .hypothesis tests/js/node_modules
