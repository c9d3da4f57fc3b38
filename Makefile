# klantladder — two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test unit notebooks lab bench clean venv bytecode

$(STAMP): pyproject.toml setup.py klantladder/_native.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The package's bytecode, written ahead: where the environment turns off writing it
# (PYTHONDONTWRITEBYTECODE, common in containers) every process, kernel and batch worker would
# otherwise compile the package from source at each start. Up to date, this takes a fraction of a second.
bytecode: $(STAMP)
	@$(PY) -m compileall -q klantladder

## make demo: build the demo clients and write their reports into reports/demo/
demo: bytecode
	$(VENV)/bin/klantladder demo --out reports/demo

## make test: the whole test suite (unit and end-to-end tests, then the notebooks)
test: unit notebooks

unit: bytecode
	$(PY) -m pytest -q

# The notebook checks run as their own step so the nbval plugin does not slow every unit run.
notebooks: bytecode
	$(PY) -m pytest -q -o addopts="" -p no:cacheprovider --nbval-lax --nbval-current-env notebooks/

## make lab: JupyterLab (never imported by the batch runtime) in the workshop folder
lab: $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,lab]'
	cd notebooks/workshop && ../../$(VENV)/bin/jupyter lab

bench: bytecode
	$(PY) benchmarks/scoring.py
	$(PY) benchmarks/coverage.py
	$(PY) benchmarks/channel_test.py
	$(PY) benchmarks/batch.py
	$(PY) benchmarks/pdf.py
	$(PY) benchmarks/threads.py

clean:
	rm -rf reports/demo .pytest_cache
