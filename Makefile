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
# BENCH_ARGS adds options of the benchmark script: load/bench_upload.py for bench-upload (e.g.
# BENCH_ARGS="--uploads 20"), load/bench_load.py for bench-load (e.g. BENCH_ARGS="--budget 120"),
# load/bench_chat.py for bench-chat (e.g. BENCH_ARGS="--messages 1000"), load/bench_rest.py for
# bench-rest (e.g. BENCH_ARGS="--duration 30s --connections 16 64 256"), load/bench_burst.py for
# bench-burst (e.g. BENCH_ARGS="--runs 3 --top-ups 100").
TARGET  ?=
SANDBOX ?=
ARGS    ?=
BENCH_ARGS ?=
# CONTRACT_PROFILE=ci (bounded, the default) or deep (nightly) sizes the contract tier's
# Schemathesis run (contracts/README.md).
CONTRACT_PROFILE ?= ci
# BACKEND_COVERAGE=1 runs the reference stack's backend under coverage.py in e2e (release-check
# does by default) and writes its line and branch coverage to $(OUT)/coverage/ (backend.json,
# html/); refused with TARGET: the harness cannot measure code it does not run.
BACKEND_COVERAGE ?=

TARGET_ARGS := $(if $(TARGET),--base-url $(TARGET)) $(if $(SANDBOX),--sandbox-url $(SANDBOX))
SUITE_ARGS  := -n $(WORKERS) --dist loadfile $(TARGET_ARGS) $(ARGS)
CONTRACT_ARGS := --contract-profile $(CONTRACT_PROFILE)
E2E_ARGS := $(if $(filter 1 yes true,$(BACKEND_COVERAGE)),--backend-coverage)
# release-check judges the test coverage metric, which on the reference includes the backend's
# own coverage: on by default there (BACKEND_COVERAGE=0 leaves it out, and the metric NOT
# MEASURED); a TARGET's code the harness does not run
RELEASE_COVERAGE := $(if $(TARGET),,$(if $(filter 0 no false,$(BACKEND_COVERAGE)),,--backend-coverage))

# Load tests (load/README.md). `make load` boots the scaled stack unless PROFILE=embedded or
# TARGET=<url> SANDBOX=<url> is given; USERS, SPAWN_RATE, DURATION (90s, 2m, 1h) and SHAPE
# (steady, ramp, spike, none) shape the run; WORKERS=N on the command line runs Locust's master
# and N workers on this machine (the default 4 above is the suites' xdist count, not Locust's).
# LOAD_ARGS adds options of load/run.py (e.g. LOAD_ARGS="--decline-percent 5").
USERS      ?= 16
SPAWN_RATE ?= 4
DURATION   ?= 3m
SHAPE      ?= steady
LOAD_ARGS  ?=
LOAD_PROFILE := $(if $(filter command line environment,$(origin PROFILE)),$(PROFILE),scaled)
LOAD_WORKERS := $(if $(filter command line,$(origin WORKERS)),$(WORKERS),0)
LOAD_TARGET  := $(if $(TARGET),--target $(TARGET)) $(if $(SANDBOX),--sandbox $(SANDBOX))
BENCH_PROFILES := $(if $(filter command line environment,$(origin PROFILE)),$(PROFILE),embedded scaled)

# The release gate (reports/gate/) reads what the runs wrote under $(OUT) and writes
# $(OUT)/release/gate.html, gate.md, gate.json; GATE_ARGS adds its options (--load-dir,
# --coverage-dir, --release-dir). `make release-check` runs its load test with 32 users for 2m
# (enough journeys for the rates to be judged) unless USERS, SPAWN_RATE or DURATION are given.
GATE_ARGS ?=
GIVEN = $(filter command line environment,$(origin $(1)))
RELEASE_USERS    := $(if $(call GIVEN,USERS),$(USERS),32)
RELEASE_SPAWN    := $(if $(call GIVEN,SPAWN_RATE),$(SPAWN_RATE),8)
RELEASE_DURATION := $(if $(call GIVEN,DURATION),$(DURATION),2m)
# the suites and the contract check in one run, as e2e and release-check run them
E2E_PYTEST = $(PY) -m pytest suites contracts $(SUITE_ARGS) $(CONTRACT_ARGS) $(E2E_ARGS) \
	--out-dir $(OUT) --alluredir $(OUT)/allure-results --clean-alluredir --junitxml $(OUT)/junit.xml

.PHONY: help install e2e test lint unit suites suites-scaled contracts contracts-scaled serve \
	serve-scaled bench-upload gate release-check \
	load load-smoke bench-load bench-chat bench-rest bench-burst wrk report clean mutation

help: ## list the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed ## create .venv and install every dependency

# e2e exits with the tests' status: it has no load test, so its gate is never complete (the
# load metrics are NOT MEASURED); it prints the gate's verdict line for what it did measure.
e2e: install ## run every suite and the contract check against the reference stack (or TARGET=<url>), write reports/out, print the summary and the gate's verdict
	@mkdir -p $(OUT)
	@start=$$(date +%s); \
	$(E2E_PYTEST); \
		status=$$?; \
	$(PY) -m reports.summary --out-dir $(OUT) --wall $$(( $$(date +%s) - start )); \
	$(PY) -m reports.gate --out-dir $(OUT) --brief $(GATE_ARGS); \
	exit $$status

release-check: E2E_ARGS = $(RELEASE_COVERAGE)
release-check: install ## suites, contract check, load test and the release gate against one target (TARGET/SANDBOX or PROFILE); exits with the gate
	@mkdir -p $(OUT)
	@start=$$(date +%s); \
	LC_PROFILE=$(PROFILE) $(E2E_PYTEST); \
	$(PY) -m reports.summary --out-dir $(OUT) --wall $$(( $$(date +%s) - start )); \
	$(PY) -m load.run --profile $(PROFILE) $(LOAD_TARGET) --users $(RELEASE_USERS) \
		--spawn-rate $(RELEASE_SPAWN) --duration $(RELEASE_DURATION) --shape $(SHAPE) \
		--workers $(LOAD_WORKERS) --out-dir $(OUT)/load $(LOAD_ARGS); \
	$(PY) -m reports.gate --out-dir $(OUT) $(GATE_ARGS)

gate: install ## the release gate over what the runs wrote in reports/out: release/gate.html; exit 0 GO, 1 NO-GO, 2 not measured
	$(PY) -m reports.gate --out-dir $(OUT) $(GATE_ARGS)

test: install lint unit suites suites-scaled contracts contracts-scaled load-smoke ## what CI runs: lint, unit tests, the suites and the contract check on both stack profiles, the load smoke

# Within `make test` each contract run also counts the exchanges of the suites' run before it
# on the same profile, so its API coverage figure is that of suites and contracts together.
test: COVERAGE_WITH_SUITES = yes
# And its contract runs draw their generated cases from a fixed seed, so that CI fails on a
# regression and not on what a new draw reaches; `make contracts` explores with a fresh seed,
# printed, and CONTRACT_SEED=N replays one (contracts/README.md, "Seeds and kept cases").
test: CONTRACT_SEED = 15

lint: install ## ruff over the whole project, and the layer rules of pyproject.toml (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

unit: install ## the harness's own tests and the reference backend's unit tests
	$(PY) -m pytest tests -n 2 -m "not load" --junitxml $(OUT)/unit/junit-harness.xml
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

contracts: install ## the contract check (Schemathesis over /api/schema/, ownership matrix, mobile contract) against the embedded stack (or TARGET=); CONTRACT_PROFILE=ci|deep, CONTRACT_SEED=N
	$(PY) -m pytest contracts $(SUITE_ARGS) $(CONTRACT_ARGS) --out-dir $(OUT)/contracts \
		$(if $(CONTRACT_SEED),--contract-seed $(CONTRACT_SEED)) \
		--alluredir $(OUT)/contracts/allure-results --clean-alluredir \
		--junitxml $(OUT)/contracts/junit.xml $(if $(COVERAGE_WITH_SUITES),--coverage-with $(OUT)/embedded)

contracts-scaled: install ## as contracts, against the scaled stack
	LC_PROFILE=scaled $(PY) -m pytest contracts $(SUITE_ARGS) $(CONTRACT_ARGS) \
		$(if $(CONTRACT_SEED),--contract-seed $(CONTRACT_SEED)) \
		--out-dir $(OUT)/contracts-scaled --alluredir $(OUT)/contracts-scaled/allure-results \
		--clean-alluredir --junitxml $(OUT)/contracts-scaled/junit.xml \
		$(if $(COVERAGE_WITH_SUITES),--coverage-with $(OUT)/scaled)

# Mutation testing (mutation/README.md): cosmic-ray mutates the reference's services and
# selectors, one mutant at a time, in a copy of the tree, and runs the suites that exercise each
# module against every mutant, each run booting a stack of its own. More than a day for the
# whole backend, so not part of `make test`; its tool is the `mutation` extra, installed here
# only. Not mutmut: its trampolines learn which cases reach a mutant inside the pytest process,
# and the backend the suites call runs in another process, so it finds no case for any mutant.
# MUTATION_ARGS adds options of mutation/run.py (--module PATH, --limit N, --seed S,
# --operators REGEX; e.g. MUTATION_ARGS="--module reference/orders/services.py --limit 15").
MUTATION_ARGS ?=

mutation: install ## mutation testing of the reference's services and selectors, the suites as the test command (a day for all; MUTATION_ARGS="--module M --limit N"), reports/out/mutation/survivors.md
	@$(PY) -c "import cosmic_ray" 2>/dev/null || $(PY) -m pip install --quiet -e ".[mutation]"
	$(PY) -m mutation.run --out-dir $(OUT)/mutation $(MUTATION_ARGS)

serve: install ## run the reference stack in the foreground (REST+WS :8000, sandbox :8900)
	$(PY) -m stack serve --profile $(PROFILE)

serve-scaled: ## as serve, with the scaled profile: nginx (apt-get install nginx) in front of gunicorn (REST) and uvicorn (sockets), PostgreSQL, Redis
	$(MAKE) serve PROFILE=scaled

bench-upload: install ## uploads/s and backend peak memory of the stack (PROFILE="embedded scaled" for both)
	$(PY) -m load.bench_upload --profile $(PROFILE) --out $(OUT)/bench/upload.json $(BENCH_ARGS)

load: install ## Locust journeys + SLO gate against the scaled stack (PROFILE, TARGET/SANDBOX, USERS, DURATION, SHAPE, WORKERS)
	$(PY) -m load.run --profile $(LOAD_PROFILE) $(LOAD_TARGET) --users $(USERS) \
		--spawn-rate $(SPAWN_RATE) --duration $(DURATION) --shape $(SHAPE) \
		--workers $(LOAD_WORKERS) --out-dir $(OUT)/load $(LOAD_ARGS)

load-smoke: install ## a minute of load on the scaled stack, gate on, then the 5 % decline run that must fail it
	$(PY) -m pytest tests/test_load_gate.py -m load \
		--junitxml $(OUT)/unit/junit-load.xml

bench-load: install wrk ## Locust vs wrk on /api/health/, and each profile's capacity under the gate (PROFILE=scaled for one)
	$(PY) -m load.bench_load --profile $(BENCH_PROFILES) --out $(OUT)/bench/load.json $(BENCH_ARGS)

bench-chat: install ## chat message latency socket to socket, p50/p95/p99 of each profile (PROFILE=scaled for one)
	$(PY) -m load.bench_chat --profile $(BENCH_PROFILES) --out $(OUT)/bench/chat.json $(BENCH_ARGS)

bench-rest: install wrk ## wrk on categories and me at 16 and 256 connections: req/s, p99, errors, PostgreSQL's peak connections (PROFILE=scaled for one)
	$(PY) -m load.bench_rest --profile $(BENCH_PROFILES) --out $(OUT)/bench/rest.json $(BENCH_ARGS)

bench-burst: install ## verify racing the gateway's webhooks, then 100 verifies and their 300 webhooks at once, 10 runs: 5xx, credited once, PostgreSQL's peak connections (PROFILE=scaled for one)
	$(PY) -m load.bench_burst --profile $(BENCH_PROFILES) --out $(OUT)/bench/burst.json $(BENCH_ARGS)

wrk: ## install wrk (apt), which bench-load compares Locust with and bench-rest runs
	@command -v wrk >/dev/null || { apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; }

# Allure 3 from npm, with a Node.js of its own: its quality gate needs Node 22 or later
# (iterator helpers), and the machines' Node is 20. `make report` and the harness's browser
# tests run the CLI through $(ALLURE).
TOOLS  := reports/.tools/node_modules
ALLURE := $(TOOLS)/.bin/node $(TOOLS)/allure/cli.js

$(TOOLS)/.bin/node:
	npm install --prefix reports/.tools --no-audit --no-fund --silent node@22.23.3

$(TOOLS)/.bin/allure: | $(TOOLS)/.bin/node
	npm install --prefix reports/.tools --no-audit --no-fund --silent allure@3.18.0

# The release gate's metrics join the run's results as a "Release gate" suite
# (reports/gate/allure.py, from $(OUT)/release/gate.json when it judged this run). `allure run`
# is the one command that evaluates the quality gate (reports/allurerc.mjs) into the report
# (its "Quality Gates" tab) and into its exit status; it reads only results written while it
# runs, so its command links the run's results into a fresh folder. Every report appends to
# $(OUT)/history.jsonl, which gives each result its history.
report: $(TOOLS)/.bin/allure ## build the Allure report of the last e2e run with the release gate's results; fails when its quality gate does
	@test -d $(OUT)/allure-results || { echo "no $(OUT)/allure-results: run make e2e first"; exit 2; }
	@if [ -f $(OUT)/release/gate.json ]; then \
		$(PY) -m reports.gate.allure --gate $(OUT)/release/gate.json --results $(OUT)/allure-results \
			|| echo "the report has no release gate results"; \
	else echo "no $(OUT)/release/gate.json (make gate writes it): the report has no release gate"; fi
	@rm -rf $(OUT)/allure-report-input
	@status=0; LC_ALLURE_HISTORY=$(OUT)/history.jsonl LC_GATE_METRICS=$$($(PY) -m reports.gate --count) \
		LC_ALLURE_CATEGORIES=$(OUT)/allure-results/categories.json \
		$(ALLURE) run --config reports/allurerc.mjs \
		--output $(OUT)/allure-report --results-dir $(OUT)/allure-report-input --ignore-logs \
		-- cp -al $(OUT)/allure-results $(OUT)/allure-report-input || status=$$?; \
	rm -rf $(OUT)/allure-report-input; \
	echo "Allure report: $(abspath $(OUT)/allure-report)/index.html"; \
	echo "it loads its data over HTTP: make report-open serves it (file:// shows a spinner)"; \
	exit $$status

report-open: $(TOOLS)/.bin/allure ## serve the Allure report built by make report
	$(ALLURE) open $(OUT)/allure-report

clean: ## remove generated reports and logs (keeps .venv)
	rm -rf $(OUT)
