# Two commands do all the set-up: `make run` and `make test`. Each creates and fills .venv on
# first use, and again whenever what it installs from changes. `make run` installs only what
# running the bot needs; `make test` adds the test, lint and benchmark tools.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check
# What an install is made from: a change to any of these installs again.
INSTALL_INPUTS := pyproject.toml

.PHONY: run install test lint bench

# A current pip: the one Python bundles takes a fifth more CPU to install the same packages.
$(BIN)/python:
	@echo "Creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) --quiet --upgrade pip

# The bot's runtime dependencies only; most of the time goes to downloading numpy, scipy and
# wordfreq's word lists.
$(BIN)/.installed: $(INSTALL_INPUTS) | $(BIN)/python
	@echo "Installing what the bot needs into $(VENV): about 375 MB, a minute or two the first time..."
	$(PIP) -e .
	@touch $@
	@echo "Installed."

# Everything, for developers and CI: the bot's dependencies and the tools (pyproject's `dev`).
$(BIN)/.installed-dev: $(INSTALL_INPUTS) | $(BIN)/python
	@echo "Installing the bot and the test, lint and benchmark tools into $(VENV): about 490 MB, a minute or two the first time..."
	$(PIP) -e '.[dev]'
	@touch $(BIN)/.installed $@

run: $(BIN)/.installed
	@$(BIN)/python -m bot

# What `run` installs, without running (for a service manager to run the bot: deploy/).
install: $(BIN)/.installed

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(BIN)/.installed-dev
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/question_log.py
