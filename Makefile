# The README's two commands: `make run` and `make test`. CI calls `make test` too.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: install run test lint demo bench clean

# (Re)create the virtual environment when it is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -c "from cx.demo import ensure_demo; print('demo warehouse:', ensure_demo())"
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT)

lint: install
	$(VENV)/bin/ruff check .

# Everything but the browser tests on every core (each test file on one worker, in order, sharing its module
# fixtures), then the browser tests alone, one at a time (they share one served app; beside other work their
# waits would race).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: install lint
	$(VENV)/bin/pytest -n $(JOBS) --dist loadfile --ignore=tests/e2e
	$(VENV)/bin/pytest tests/e2e

demo: install
	$(VENV)/bin/cx demo

bench: install
	PYTHONPATH=. $(PY) bench/bench_meeting.py --repeats 5 --think 3

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results data/*.duckdb
