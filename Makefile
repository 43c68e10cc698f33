# Two commands do all the set-up: `make run` and `make test`. Each creates and fills
# .venv on first use (and again whenever pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m bot

lint: $(BIN)/.installed
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/load.py
