# `make run` and `make test` set everything up on a fresh machine; both are safe to re-run.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint eval bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: 2.13.0 is the CPU build available locally.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m bot run

# Two workers for the tests that run one thread each (faces, fault injection, units); then the real-model tier,
# also on two workers with one encoder thread each (tests/conftest.py), a file to a worker so the built index is
# built once (tests/test_eval.py): 8.9 min against 10.7 on one worker with two threads, the same day (session 26).
# The longest files are handed out first, in the order tests/conftest.py puts them (not xdist's by test count).
# (Two OpenMP pools of two threads each on two cores ran the suite slower, not faster.)
test: install
	$(PY) -m pytest -q -n 2 -m "not model"
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m model
	# The faces once more with their state in PostgreSQL (127.0.0.1:5432; without one they skip, under CI they fail).
	SALESCOACH_TEST_FACE_STORE=postgresql $(PY) -m pytest -q -n 2 tests/faces/test_telegram*.py tests/faces/test_cli.py

lint: install
	$(VENV)/bin/ruff check bot tests

eval: install
	$(PY) -m bot eval

clean:
	rm -rf $(VENV) .pytest_cache
