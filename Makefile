# Two self-sufficient entry points: `make run` and `make test`. Each creates the virtual
# environment in .venv and installs what is missing before doing its job.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.foodvision-installed

# Test data and offline weights sit beside the repository in this project's CI; override
# FOODVISION_TEST_DATA / FOODVISION_WEIGHTS_DIR to point elsewhere.
FOODVISION_TEST_DATA ?= $(abspath ../shared/datasets/food101-mini5)
FOODVISION_WEIGHTS_DIR ?= $(abspath ../shared/weights)
export FOODVISION_TEST_DATA FOODVISION_WEIGHTS_DIR

.PHONY: install run test lint docs bench-pipeline check-platforms clean

$(STAMP): pyproject.toml constraints/test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints/test.txt -e ".[dev,torch]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/foodvision study --data synthetic --profile quick --out runs/study

test: $(STAMP) docs
	$(BIN)/ruff check src tests benchmarks examples docs scripts
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(BIN)/python -m pytest -q

# The documentation site (mkdocs.yml, docs/) built into site/; --strict fails on a broken
# link, a missing page or an API entry that does not resolve.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples docs scripts
	$(BIN)/ruff format --check src tests benchmarks examples docs scripts

bench-pipeline: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py --data $(FOODVISION_TEST_DATA)

# The wheel's dependencies resolve to binary wheels on macOS arm64 and Linux aarch64.
check-platforms: $(STAMP)
	$(BIN)/python scripts/check_platforms.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site
