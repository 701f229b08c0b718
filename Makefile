# The pipeline, stage by stage. `make all` builds everything from raw/; `make test` checks it.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
# Independent stages run side by side on every core; output stays grouped per stage.
MAKEFLAGS += --jobs=$(shell nproc 2>/dev/null || echo 1) --output-sync=target

RAW ?= raw
DATA ?= data
PY ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PIPELINE := $(PYTHON) -m pipeline
# `make` decides from the prerequisites below which stages are out of date; a stage's recipe only
# marks it due, and `data` (or `all`) then runs every due stage, and every stage that reads what
# they write, in one process (`python -m pipeline run`): each source is read and parsed once and
# each library loaded once, instead of once per stage. A run that fails leaves its stages out of
# date for the next `make`. Ask for `data` or `all` (a stage's own outputs alone: `python -m pipeline
# run STAGE`, which runs the stages that read them as well).
DUE := $(DATA)/.due
define stage
@mkdir -p "$(DATA)" && echo $(1) >> "$(DUE)"
endef
# Exit status 1 means some sources were skipped (named on stderr) and the rest processed: go on.
define run_due
$(PIPELINE) run --due "$(DUE)" --raw "$(RAW)" --out "$(DATA)"
endef

# The data flows one way: raw/ -> documents, clauses, annex, consultation (the parsing stages, the
# only ones that read raw/) -> tags, changes (read the published datasets) -> site -> datapackage.
# Every source file in the raw folder; README files there are documentation, not sources.
RAW_FILES := $(shell find $(RAW) -type f ! -name 'README*' ! -name '.*' 2>/dev/null | LC_ALL=C sort)
# What every stage runs in: the command line, the shared records, problems and table writing.
RUNNER := pipeline/__main__.py pipeline/errors.py pipeline/problems.py pipeline/summary.py pipeline/records.py \
          pipeline/tables.py pipeline/textnorm.py
# Reading the sources. Which file of a plan version held by several files is published depends on how
# its annex and outline read (pipeline/versions.py), so every parsing stage depends on those parsers.
PARSE := $(RUNNER) pipeline/sources.py pipeline/load.py pipeline/memo.py pipeline/notice.py \
         pipeline/consultation_page.py pipeline/plan.py pipeline/unitnames.py $(wildcard pipeline/readers/*.py) \
         pipeline/versions.py $(wildcard pipeline/annex/*.py) $(wildcard pipeline/outline/*.py)
STAGE_INPUTS := $(RAW_FILES) $(PARSE) | $(INSTALLED)

# Every stage also records the problems it met, for the summary that ends `make all`.
PROBLEMS := $(DATA)/quality/problems
DOCUMENTS := $(DATA)/documents.parquet $(DATA)/documents.csv $(PROBLEMS)/documents.json
CLAUSES := $(DATA)/clauses.parquet $(DATA)/clauses.csv $(DATA)/responsibilities.parquet $(DATA)/responsibilities.csv $(PROBLEMS)/clauses.json
ANNEX := $(DATA)/annex_measures.parquet $(DATA)/annex_measures.csv $(DATA)/annex_status.parquet $(DATA)/annex_status.csv $(DATA)/quality/annex_quality.json $(DATA)/quality/annex_quality.md $(PROBLEMS)/annex.json
CONSULTATION := $(DATA)/consultation.parquet $(DATA)/consultation.csv $(PROBLEMS)/consultation.json
TAGS := $(DATA)/tags.parquet $(DATA)/tags.csv $(PROBLEMS)/tags.json
CHANGES := $(DATA)/changes.parquet $(DATA)/changes.csv $(DATA)/comparisons.parquet $(DATA)/comparisons.csv $(DATA)/measure_history.parquet $(DATA)/measure_history.csv $(PROBLEMS)/changes.json
DATAPACKAGE := $(DATA)/datapackage.json $(PROBLEMS)/datadict.json
SITE := $(DATA)/site/index.html $(PROBLEMS)/site.json
OUTPUTS := $(DOCUMENTS) $(CLAUSES) $(ANNEX) $(CONSULTATION) $(TAGS) $(CHANGES) $(DATAPACKAGE) $(SITE)

.PHONY: help all data summary venv test bench rebuild-share render-share readme fixtures clean clean-data

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The stages go on past a skipped source (exit status 1); the summary then says what was read and
# skipped, and exits 1 when anything was, so that `make all` itself fails after writing everything it could.
all: $(INSTALLED) $(OUTPUTS) ## create the virtualenv, install pinned dependencies, run every stage, print the summary
	@$(run_due) --summary

venv: $(INSTALLED) ## create .venv with the pinned dependencies

$(INSTALLED): pyproject.toml requirements.lock
	@echo "== creating $(VENV) with pinned dependencies"
	$(PY) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

data: $(OUTPUTS) ## run every stage (only what changed)
	@if [ -s "$(DUE)" ]; then $(run_due) || [ $$? -eq 1 ]; fi

$(DOCUMENTS) &: pipeline/documents.py $(STAGE_INPUTS)
	$(call stage,documents)

$(CLAUSES) &: $(wildcard pipeline/outline/*.py) $(STAGE_INPUTS)
	$(call stage,clauses)

ANNEX_CODE := $(wildcard pipeline/annex/*.py)

$(ANNEX) &: $(ANNEX_CODE) $(STAGE_INPUTS)
	$(call stage,annex)

$(CONSULTATION) &: pipeline/consultation.py $(STAGE_INPUTS)
	$(call stage,consultation)

# The derived stages read the published datasets, never the sources: they rerun when those change.
$(TAGS) &: pipeline/tags.py pipeline/data/tag_rules.json $(DATA)/clauses.parquet $(DATA)/annex_measures.parquet $(RUNNER) | $(INSTALLED)
	$(call stage,tags)

$(CHANGES) &: pipeline/changes.py pipeline/annex/__init__.py pipeline/annex/status.py pipeline/plan.py pipeline/notice.py pipeline/tags.py pipeline/data/domain_terms.txt $(DATA)/documents.parquet $(DATA)/clauses.parquet $(DATA)/annex_measures.parquet $(DATA)/annex_status.parquet $(RUNNER) | $(INSTALLED)
	$(call stage,changes)

# The dictionary is built from the table specs in the stage modules.
$(DATAPACKAGE) &: pipeline/datadict.py $(wildcard pipeline/*.py pipeline/*/*.py) | $(INSTALLED)
	$(call stage,datadict)

# The site reads the published datasets (never the sources): it reruns when they change.
$(SITE) &: pipeline/site.py pipeline/changes.py $(RUNNER) $(DATA)/documents.parquet $(DATA)/annex_measures.parquet $(DATA)/annex_status.parquet $(DATA)/quality/annex_quality.json $(CHANGES) | $(INSTALLED)
	$(call stage,site)

summary: | $(INSTALLED) ## what the last run read and skipped (exit status 1 if anything was)
	@$(PIPELINE) summary --raw "$(RAW)" --out "$(DATA)"

readme: data ## render the data dictionary into README.md
	$(PYTHON) -m pipeline.datadict --out $(DATA) --readme README.md

fixtures: | $(INSTALLED) ## rewrite the DOCX/PDF test fixtures from raw/ (needs LibreOffice; they are committed)
	$(PYTHON) scripts/make_fixtures.py

bench: all ## time the stages and `make all` (median of 5 runs) into data/quality/bench.json
	$(PYTHON) scripts/bench.py

rebuild-share: | $(INSTALLED) ## share of 1,000 simulated annex layouts rebuilt exactly, into data/quality/rebuild_share.json
	$(PYTHON) scripts/rebuild_share.py

# Dev only (LibreOffice, Chromium, CJK fonts): apt-get install -y libreoffice-writer-nogui chromium fonts-noto-cjk
RENDER_N ?= 200
RENDER_SEED ?= 1
render-share: | $(INSTALLED) ## render random notices with LibreOffice and Chromium, read every form, into data/quality/render_share.json
	$(PYTHON) scripts/render_corpus.py --n $(RENDER_N) --seed $(RENDER_SEED)

test: all ## validate the Data Package and its CSVs, then run the whole test suite (after a full `make all`)
	$(VENV)/bin/frictionless validate $(DATA)/datapackage.json
	$(PYTHON) -m pytest

clean-data: ## remove generated datasets (raw/ is never touched)
	rm -rf $(DATA)/*.parquet $(DATA)/*.csv $(DATA)/quality $(DATA)/reports $(DATA)/site

clean: clean-data ## also remove the virtualenv
	rm -rf $(VENV)
