# tscgraph — the two commands of the quick start are `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check

# Installs come from the lock files only (exact versions, with hashes); pyproject.toml keeps ranges for
# people who use tscgraph as a library. The locks are made by uv (`make lock`, `make upgrade`); installing
# them needs nothing but pip.
LOCK       := requirements.lock
FUZZ_LOCK  := requirements-fuzz.lock
PEERS_LOCK := bench/peers.lock
UV_VERSION := 0.13.9
TOOLS      := .venv-tools
UV         := $(TOOLS)/bin/uv
UV_COMPILE  = $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
              --custom-compile-command "make lock" $(UPGRADE)
BUILD_REQUIRES := $(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'

.PHONY: install setup serve test conformance fuzz bench bench-full bench-scale bench-serving bench-writes load lock upgrade clean assets coordinates

# The virtual environment is made anew whenever the lock changes, so it holds exactly what the lock says.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "tscgraph needs Python 3.11 or later"'
	$(PYTHON) -m venv --clear $(VENV)
	$(PIP) install --require-hashes -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PIP) check
	@touch $(STAMP)

install: $(STAMP)  ## create the virtual environment and install tscgraph

setup: install     ## install the ontology into the store; load the bundled data if the store is empty
	$(BIN)/tscgraph setup

serve: setup       ## set everything up and run the server on 127.0.0.1:8000
	$(BIN)/tscgraph serve

# Most tests wait on servers, peers and browsers rather than compute: three pytest-xdist workers (a file each
# at a time, so a module's server is started once) halve the suite's time on two cores.
TEST_WORKERS ?= 3
test: install      ## set everything up and run the test suite (TEST_WORKERS parallel workers)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

conformance: install  ## run the W3C SPARQL 1.0 and 1.1 test suites (../shared/w3c-sparql) and rewrite README's conformance table and docs/conformance.md (~2 min)
	$(BIN)/python -m tests.w3c.conformance

FUZZ_SECONDS ?= 60
fuzz: install      ## fuzz every parser and entry point: the Hypothesis properties with many examples from random seeds, then the atheris harnesses (FUZZ_SECONDS each; skipped where atheris has no wheel) (~15 min)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -p no:cacheprovider tests/test_fuzz_parsers.py tests/test_fuzz_http.py tests/test_bad_input_regressions.py
	@$(PIP) install --require-hashes -r $(FUZZ_LOCK) || echo "atheris does not install here: the coverage-guided harnesses are skipped"
	@if $(BIN)/python -c 'import atheris' 2>/dev/null; then \
		for harness in tests/fuzz/fuzz_*.py; do $(BIN)/python $$harness -max_total_time=$(FUZZ_SECONDS) || exit 1; done; \
	fi

bench: install     ## quick benchmarks (10k and 100k triples, peers and store backends included; a few minutes) -> docs/benchmarks.md
	$(BIN)/python -m bench.run --quick
	$(BIN)/python -m bench.backends

bench-full: install  ## full benchmarks (adds 1M triples) -> docs/benchmarks.md
	$(BIN)/python -m bench.run --full

bench-scale: install  ## the network's size (issue #18): 1M and 10M generated triples loaded unvalidated and validated, every canned query, the first /projects after a write and a full export (~1 h on two cores) -> docs/benchmarks.md (its "At network scale" section)
	$(BIN)/python -m bench.scale

bench-serving: install  ## the serving benchmarks of issue #17: the real server against raw Oxigraph (repeated and evaluated), pages, the first request after a write, the express lane, 1 vs 2 web processes (~15 min) -> docs/benchmarks.md (its Serving section)
	$(BIN)/python -m bench.serving

bench-writes: install  ## one-record writes (issue #18): SPARQL Update and Graph Store POST, idle and under 32 readers, at the bundled size, 100k and 1M triples (~12 min) -> docs/benchmarks.md (its Writes section)
	$(BIN)/python -m bench.writes

load: install      ## load test: an update's latency idle and under 32 readers, reads alone, then mixed reads at 8, 32 and 64 clients, 60 s each, while a harvest, submissions and updates write; zero 5xx, zero lost writes (~7 min) -> docs/load.md
	$(BIN)/python -m bench.load --clients 8 32 64 --duration 60

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip --quiet --disable-pip-version-check install uv==$(UV_VERSION)

lock: $(UV)        ## re-resolve the lock files after an edit of pyproject.toml or bench/peers.in, keeping every pin that still fits
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - --extra test -o $(LOCK)
	$(UV_COMPILE) pyproject.toml --extra test --extra fuzz --constraint $(LOCK) -o $(FUZZ_LOCK)
	$(UV_COMPILE) bench/peers.in -o $(PEERS_LOCK)

upgrade: $(UV)     ## re-resolve every lock to the newest versions, show what changed, reinstall and run the tests
	@mkdir -p var && for f in $(LOCK) $(FUZZ_LOCK) $(PEERS_LOCK); do grep -E '^[a-z0-9._-]+==' $$f > var/$$(basename $$f).before || true; done
	$(MAKE) lock UPGRADE=--upgrade
	@for f in $(LOCK) $(FUZZ_LOCK) $(PEERS_LOCK); do echo "== $$f"; grep -E '^[a-z0-9._-]+==' $$f | diff var/$$(basename $$f).before - | grep '^[<>]' || echo "   unchanged"; done
	rm -rf .venv-peers
	$(MAKE) test

# The workbench's script and styles (static/workbench/) are committed, so serving and testing need no Node. Rebuilding
# them is a maintainer's step, with Node 20+ and npm: npm ci installs exactly what package-lock.json says.
assets:            ## rebuild static/workbench/ from assets/workbench/ and the packages pinned in package-lock.json (Node 20+, npm)
	npm ci --no-audit --no-fund
	node assets/build.mjs

coordinates:       ## rewrite the coordinates block of ontology/places.ttl from the pinned world-countries package (Node 20+, npm)
	npm ci --no-audit --no-fund
	node assets/place-coordinates.mjs

clean:             ## remove the virtual environments and the default store
	rm -rf $(VENV) .venv-peers $(TOOLS) var
