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

TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(SPACY)

.PHONY: help install train validate test test-unit test-stories test-e2e evaluate soak shell run prune vocab freeze clean

help:
	@echo "make shell     chat in the terminal (sets up and trains first if needed)"
	@echo "make run       Rasa server (REST + socket.io) on 127.0.0.1:5005, actions on 5055, demo site on 8000"
	@echo "make test      the whole test suite (sets up and trains first if needed)"
	@echo "make install | train | validate | evaluate | prune DAYS=n | vocab | clean"

# --- set-up -------------------------------------------------------------------

install: $(STAMPS)/python $(SPACY) $(STAMPS)/web

$(STAMPS)/python: requirements.txt constraints.txt scripts/find_python310.sh
	@mkdir -p $(STAMPS)
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(VENV) && python310="$$(scripts/find_python310.sh)" && \
	  echo "Creating $(VENV) with $$python310" && "$$python310" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==24.0
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

# The widget's browser dependencies (npm) and the browser its tests drive.
$(STAMPS)/web: web/package.json web/package-lock.json
	@mkdir -p $(STAMPS)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "color emoji"; then \
	  echo "Installing Debian's chromium (and an emoji font) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	fi
	@touch $@

# spaCy pipeline and NLU synonyms, generated from the knowledge file.
$(SPACY) data/nlu/vocabulary.yml &: knowledge/cma.yml actions/knowledge.py scripts/build_nlu.py $(STAMPS)/python
	$(PY) scripts/build_nlu.py

vocab: $(SPACY)

# --- model ----------------------------------------------------------------------

# Retrains only when training data, config, domain or knowledge changed.
$(MODEL): $(TRAINING_INPUTS) $(STAMPS)/python
	$(RASA) train --fixed-model-name cma --out models
	@touch $@

train: $(MODEL)

validate: $(STAMPS)/python $(SPACY)
	$(PY) -c 'from actions.knowledge import load_knowledge, knowledge_path; load_knowledge(); print(f"{knowledge_path()}: valid")'
	$(PY) scripts/build_nlu.py --check
	$(RASA) data validate --fail-on-warnings

# --- tests --------------------------------------------------------------------

test: install $(MODEL) validate
	$(PY) -m pytest tests
	$(MAKE) --no-print-directory test-stories

test-unit: $(STAMPS)/python $(SPACY)
	$(PY) -m pytest tests -m "not stack"

test-e2e: install $(MODEL)
	$(PY) -m pytest tests -m stack

test-stories: $(MODEL)
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories --model $(MODEL)

# 50 concurrent conversations x 20 messages on a throwaway PostgreSQL database (a few minutes).
soak: $(STAMPS)/python $(MODEL)
	$(PY) scripts/soak.py --conversations 50 --messages 20

# 5-fold cross-validation of the NLU pipeline; summary in results/summary.md.
evaluate: $(MODEL)
	@rm -rf results/nlu_cv results/summary.md
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds 5 --runs 1 --out results/nlu_cv --config config.yml
	$(PY) scripts/summarize_eval.py results/nlu_cv

# --- talk to it ---------------------------------------------------------------

shell: install $(MODEL)
	@scripts/serve.sh shell

run: install $(MODEL)
	@scripts/serve.sh run

# --- maintenance --------------------------------------------------------------

# Delete conversations inactive for more than DAYS days: make prune DAYS=90
prune: $(STAMPS)/python
	@test -n "$(DAYS)" || { echo "usage: make prune DAYS=<n> [DRY_RUN=1]"; exit 2; }
	$(PY) scripts/prune_conversations.py --days $(DAYS) $(if $(DRY_RUN),--dry-run)

freeze: $(STAMPS)/python
	$(PY) -m pip freeze --all | grep -v -e '^pip==' -e '^-e' -e '@ file' > constraints.txt

clean:
	rm -rf models results build .rasa $(STAMPS) web/node_modules
