# Two set-up commands on a machine that has only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-dev java bench clean

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

demo: $(VENV)/.installed
	$(BIN)/centric demo --workspace centric-workspace

test: $(VENV)/.installed-dev java
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) centric-workspace .pytest_cache .hypothesis
