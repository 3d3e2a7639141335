# Every target sets up what it needs: a local virtualenv (.venv) installed from the committed,
# hash-checked lock (requirements.lock) and, for tests, the real helm and kubectl in .tools/bin
# (scripts/install-test-tools). `make lock` refreshes the lock on purpose (and the runtime-only
# lock the Containerfile installs, requirements-runtime.lock, with the same pins); `make
# test-latest` runs the suite on the newest versions pyproject.toml allows, in a venv of its own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
RUNTIME_LOCK := requirements-runtime.lock
UV_VERSION := 0.13.9
UV_STAMP := .tools/uv/.installed-$(UV_VERSION)
LATEST := .venv-latest

.PHONY: all venv tools demo test test-latest lint bench chart lock runtime-lock clean

all: test

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

venv: $(STAMP)

tools: $(STAMP)
	scripts/install-test-tools

demo: $(STAMP)
	scripts/demo

# The last line says what ran of the kubeconform checks (tests/conftest.py writes it): the
# version and count where kubeconform is found ($$KUBECONFORM, else PATH), else how many were
# skipped, every one of them also checked by nim-gitops validate.
KUBECONFORM_SUMMARY := $(VENV)/kubeconform-summary.txt

test: $(STAMP) tools
	rm -f $(KUBECONFORM_SUMMARY)
	PATH="$(CURDIR)/.tools/bin:$$PATH" KUBECONFORM_SUMMARY="$(CURDIR)/$(KUBECONFORM_SUMMARY)" \
	  $(BIN)/pytest
	$(MAKE) --no-print-directory lint
	@cat $(KUBECONFORM_SUMMARY)

# The newest allowed versions: a breaking upstream release fails here, by name, not in CI.
test-latest: tools
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade pip
	$(LATEST)/bin/pip install --quiet --upgrade -e '.[test,dev]' -r requirements-build.in
	$(LATEST)/bin/pip freeze --exclude-editable
	PATH="$(CURDIR)/.tools/bin:$$PATH" $(LATEST)/bin/pytest
	$(LATEST)/bin/ruff check generator tests benchmarks scripts
	$(LATEST)/bin/mypy

lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP) tools
	PATH="$(CURDIR)/.tools/bin:$$PATH" $(BIN)/python -m benchmarks

chart: $(STAMP)
	$(BIN)/nim-gitops chart -o charts/nim-gitops

# Refresh the lock to the newest versions pyproject.toml allows (Python 3.10 and later, any OS).
lock: $(UV_STAMP)
	.tools/uv/bin/uv pip compile pyproject.toml requirements-build.in --extra test --extra dev \
	  --generate-hashes --universal --python-version 3.10 --upgrade -o $(LOCK)
	$(MAKE) --no-print-directory runtime-lock

# What the Containerfile installs: the runtime dependencies only (no test, lint or build tools),
# at exactly the versions of $(LOCK), which constrains it (tests/test_locks.py checks both).
runtime-lock: $(UV_STAMP)
	.tools/uv/bin/uv pip compile pyproject.toml --constraint $(LOCK) \
	  --generate-hashes --universal --python-version 3.10 -o $(RUNTIME_LOCK)

# uv itself, pinned; installed once per version
$(UV_STAMP):
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/pip install --quiet uv==$(UV_VERSION)
	touch $@

clean:
	rm -rf $(VENV) $(LATEST) .tools dist build demo-out
