# Quick start: `make demo` runs the example diagnostic, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gender-diag run

test: $(STAMP)
	$(BIN)/ruff check gender_diag tests benchmarks
	$(BIN)/ruff format --check gender_diag tests benchmarks
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff check --fix gender_diag tests benchmarks
	$(BIN)/ruff format gender_diag tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/estimation.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/coverage.py

clean:
	rm -rf $(VENV) outputs/*/
