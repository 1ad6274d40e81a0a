# Steward: `make run` sets everything up and runs the product on the embedded default;
# `make test` runs the suite on SQLite and on the PostgreSQL server at 127.0.0.1:5432.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STEWARD := $(BIN)/steward

export STEWARD_HOME ?= $(CURDIR)/.steward
export STEWARD_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run ui test lint check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(STEWARD) db upgrade
	$(STEWARD) demo
	$(STEWARD) run ingest --all
	$(STEWARD) run documents --all
	$(STEWARD) docs list --tenant acme-appraisals --status failed
	$(STEWARD) docs search --tenant acme-appraisals "opinion of market value" --limit 3
	$(STEWARD) run overview --all
	$(STEWARD) run cycle --all
	$(STEWARD) docs answers --tenant acme-appraisals --limit 3
	$(STEWARD) warehouse build --last 90
	$(STEWARD) warehouse status
	$(STEWARD) insights build
	$(STEWARD) insights show --tenant acme-appraisals --tenant harbor-inspections --tenant summit-valuations

ui: install
	$(STEWARD) ui

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

check: install
	$(BIN)/python -c "from pipelines.instance import prepare_dagster_home; prepare_dagster_home()"
	DAGSTER_HOME=$(STEWARD_HOME)/dagster $(BIN)/dagster definitions validate -w workspace.yaml

# Two workers, each taking whole files (module fixtures stay in one process): 7 minutes here
# instead of 10-13 in one process, which spent much of its time waiting on subprocesses.
test: install lint
	$(BIN)/pytest -q -n 2 --dist loadfile

bench: install
	$(BIN)/python bench/datagen.py
	$(BIN)/python -m bench.ingest_imap
	$(BIN)/python -m bench.policy
	$(BIN)/python -m bench.cycle --production
	$(BIN)/python -m bench.production
	$(BIN)/python -m bench.executor
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.documents
	$(BIN)/python -m bench.warehouse

clean:
	rm -rf .steward
