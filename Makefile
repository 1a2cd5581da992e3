# bayesgrok: everything a fresh clone needs is set up by these targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow lint setup clean docs

setup: $(STAMP)

# (Re)install when the venv is missing or the dependency pins change. pip compiles every
# module it installs one file at a time; compileall does the same on every core: install
# 93 s against 109 s, the same 13,936 .pyc files (2026-12-06, 2 cores). The few files that
# do not compile on this Python (torch ships some in Python 3.12 syntax) are skipped, as
# pip skips them. Not --no-compile alone: with PYTHONDONTWRITEBYTECODE set (as here),
# every process would compile torch again (the suite took 444 s).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt -e ".[test]"
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1 || true
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bayesgrok run studies/quickstart.toml --out results/quickstart

# both cores (pytest-xdist); JAX's persistent compilation cache is shared by the workers
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(or $(TEST_WORKERS),2)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# the documentation site (docs/_build/html/index.html), warnings as errors;
# `make docs GALLERY=0` skips running the gallery's examples (CI does)
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt -e ".[test,docs]"
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1 || true
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	BAYESGROK_DOCS_GALLERY=$(or $(GALLERY),1) $(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check bayesgrok tests benchmarks docs

clean:
	rm -rf $(VENV) results .pytest_cache docs/_build docs/api docs/auto_examples
