# Shipyard — the two commands a newcomer needs are `make demo` and `make test`.
# Both create (or reuse) .venv and install what they need; `make test` also installs the
# services the tests start (PostgreSQL and Redis from Debian packages).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
RUNTIME_STAMP := $(VENV)/.installed-runtime
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
PIP_FLAGS   := --quiet --disable-pip-version-check

.PHONY: help demo test lint typecheck imports unit services bench clean

help:
	@echo "make demo           end-to-end demo on the embedded default (SQLite + local folder)"
	@echo "make test           lint, type-check, import contracts and the whole test suite"
	@echo "make bench NAME=x   set up .venv-bench (peer tools) and run benchmarks/x.py"
	@echo "make clean          remove virtual environments and caches"

# The demo needs Shipyard and a Kafka client with a local broker binary (the demo extra); the
# tests also need the dev tools, PostgreSQL's driver, Spark and the linters.
$(RUNTIME_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) -e ".[demo]"
	@touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install $(PIP_FLAGS) -e ".[dev]"
	@touch $(STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/python examples/demo.py

services:
	@bash scripts/install-services.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP) services
	$(BIN)/python -m pytest -n 2 --durations=15

test: lint typecheck imports unit

$(BENCH_STAMP): pyproject.toml benchmarks/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install $(PIP_FLAGS) -e ".[kafka,redis,xgboost,lightgbm,onnx,torch,ci]" -r benchmarks/requirements.txt
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@test -n "$(NAME)" || { echo "usage: make bench NAME=tracking (see benchmarks/README.md)"; exit 2; }
	@test -f benchmarks/$(NAME).py || { echo "no benchmark benchmarks/$(NAME).py"; exit 2; }
	MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true $(BENCH_VENV)/bin/python benchmarks/$(NAME).py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .demo
