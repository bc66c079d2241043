# The two commands the README names: `make demo` and `make test`.
# Both set up .venv on a fresh machine; nothing here needs an account or a network
# beyond the package registry used by pip.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Test-only reference packages installed without their dependencies: the
# official CVM client and tccli would otherwise pull in the whole official SDK.
NODEPS := tencentcloud-sdk-python-cvm==3.1.178 tccli==3.1.189.1

.PHONY: test demo bench lint typecheck unit quick sweep clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,aio]'
	$(PY) -m pip install --quiet --no-deps $(NODEPS)
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check tcfunc tests examples
	$(VENV)/bin/ruff format --check tcfunc tests examples

typecheck: $(STAMP)
	$(VENV)/bin/mypy tcfunc

# Everything but the sweeps over all ~300 tccli services (about 20 minutes: make sweep).
unit: $(STAMP)
	$(PY) -m pytest -q -m "not sweep"

# The quick run while working: no slow tests either.
quick: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not sweep"

sweep: $(STAMP)
	$(PY) -m pytest -q -m sweep

test: lint typecheck unit

demo: $(STAMP)
	$(PY) examples/demo.py

bench: $(STAMP)
	$(PY) tests/benchmarks/run.py $(NAME)

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
