# The two commands that matter: `make run` (the whole stack) and `make test` (every check).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PYTHON311 ?= python3.11
VENV := .venv
RASA_VENV := .venv-rasa
APP_STAMP := $(VENV)/.installed
RASA_STAMP := $(RASA_VENV)/.installed
# The console's charting library (frontend/package.json, pinned in its package-lock.json),
# installed from the npm registry and copied next to the console's own files: no CDN.
VENDOR_DIR := queue_service/console/static/vendor
VENDOR_STAMP := $(VENDOR_DIR)/chart.umd.min.js
# var/bot-data is generated from knowledge/ (the FAQ knowledge base) by `python -m stack.bot_data`.
RASA_DATA := --config config.yml --domain bot/domain.yml --data nlu_data bot/data var/bot-data

export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint bot-data validate model rasa-test pytest browser pcsc vendor bench bench-nlu bench-nlu-latency bench-oos-boundary bench-queue bench-records bench-connections bench-cards bench-load bench-reports bench-inbox bench-publish bench-transcripts bench-cluster \
	test-faults cluster cluster-stop

run: $(APP_STAMP) $(RASA_STAMP) $(VENDOR_STAMP)
	$(VENV)/bin/python -m stack.run

test: lint validate rasa-test pytest

# The production profile on one machine (docs/operations.md): supervisor, nginx, N services,
# N Rasa and action servers, PostgreSQL and Redis under var/cluster/. SWA_CLUSTER_* size it.
cluster: $(APP_STAMP) $(RASA_STAMP) $(VENDOR_STAMP)
	stack/ensure-cluster
	$(VENV)/bin/python -m stack.cluster up

cluster-stop:
	$(VENV)/bin/python -m stack.cluster down

# ruff, then the import contracts (pyproject.toml [tool.importlinter]: who may import whom).
lint: $(APP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

bot-data: $(APP_STAMP)
	$(VENV)/bin/python -m stack.bot_data

validate: bot-data $(RASA_STAMP)
	$(RASA_VENV)/bin/rasa data validate $(RASA_DATA) --fail-on-warnings

model: $(APP_STAMP) $(RASA_STAMP)
	$(VENV)/bin/python -m stack.model

rasa-test: model
	$(RASA_VENV)/bin/rasa test core --e2e --model "$$($(VENV)/bin/python -m stack.model)" \
		--stories tests/rasa/test_stories.yml --fail-on-prediction-errors --out var/rasa-test-results

# nginx, PostgreSQL and Redis Sentinel installed first: the cluster tests run them, and a unit
# test checks the generated nginx.conf with nginx itself.
pytest: model browser pcsc $(VENDOR_STAMP)
	stack/ensure-cluster
	$(VENV)/bin/pytest

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(VENDOR_DIR)
	cp frontend/node_modules/chart.js/dist/chart.umd.min.js $@

browser:
	@stack/ensure-chromium

# The card tests' PC/SC stack (pcscd, the vpcd virtual reader); pyscard's build needs it too.
pcsc:
	@stack/ensure-pcsc

# Every benchmark on stacks of its own: bench.chat needs the Rasa model (and its venv), bench.reports
# a PostgreSQL installation (stack/ensure-cluster installs Debian's when missing).
bench: model
	stack/ensure-cluster
	$(VENV)/bin/python -m bench.chat
	$(VENV)/bin/python -m bench.queue
	$(VENV)/bin/python -m bench.records
	$(VENV)/bin/python -m bench.connections
	$(VENV)/bin/python -m bench.card_signatures
	$(VENV)/bin/python -m bench.reports
	$(VENV)/bin/python -m bench.inbox
	$(VENV)/bin/python -m bench.transcript_appends

# The reports page's queries on a PostgreSQL of its own: 1,000,000 transcript lines and 100,000
# sessions, p99 per chart beside a plain indexed count (docs/performance.md).
bench-reports: $(APP_STAMP)
	stack/ensure-cluster
	$(VENV)/bin/python -m bench.reports

# The studio inbox page (未知问题) on the same data, its unanswered questions as users word them:
# p99 of the page beside the same plain count (docs/performance.md).
bench-inbox: $(APP_STAMP)
	$(VENV)/bin/python -m bench.inbox

bench-records: $(APP_STAMP)
	$(VENV)/bin/python -m bench.records

bench-connections: $(APP_STAMP)
	$(VENV)/bin/python -m bench.connections

# SM2 (gmssl-pyx) beside ECDSA P-256 (cryptography): sign and verify of the card login message.
bench-cards: $(APP_STAMP)
	$(VENV)/bin/python -m bench.card_signatures
	$(MAKE) bench-load

# Overload and a long conversation (issue 16): 200 users x 5 questions through the hub, beside
# the same load with admission control off and straight to Rasa (docs/reliability.md).
# The fault suite alone (it also runs in `make test`): kill -9, SIGSTOP and a blocked PostgreSQL
# table on a stack of its own, and kill -9 in the production profile (`make cluster`: the Redis
# master under Sentinel, a service instance, a Rasa server, the action server, a rolling
# restart; docs/reliability.md). stack/ensure-cluster installs what the profile needs.
test-faults: model
	stack/ensure-cluster
	$(VENV)/bin/pytest tests/faults

# Beyond one Rasa (issue 21): the production profile of its own (nginx, 2 services, 2 Rasa),
# web chat through nginx and the hub beside one Rasa server directly, at 32 and 128 users.
bench-cluster: model
	stack/ensure-cluster
	$(VENV)/bin/python -m bench.chat --cluster

# A transcript append's CPU on PostgreSQL: psycopg's own pool beside SQLAlchemy's async engine.
bench-transcripts: $(APP_STAMP)
	$(VENV)/bin/python -m bench.transcript_appends

bench-load: model
	$(VENV)/bin/python -m bench.load

bench-queue: $(APP_STAMP)
	$(VENV)/bin/python -m bench.queue

bench-publish: model
	$(VENV)/bin/python -m bench.publish

bench-nlu: $(APP_STAMP) $(RASA_STAMP)
	$(VENV)/bin/python -m bench.nlu

# Parse latency with and without the sentence embedding, both models served at once (docs/faq.md).
bench-nlu-latency: model
	$(VENV)/bin/python -m bench.nlu_latency

# A learned in-scope / out-of-scope boundary, measured leave-one-set-out on the December sets
# (docs/faq.md, issue 17); OOS_PARSES (saved parses of bench.nlu and bench.fresh_score) adds
# today's mechanism on the same questions. The bot runs the best of them since round 7
# (nlu_components/oos_boundary.py, the same code).
OOS_PARSES ?=
bench-oos-boundary: $(APP_STAMP) $(RASA_STAMP)
	$(RASA_VENV)/bin/python -m bench.oos_boundary $(if $(OOS_PARSES),--parses $(OOS_PARSES))

$(APP_STAMP): pyproject.toml requirements/app.lock
	stack/ensure-pcsc
	$(PYTHON311) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c requirements/app.lock -e '.[dev]'
	touch $@

$(RASA_STAMP): requirements/rasa.lock
	python310="$$(stack/find-python310)" && "$$python310" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet -r requirements/rasa.lock
	touch $@
