# Two commands set up and run everything: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST

.PHONY: setup run test test-fast lint bench train-thermal-person train-thermal-person-mlp \
	train-rgb-fire-smoke

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
	for b in dispatch planning perception perception_sim sim_speed sim_render telemetry_fanout \
		console_load ros_pipeline uplink_preview full_path console_latency; do \
		$(BIN)/python bench/$$b.py || exit 1; done

# Retrain the shipped perception models (CI never does); data from the shared fixtures.
FIXTURES ?= ../shared/fixtures/perception

train-thermal-person: setup
	$(BIN)/pip install -q --disable-pip-version-check -e '.[train]'
	nice -n 10 $(BIN)/python scripts/train_thermal_person_cnn.py --train $(FIXTURES)/hituav_train \
		--dev $(FIXTURES)/hituav_dev --out models/thermal_person_cnn.onnx

train-thermal-person-mlp: setup
	$(BIN)/python scripts/train_thermal_person.py --train $(FIXTURES)/hituav_train \
		--dev $(FIXTURES)/hituav_dev --out models/thermal_person_mlp.onnx

train-rgb-fire-smoke: setup
	$(BIN)/python scripts/train_rgb_fire_smoke.py --data $(FIXTURES)/fire_dev \
		--out models/rgb_fire_smoke_mlp.onnx
