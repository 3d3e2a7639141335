# Every target sets up what it needs: a local virtualenv (.venv) and, for tests,
# the real helm and kubectl in .tools/bin (scripts/install-test-tools).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all venv tools demo test lint bench chart clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

venv: $(STAMP)

tools: $(STAMP)
	scripts/install-test-tools

demo: $(STAMP)
	scripts/demo

test: $(STAMP) tools
	PATH="$(CURDIR)/.tools/bin:$$PATH" $(BIN)/pytest
	$(MAKE) --no-print-directory lint

lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP) tools
	PATH="$(CURDIR)/.tools/bin:$$PATH" $(BIN)/python -m benchmarks

chart: $(STAMP)
	$(BIN)/nim-gitops chart -o charts/nim-gitops

clean:
	rm -rf $(VENV) .tools dist build demo-out
