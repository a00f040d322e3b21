# Two commands matter: `make run` (set up and serve the whole platform on the
# embedded default) and `make test` (set up and pass the tests).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# pyenv machines ship a python3.12 shim that fails unless 3.12 is selected, so
# try the real interpreters too.
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do $$p -c 'import sys; assert sys.version_info[:2]==(3,12)' >/dev/null 2>&1 && { echo $$p; break; }; done)
PORT ?= 8000
export DATA_DIR ?= $(CURDIR)/var

.PHONY: run test venv venv-test lint bench system-deps clean

# `make run` installs what running needs (no test or benchmark tools); `make test` adds the
# test extra. The vendored front-end assets are committed: no npm at run time.
$(VENV)/.installed: pyproject.toml Makefile
	@test -n "$(PYTHON312)" || { echo "python3.12 not found: install Python 3.12" >&2; exit 1; }
	test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

venv-test: $(VENV)/.installed-test

system-deps:
	bash scripts/system-deps.sh

run: venv
	mkdir -p "$(DATA_DIR)"
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages_py
	$(PY) manage.py seed_demo
	$(PY) manage.py runplatform --port $(PORT)

test: venv-test system-deps
	$(PY) manage.py compilemessages_py
	$(VENV)/bin/ruff check .
	DATA_DIR=$(CURDIR)/var/test $(VENV)/bin/mypy
	DATA_DIR=$(CURDIR)/var/test $(PY) -m pytest $(PYTEST_ARGS)

lint: venv-test
	$(VENV)/bin/ruff check .
	DATA_DIR=$(CURDIR)/var/test $(VENV)/bin/mypy

bench: venv-test system-deps
	@# the reference PACS; a fresh Debian install may start its service: stop that one
	fresh=$$(dpkg -s orthanc >/dev/null 2>&1 || echo yes); \
	EXTRA_DEBIAN_PACKAGES="orthanc orthanc-dicomweb" bash scripts/system-deps.sh && \
	if [ -n "$$fresh" ]; then service orthanc stop >/dev/null 2>&1 || true; fi
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) -m load_tests.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/test
