# The two Quick-start commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

UPSTREAM := tests/upstream

.PHONY: demo run test lint typecheck unit upstream bench clean constraints

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pointsbot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

demo: $(STAMP)  ## replay a month in the sample community
	$(BIN)/pointsbot demo

run: $(STAMP)  ## chat with the bot on the console (SQLite in data/)
	$(BIN)/pointsbot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) upstream  ## the tests alone, without lint and type checks
	$(BIN)/pytest

# The upstream Wechaty gateway (npm, pinned by package-lock.json) for the WeChat adapter's test.
$(UPSTREAM)/node_modules/.installed: $(UPSTREAM)/package.json $(UPSTREAM)/package-lock.json
	npm ci --prefix $(UPSTREAM) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

upstream:  ## install the upstream WeChat gateway for its test (skipped where Node.js is absent)
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		$(MAKE) -s --no-print-directory $(UPSTREAM)/node_modules/.installed; \
	else echo "Node.js not found: the test against the upstream WeChat gateway will be skipped"; fi

test: lint typecheck unit  ## everything CI runs

bench: $(STAMP)  ## how fast the bot answers a whole district (a few minutes); writes bench/results/
	$(BIN)/python -m bench

constraints:  ## after changing dependencies in pyproject.toml: pin what the venv resolved
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(UPSTREAM)/node_modules
