# Two commands set up and run everything: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST

.PHONY: setup run test test-fast lint bench

setup:
	@bash scripts/setup.sh

run: setup
	$(BIN)/skywatch up

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not e2e and not browser"

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/telemetry_fanout.py
