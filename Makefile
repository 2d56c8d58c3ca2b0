# finetune-platform: the two set-up commands are `make demo` and `make test`.
# Both bootstrap a project-local virtualenv (.venv) from nothing but Python 3.11.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export TORCH_EXTENSIONS_DIR := $(CURDIR)/.torch_extensions
export TOKENIZERS_PARALLELISM := false
export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := 1
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false

.PHONY: install demo test test-fast ui bench clean clean-state

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins the whole resolved tree, so every machine installs the same versions.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench,deploy]"
	@touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/finetune-platform demo

test: install
	$(BIN)/python -m pytest -q --timeout=1800

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

ui: install $(DAGSTER_HOME)/dagster.yaml
	@echo "Dagster UI on http://127.0.0.1:3000 (state in $(DAGSTER_HOME))"
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python -m bench.run_all

# Everything the demo and the pipeline generate. Human input is kept: your own sources and the feedback
# batches under data/raw/ (only the demo corpus's three files go), reviewers' decisions
# (data/review/decisions/) and raters' sheets and ratings (data/human_eval/); remove those by hand.
clean-state:
	rm -rf .dagster_home mlflow.db mlartifacts artifacts .dvc-storage .dvc/cache .dvc/tmp .torch_extensions \
		data/raw/chats/chats.jsonl data/raw/emails/emails.csv data/raw/notes/resolution_notes.parquet \
		data/training_set data/training_set.dvc data/production data/feedback data/preference_pairs \
		data/review/queue

clean: clean-state
	rm -rf $(VENV)
