# tscgraph — the two commands of the quick start are `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install setup serve test fuzz bench bench-full load clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "tscgraph needs Python 3.11 or later"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)  ## create the virtual environment and install tscgraph

setup: install     ## install the ontology into the store; load the bundled data if the store is empty
	$(BIN)/tscgraph setup

serve: setup       ## set everything up and run the server on 127.0.0.1:8000
	$(BIN)/tscgraph serve

test: install      ## set everything up and run the test suite
	$(BIN)/python -m pytest

FUZZ_SECONDS ?= 60
fuzz: install      ## fuzz every parser and entry point: the Hypothesis properties with many examples from random seeds, then the atheris harnesses (FUZZ_SECONDS each; skipped where atheris has no wheel) (~15 min)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -p no:cacheprovider tests/test_fuzz_parsers.py tests/test_fuzz_http.py tests/test_bad_input_regressions.py
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,fuzz]' || echo "atheris does not install here: the coverage-guided harnesses are skipped"
	@if $(BIN)/python -c 'import atheris' 2>/dev/null; then \
		for harness in tests/fuzz/fuzz_*.py; do $(BIN)/python $$harness -max_total_time=$(FUZZ_SECONDS) || exit 1; done; \
	fi

bench: install     ## quick benchmarks (10k and 100k triples, peers and store backends included; a few minutes) -> docs/benchmarks.md
	$(BIN)/python -m bench.run --quick
	$(BIN)/python -m bench.backends

bench-full: install  ## full benchmarks (adds 1M triples) -> docs/benchmarks.md
	$(BIN)/python -m bench.run --full

load: install      ## load test: mixed reads at 8, 32 and 64 clients, 60 s each, while a harvest and submissions write; zero 5xx, zero lost writes (~5 min) -> docs/load.md
	$(BIN)/python -m bench.load --clients 8 32 64 --duration 60

clean:             ## remove the virtual environment and the default store
	rm -rf $(VENV) .venv-peers var
