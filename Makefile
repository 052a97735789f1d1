# shuzheng — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
WORKERS ?= 1
# granian threads per worker (0: granian's own default); why 1: docs/benchmarks.md, HTTP baseline
THREADS ?= 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo serve install test test-pg lint format bench messages catalogues vendor clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

catalogues: install
	$(PY) -m shuzheng.foundation.web.catalogues

# Create the venv, migrate SQLite under var/, load the Zhuhai demo data, print the demo
# accounts and serve on http://127.0.0.1:$(PORT) — no other service needed.
demo: catalogues
	$(PY) -m shuzheng.config.keyfile
	$(PY) -m shuzheng.foundation.trust.keys init
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py demo
	@echo ""
	@echo "shuzheng is serving on http://127.0.0.1:$(PORT)/  (workbench /workbench/, ops /ops/, API /api/docs/)"
	$(MAKE) --no-print-directory serve

serve:
	$(VENV)/bin/granian --interface wsgi --host 127.0.0.1 --port $(PORT) --workers $(WORKERS) \
		$(if $(filter-out 0,$(THREADS)),--blocking-threads $(THREADS)) \
		--log-level warning shuzheng.config.wsgi:application

# The suite runs in TEST_WORKERS processes (pytest-xdist, one test database each; `auto`: one
# per core, 0: in this process). `--dist load` hands tests out in collection order, so every
# worker keeps pytest-django's order: the rolled-back tests before those that flush the database.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist load

# The whole suite on SQLite (browser tests skip with a notice where no chromium exists).
test: catalogues
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# The whole suite against PostgreSQL (DATABASE_URL, default the local server).
test-pg: catalogues
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shuzheng} \
		$(PY) -m pytest --create-db $(XDIST) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=lint $(PY) manage.py makemigrations --check --dry-run
	SECRET_KEY=lint $(PY) manage.py check --deploy --fail-level ERROR

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (results: docs/benchmarks.md). Needs `wrk` (Debian package) for HTTP load.
bench: install
	$(PY) bench/http_baseline.py
	$(PY) bench/hotline_classify.py
	$(PY) bench/hotline_intake.py
	$(PY) bench/hotline_list.py --repeat 30

# Regenerate message catalogues after changing UI strings (needs GNU gettext).
messages: install
	cd src/shuzheng && ../../$(PY) ../../manage.py makemessages -l zh_Hant -l pt -l en --no-obsolete
	$(PY) tools/translate_hant.py

clean:
	rm -rf $(VENV) var
