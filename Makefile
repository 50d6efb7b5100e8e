# Two commands for a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
DB     ?= data/kpi.duckdb
PORT   ?= 8501
ADDRESS ?= localhost

.PHONY: run test test-fast lint setup db bench plan-workbook clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 以上が必要です")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

# Created once with the fictional sample actuals (rolling the sample back later sticks).
$(DB): | $(STAMP)
	$(BIN)/python -m etl build --plan data/plan.xlsx --sample --db $(DB)

db: $(DB)

# `build` again on every start: it picks up an edited plan.xlsx and writes nothing otherwise.
run: $(STAMP) $(DB)
	$(BIN)/python -m etl build --plan data/plan.xlsx --db $(DB)
	$(BIN)/python -m ui.launch --server.port $(PORT) --server.address $(ADDRESS)

# CI runs `make test`: the checks first, then every test (browser tests included).
test: lint
	$(BIN)/python -m pytest

# The quick loop while working: everything but the real-browser tests, no lint.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser"

# Style, format, types (pyproject.toml [tool.mypy]) and layers ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/lint-imports --no-logo

bench: $(STAMP)
	$(BIN)/python -m bench

# Regenerate data/plan.xlsx from the reviewed transcription data/source/plan.toml.
plan-workbook: $(STAMP)
	$(BIN)/python -m etl plan-workbook --source data/source/plan.toml --out data/plan.xlsx

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
