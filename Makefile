# bayesgrok: everything a fresh clone needs is set up by these targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow lint setup clean

setup: $(STAMP)

# (Re)install when the venv is missing or the dependency pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bayesgrok run studies/quickstart.toml --out results/quickstart

# both cores (pytest-xdist); JAX's persistent compilation cache is shared by the workers
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(or $(TEST_WORKERS),2)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check bayesgrok tests benchmarks

clean:
	rm -rf $(VENV) results .pytest_cache
