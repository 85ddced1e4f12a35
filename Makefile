# WCC Assurance: everyday commands. GNU make; the virtualenv lives in .venv.
#
#   make run             the demo on http://127.0.0.1:8000 (SQLite, DEBUG on), with a
#                        background worker
#   make test            lint, then the suite on SQLite, on PostgreSQL and in Chromium
#   make lint / format   ruff, checking / rewriting
#   make audit           pip-audit (known vulnerabilities, needs PyPI) and bandit
#   make loadtest        locust and fault runs on PostgreSQL + gunicorn (docs/reliability.md)
#   make bench           pages against /healthz/ (gunicorn), the PDF per page and the
#                        cross-check's kept figures, at the demo's 152 PCTs; SCALE=10000
#                        adds synthetic PCTs (docs/performance.md)
#   make two-servers     2 gunicorns + 2 workers sharing PostgreSQL and S3 (docs/deployment.md)
#   make clean           caches and generated files (keeps .venv and db.sqlite3)
#
# With CI=true, missing PostgreSQL binaries or Chromium fail `make test` instead of
# skipping their part (.ci/run sets it).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
RUFF := $(VENV)/bin/ruff
CHROMIUM := /usr/bin/chromium
# Where `make run` serves the demo.
RUN_ADDRESS ?= 127.0.0.1:8000
# Extra pytest options for every part of `make test`, e.g. `make test PYTEST_ARGS=-x`.
PYTEST_ARGS ?=
# pytest-xdist workers for the SQLite and PostgreSQL parts (the browser part runs serially).
# --dist loadfile keeps a test module on one worker, so a module-scoped fixture (the demo)
# is built once per module. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile

# Run the suite against the defaults, not whatever the calling shell points at.
TEST_ENV := env -u DATABASE_URL -u DEBUG -u DJANGO_SETTINGS_MODULE

heading = @printf '\n==== %s ====\n' $(1)

.DEFAULT_GOAL := help
.NOTPARALLEL:
.PHONY: help venv run test lint format audit loadtest bench test-lint test-sqlite test-postgres test-browser clean distclean

help:
	@sed -n '2,15p' Makefile | sed 's/^# \{0,1\}//'

# --- Virtualenv: re-installs only when a requirements file changes ---------------------
venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# --- The demo ---------------------------------------------------------------------------
# The background worker (PDF batches) runs beside the server. Ctrl-C reaches both (one
# process group); the trap stops the worker also when the server exits on its own.
run: export DEBUG := 1
run: venv
	$(PY) manage.py migrate
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo
	$(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(RUN_ADDRESS)

# --- Lint and format --------------------------------------------------------------------
lint: venv
	$(RUFF) check .
	$(RUFF) format --check .

format: venv
	$(RUFF) format .
	$(RUFF) check --fix .

# --- Security audit (not part of `make test`: pip-audit needs PyPI's advisory data) ------
# pip-audit checks every package installed in the virtualenv (what requirements*.txt
# resolved to); --strict fails when a package could not be audited, rather than passing
# quietly. bandit reports medium and high findings; each accepted one carries a `# nosec`
# comment saying why (settings in pyproject.toml).
audit: venv
	$(call heading,"Audit 1/2: pip-audit (known vulnerabilities of installed packages)")
	$(VENV)/bin/pip-audit --strict --progress-spinner off
	$(call heading,"Audit 2/2: bandit (medium and high findings)")
	$(VENV)/bin/bandit -c pyproject.toml -r . -ll -q

# --- Load and fault runs (not part of `make test`; docs/reliability.md) ------------------
# Each run starts its own PostgreSQL cluster and gunicorn on 127.0.0.1; bounded in users,
# time and requests. LOADTEST_ARGS passes options, e.g. LOADTEST_ARGS="load --users 50".
LOADTEST_ARGS ?=

loadtest: venv
	$(PY) -m pip install --quiet -r loadtest/requirements.txt
	$(TEST_ENV) $(PY) loadtest/run.py $(LOADTEST_ARGS)

# --- Benchmarks (not part of `make test`; docs/performance.md) ---------------------------
# They print figures and assert nothing about speed. The database is prepared once per
# scale in BENCH_DIR and reused (the 10,000-PCT seed is slow); delete the file to rebuild
# it. BENCH_ARGS passes options to bench/pages.py, e.g. BENCH_ARGS="--repeat 50".
SCALE ?= 0
REPEAT ?= 20
BENCH_DIR ?= bench/results
BENCH_ARGS ?=

bench: venv
	mkdir -p $(BENCH_DIR)
	$(TEST_ENV) $(PY) bench/pages.py --scale $(SCALE) --repeat $(REPEAT) \
	    --db $(BENCH_DIR)/scale-$(SCALE).sqlite3 --json $(BENCH_DIR)/pages-$(SCALE).json $(BENCH_ARGS)
	$(TEST_ENV) $(PY) bench/pdf.py --repeat $(REPEAT) \
	    --db $(BENCH_DIR)/scale-$(SCALE).sqlite3 --json $(BENCH_DIR)/pdf-$(SCALE).json
	$(TEST_ENV) $(PY) bench/cross_check.py --db $(BENCH_DIR)/scale-$(SCALE).sqlite3
	$(TEST_ENV) $(PY) bench/shared_figures.py --db $(BENCH_DIR)/scale-$(SCALE).sqlite3

# --- Two servers (not part of `make test`; docs/deployment.md) -------------------------
# Two gunicorn servers and two db_workers sharing a throw-away PostgreSQL and moto's S3
# server on 127.0.0.1: a batch shared by the workers, a session and an evidence file
# across the servers, and the batch time with one worker and with two.
.PHONY: two-servers
two-servers: venv
	$(TEST_ENV) $(PY) deploy/two_servers.py

# --- Tests ------------------------------------------------------------------------------
# Every part runs even when an earlier one fails, so one run shows all problems; the exit
# status is non-zero if any part failed. Each part's duration is printed at the end
# (docs/testing.md records the figures measured on the project's 2-core machines).
TEST_PARTS := test-lint test-sqlite test-postgres test-browser

test: venv
	@start=$$(date +%s); failed=""; summary=""; \
	for part in $(TEST_PARTS); do \
	    t=$$(date +%s); result=ok; \
	    $(MAKE) --no-print-directory $$part || { result=FAILED; failed="$$failed $$part"; }; \
	    summary="$$summary$$(printf '  %-14s %5ss  %s' $$part $$(( $$(date +%s) - t )) $$result)\n"; \
	done; \
	printf '\n==== make test: duration of each part ====\n'; \
	printf "$$summary"; \
	printf '  %-14s %5ss\n' total $$(( $$(date +%s) - start )); \
	if [ -n "$$failed" ]; then \
	    printf '\n==== make test: FAILED:%s (see the parts above) ====\n' "$$failed" >&2; exit 1; \
	fi; \
	printf '\n==== make test: all parts passed ====\n'

test-lint: venv
	$(call heading,"1/4 Lint: ruff check and ruff format --check")
	$(RUFF) check .
	$(RUFF) format --check .

test-sqlite: venv
	$(call heading,"2/4 Tests on SQLite (all but browser tests)")
	$(TEST_ENV) $(PYTEST) -m "not browser" --create-db $(PARALLEL) $(PYTEST_ARGS)

# pg_virtualenv (Debian's postgresql-common) starts a throw-away cluster, runs the command
# with PGHOST/PGPORT/PGUSER/PGPASSWORD set and drops the cluster afterwards. PGHOST is
# "localhost" when run as root; a socket directory is percent-encoded for the URL.
test-postgres: venv
	$(call heading,"3/4 Tests on PostgreSQL (throw-away cluster via pg_virtualenv)")
	@if ! command -v pg_virtualenv >/dev/null 2>&1 \
	    || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	    if [ "$${CI:-}" = true ]; then \
	        echo "ERROR: PostgreSQL is not installed (need pg_virtualenv and /usr/lib/postgresql/*/bin/postgres); install postgresql and postgresql-common." >&2; \
	        exit 1; \
	    fi; \
	    echo "SKIPPED: PostgreSQL is not installed (apt-get install postgresql postgresql-common); CI=true makes this an error."; \
	    exit 0; \
	fi; \
	for conf in /etc/postgresql/*/regress; do \
	    [ -f "$$conf/.by_pg_virtualenv" ] || continue; \
	    v=$$(basename $$(dirname "$$conf")); \
	    if pg_lsclusters -h "$$v" regress 2>/dev/null | grep -q online; then \
	        echo "ERROR: a throw-away cluster $$v/regress is running (another make test?); wait for it or stop it with: pg_dropcluster --stop $$v regress" >&2; \
	        exit 1; \
	    fi; \
	    echo "Dropping the stopped throw-away cluster $$v/regress that an interrupted run left behind"; \
	    rm -f "$$conf/.by_pg_virtualenv"; \
	    pg_dropcluster "$$v" regress || exit 1; \
	done; \
	$(TEST_ENV) pg_virtualenv sh -c ' \
	    host=$$PGHOST; \
	    case $$host in /*) host=$$(printf %s "$$host" | sed "s,/,%2F,g");; esac; \
	    export DATABASE_URL="postgres://$$PGUSER:$$PGPASSWORD@$$host:$$PGPORT/postgres"; \
	    exec "$$@"' sh $(PYTEST) -m "not browser" --create-db $(PARALLEL) $(PYTEST_ARGS)

# Exit status 5 means "no tests collected": an error here, since browser tests exist.
test-browser: venv
	$(call heading,"4/4 Browser tests (Playwright driving $(CHROMIUM))")
	@if [ ! -x $(CHROMIUM) ]; then \
	    if [ "$${CI:-}" = true ]; then \
	        echo "ERROR: $(CHROMIUM) is missing; install it with: apt-get install chromium" >&2; \
	        exit 1; \
	    fi; \
	    echo "SKIPPED: $(CHROMIUM) is missing (apt-get install chromium); CI=true makes this an error."; \
	    exit 0; \
	fi; \
	status=0; $(TEST_ENV) $(PYTEST) -m browser --create-db $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "ERROR: no browser tests were collected." >&2; fi; \
	exit $$status

# --- Housekeeping -----------------------------------------------------------------------
clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles test-results

distclean: clean
	rm -rf $(VENV)
