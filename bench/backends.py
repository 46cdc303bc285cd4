"""Load and query figures for each store backend on the same data: the embedded store, an Oxigraph server and
Virtuoso Open Source, each reached through tscgraph's own store interface (what the server and the CLI do).

``python -m bench.backends [--scales 10000 100000] [--runs 5]`` writes ``docs/benchmarks-backends.json``;
``bench/report.py`` puts it in ``docs/benchmarks.md``. ``make bench`` runs it too.

Per backend and scale, in a fresh store: the ontology is installed, then the generated data is loaded without
validation through ``load_files`` — the embedded engine parses the file itself, an external store gets it
parsed by rdflib and sent in batches moved into place by one request — then every canned query runs
``runs`` times (after two warm-up runs) through ``Store.query``, with its default parameters and the same
resources as ``bench.measure``. Rows are counted, so a backend that answers differently shows it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

from bench.measure import BASE, _consume, _resource_iris
from bench.peers import store_server
from bench.run import SEED, dataset, describe_machine, log
from graph.loading import install_ontology, load_files
from graph.queries import load_catalogue
from graph.settings import ROOT, load_settings
from graph.store import Store, StoreError, open_store

BACKENDS = ("embedded", "oxigraph-server", "virtuoso")
OUT = ROOT / "docs" / "benchmarks-backends.json"


@contextlib.contextmanager
def backend(name: str, work: Path) -> Iterator[Store]:
    """An empty store of backend ``name``, opened as tscgraph opens it (``bench.peers.store_server``)."""
    with store_server(name, work / name) as server:
        settings = load_settings(overrides={"base_iri": BASE, "store_dir": work / "store", **server.settings},
                                 environ={})
        with open_store(settings) as store:
            yield store


def measure(name: str, data: Path, runs: int, warmup: int = 2) -> dict:
    settings = load_settings(overrides={"base_iri": BASE}, environ={})
    with tempfile.TemporaryDirectory(prefix=f"tscgraph-bench-{name}-") as tmp, backend(name, Path(tmp)) as store:
        install_ontology(store, settings)
        started = time.monotonic()
        written, _checks = load_files(store, [data], settings.local_graph, base_iri=BASE, validator=None, replace=True)
        load_s = time.monotonic() - started
        iris = _resource_iris(store)
        queries = {}
        for query in load_catalogue(settings.queries_dir, settings.base_iri).values():
            if "SERVICE" in query.text:
                continue
            values = {}
            for param, kind in (("resource", "Project"), ("actor", "Actor"), ("request", "CooperationRequest")):
                if any(p.name == param for p in query.params):
                    values[param] = str(iris[kind])
            bindings = query.bindings(values)
            times, rows, error = [], None, None
            for i in range(warmup + runs):
                started = time.perf_counter()
                try:
                    rows = _consume(store.query(query.text, bindings=bindings))
                except StoreError as exc:
                    error = str(exc).splitlines()[0][:160]
                    break
                if i >= warmup:
                    times.append(time.perf_counter() - started)
            queries[query.name] = ({"error": error} if error else
                                   {"median_ms": round(statistics.median(times) * 1000, 2), "rows": rows})
        return {"backend": name, "triples": written, "load_s": round(load_s, 2),
                "triples_per_s": round(written / load_s) if load_s else None, "queries": queries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backends")
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args(argv)
    results: dict = {"seed": SEED, "machine": describe_machine(), "runs": args.runs, "scales": []}
    for scale in args.scales:
        data = dataset(scale)
        rows = []
        for name in args.backends:
            log(f"backends: {name} at {scale:,} triples")
            try:
                rows.append(measure(name, data, args.runs))
            except Exception as exc:  # noqa: BLE001 - record it, measure the other backends
                log(f"backends: {name} FAILED: {exc}")
                rows.append({"backend": name, "error": str(exc)[-500:]})
        results["scales"].append({"scale": scale, "backends": rows})
        OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    from bench.report import write_report

    write_report()
    print(OUT, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
