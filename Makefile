# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# The interpreter the venv is made from: the system's python3 when it is 3.11+ and can make a venv, else
# the first python3 on PATH; `make PYTHON=...` chooses. Distributions build their Python with PGO and LTO,
# pyenv's default build has neither: on this machine its pure-Python work (most of a sync's CPU, in
# the hub and in the sandbox stores) ran ~12% slower (README, "Benchmarks").
SYSTEM_PYTHON := /usr/bin/python3
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell $(SYSTEM_PYTHON) -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $(SYSTEM_PYTHON) || echo python3)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ledgerlink demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/api_baseline.py

serve: $(STAMP)
	$(BIN)/ledgerlink serve

clean:
	rm -rf $(VENV) .ledgerlink-test .pytest_cache
