# The README's commands. A fresh machine needs only Python 3.11.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint clean distributed-test

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## run: the whole desk in one process (embedded mode) on http://127.0.0.1:$${EXECDESK_PORT:-8000}
run: $(STAMP)
	$(PY) manage.py rundesk

## test: the whole suite (CI runs it with PostgreSQL and Redis through .ci/run)
test: $(DEVSTAMP)
	$(PY) -m pytest

## lint: ruff on the code, tests and benches; mypy (the domain strictly, the desk through django-stubs)
lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check execdesk tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
