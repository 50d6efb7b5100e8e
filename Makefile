# Two commands for a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
DB     ?= data/kpi.duckdb
PORT   ?= 8501
ADDRESS ?= localhost

.PHONY: run test lint setup db bench plan-workbook clean

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

test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench

# Regenerate data/plan.xlsx from the reviewed transcription data/source/plan.toml.
plan-workbook: $(STAMP)
	$(BIN)/python -m etl plan-workbook --source data/source/plan.toml --out data/plan.xlsx

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
