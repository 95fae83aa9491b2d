# The two commands of the README: `make run` (set up, sync, ingest, open the chat) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MIRROR ?= ../shared/corpus
SAMPLE_QUESTION ?= Qui autorise un protocole local dans un établissement de santé ?

# Headless Chromium for the end-to-end test of the chat (Debian package; no browser download).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STREAMLIT_FLAGS := --server.headless true --browser.gatherUsageStats false \
	--client.showErrorDetails none --client.toolbarMode minimal

.PHONY: setup model corpus ingest run ask test lint typecheck pytest soak eval browser clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/.installed model

model: $(BIN)/.installed
	$(BIN)/coop model fetch

corpus: setup
	$(BIN)/coop corpus sync --mirror $(MIRROR)

ingest: corpus
	$(BIN)/coop ingest

ask: ingest
	$(BIN)/coop ask "$(SAMPLE_QUESTION)"

run: ingest
	@if [ -f app.py ]; then \
		$(BIN)/streamlit run app.py $(STREAMLIT_FLAGS); \
	else \
		$(BIN)/coop ask "$(SAMPLE_QUESTION)"; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# If apt cannot install it, the end-to-end test is skipped with its reason (the rest still runs).
browser:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; } || \
		echo "AVERTISSEMENT : chromium non installé, le test de bout en bout du chat sera ignoré."

pytest: setup browser
	$(BIN)/python -m pytest -m "(slow or not slow) and not soak" -q

soak: setup
	$(BIN)/python -m pytest -m soak -q

eval: corpus
	$(BIN)/coop eval --gate --json evals/last-run.json --report test-artifacts/eval-report.html

test: lint typecheck pytest eval

clean:
	rm -rf .coop corpus/documents
