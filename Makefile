# LaundryConnect harness. `make help` lists the commands.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
OUT     ?= reports/out
PROFILE ?= embedded
WORKERS ?= 4
# TARGET=<url> points the suites at a running backend instead of the reference stack;
# SANDBOX=<url> names its sandbox; ARGS adds pytest arguments (e.g. ARGS="-k login").
# BENCH_ARGS adds options of load/bench_upload.py (e.g. BENCH_ARGS="--uploads 20").
TARGET  ?=
SANDBOX ?=
ARGS    ?=
BENCH_ARGS ?=

TARGET_ARGS := $(if $(TARGET),--base-url $(TARGET)) $(if $(SANDBOX),--sandbox-url $(SANDBOX))
SUITE_ARGS  := -n $(WORKERS) --dist loadfile $(TARGET_ARGS) $(ARGS)

.PHONY: help install e2e test lint unit suites suites-scaled serve serve-scaled bench-upload \
	report clean

help: ## list the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed ## create .venv and install every dependency

e2e: install ## run every suite against the reference stack (or TARGET=<url>), write reports/out, print the summary
	@mkdir -p $(OUT)
	@start=$$(date +%s); \
	$(PY) -m pytest suites $(SUITE_ARGS) --out-dir $(OUT) --alluredir $(OUT)/allure-results \
		--clean-alluredir --junitxml $(OUT)/junit.xml; status=$$?; \
	$(PY) -m reports.summary --out-dir $(OUT) --wall $$(( $$(date +%s) - start )); \
	exit $$status

test: install lint unit suites suites-scaled ## what CI runs: lint, unit tests, suites on both profiles

lint: install ## ruff over the whole project
	$(VENV)/bin/ruff check .

unit: install ## the harness's own tests and the reference backend's unit tests
	$(PY) -m pytest tests -n 2 --junitxml $(OUT)/unit/junit-harness.xml
	$(PY) -m pytest reference/tests -p pytest_django --ds=reference.config.settings \
		--junitxml $(OUT)/unit/junit-reference.xml

suites: install ## the suites against the embedded reference stack
	$(PY) -m pytest suites $(SUITE_ARGS) --out-dir $(OUT)/embedded \
		--alluredir $(OUT)/embedded/allure-results --clean-alluredir \
		--junitxml $(OUT)/embedded/junit.xml

suites-scaled: install ## the suites against the scaled stack (PostgreSQL, Redis, several workers)
	LC_PROFILE=scaled $(PY) -m pytest suites $(SUITE_ARGS) --out-dir $(OUT)/scaled \
		--alluredir $(OUT)/scaled/allure-results --clean-alluredir \
		--junitxml $(OUT)/scaled/junit.xml

serve: install ## run the reference stack in the foreground (REST+WS :8000, sandbox :8900)
	$(PY) -m reference.stack serve --profile $(PROFILE)

serve-scaled: ## as serve, with the scaled profile
	$(MAKE) serve PROFILE=scaled

bench-upload: install ## uploads/s and backend peak memory of the stack (PROFILE="embedded scaled" for both)
	$(PY) load/bench_upload.py --profile $(PROFILE) --out $(OUT)/bench/upload.json $(BENCH_ARGS)

reports/.tools/node_modules/.bin/allure:
	npm install --prefix reports/.tools --no-audit --no-fund --silent allure@3

report: reports/.tools/node_modules/.bin/allure ## build the Allure HTML report of the last e2e run
	@test -d $(OUT)/allure-results || { echo "no $(OUT)/allure-results: run make e2e first"; exit 2; }
	reports/.tools/node_modules/.bin/allure generate $(OUT)/allure-results -o $(OUT)/allure-report \
		--name "LaundryConnect e2e"
	@echo "Allure report: $(abspath $(OUT)/allure-report)/index.html"
	@echo "it loads its data over HTTP: make report-open serves it (file:// shows a spinner)"

report-open: reports/.tools/node_modules/.bin/allure ## serve the Allure report built by make report
	reports/.tools/node_modules/.bin/allure open $(OUT)/allure-report

clean: ## remove generated reports and logs (keeps .venv)
	rm -rf $(OUT)
