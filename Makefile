# Witness Bench — two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DIST_STAMP := $(VENV)/.dist-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck win-deps bench setup screenshots dist dist-test clean

$(STAMP): pyproject.toml scripts/setup.sh
	@bash scripts/setup.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v 'is ignored' || true
	@$(PY) -m pip install -q -e '.[dev]' 2>&1 | grep -v 'is ignored' || true
	@$(PY) -c 'import bench_app, serial, PySide6, pyqtgraph, reportlab, pyhanko, sqlite_utils'
	@touch $(STAMP)

setup: $(STAMP)

# Headless: runs the whole story and exits. `make demo DEMO_ARGS=--gui` opens the window after.
DEMO_ARGS ?=
demo: $(STAMP)
	$(PY) -m bench_app demo $(DEMO_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# mypy settings live in pyproject.toml ([tool.mypy]: drivers/, bench_app/ and ui/).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The type checker and the tests both run (a typing error does not hide the test results);
# make test fails if either fails.
test: $(STAMP) lint
	@status=0; $(VENV)/bin/mypy || status=$$?; \
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 || status=$$?; \
	exit $$status

# Every dependency (with the dist extra) must have a Windows wheel: resolve them for win_amd64.
win-deps: $(STAMP)
	@bash scripts/win_deps.sh

bench: $(STAMP)
	$(PY) bench/run_all.py

screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1366x768x24" $(PY) scripts/screenshots.py

$(DIST_STAMP): $(STAMP)
	@$(PY) -m pip install -q -e '.[dist]' 2>&1 | grep -v 'is ignored' || true
	@touch $(DIST_STAMP)

dist: $(DIST_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN build.spec

dist-test: dist
	scripts/dist_test.sh dist/witness-bench

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
