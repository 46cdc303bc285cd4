"""One measurement per process, so each starts from a clean memory baseline and its peak RSS is its own.

``python -m bench.measure load DATA --store DIR [--validate]``
``python -m bench.measure queries DATA --store DIR --runs N``  (store already loaded by ``load``)
``python -m bench.measure shacl DATA``
Each prints one JSON object on standard output.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from rdflib import Graph, URIRef

from graph.loading import install_ontology, load_files
from graph.queries import load_catalogue
from graph.settings import ROOT, load_settings
from graph.store import open_store
from graph.store.oxigraph import OxigraphStore
from graph.validation import Validator

BASE = "https://chm.example.org/"
BENCH_QUERIES = ROOT / "bench" / "queries"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings_for(store_dir: Path):
    return load_settings(overrides={"store_dir": store_dir, "base_iri": BASE}, environ={})


def measure_load(data: Path, store_dir: Path, validate: bool) -> dict:
    """A load as ``tscgraph load`` does it (the settings given: a checked load validates in batches in worker
    processes, whose peak is reported apart: ``workers_peak_rss_mb`` is the largest one's)."""
    settings = settings_for(store_dir)
    validator = Validator.from_paths(settings.shapes_dir, settings.ontology_dir) if validate else None
    with open_store(settings) as store:  # as `tscgraph load` opens it: the summary graph is kept (graph.summaries)
        install_ontology(store, settings)
        started = time.monotonic()
        written, checks = load_files(store, [data], settings.local_graph, base_iri=BASE, validator=validator, replace=True,
                                     settings=settings)
        seconds = time.monotonic() - started
        quads = store.count()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {"seconds": round(seconds, 3), "triples": written, "quads": quads, "peak_rss_mb": round(peak_rss_mb(), 1),
           "workers_peak_rss_mb": round(children, 1)}
    if validate:
        from graph.bulkload import load_workers

        out["workers"] = load_workers(settings)
        out["conforms"] = all(c.report is None or c.report.conforms for c in checks)
    return out


def answer_digests(store: OxigraphStore, catalogue: dict, values_for) -> dict:
    """Each canned query's whole answer (a ranking's every page) as CSV, digested: what ``bench/canned-answers-*.json``
    holds for the queries as they were before issue #18."""
    import hashlib

    from graph.results import to_csv

    out = {}
    for name, query in catalogue.items():
        values = values_for(query)
        if query.paging is not None:
            values = {**values, "limit": str(query.paging.maximum)}
        result = store.query(query.text_for(values), bindings=query.bindings(values))
        text = to_csv(result.variables, result.rows)
        out[name] = {"sha256": hashlib.sha256(text.encode()).hexdigest(), "rows": text.count("\n") - 1}
    return out


def _resource_iris(store: OxigraphStore) -> dict[str, URIRef]:
    """An actor and a project that exist in the data, for the parameterised bench queries."""
    out = {}
    for kind in ("Actor", "Project", "CooperationRequest"):
        rows = store.select(f"SELECT ?s WHERE {{ ?s a <https://w3id.org/tscgraph/ontology#{kind}> }} ORDER BY ?s LIMIT 1")
        out[kind] = rows[0]["s"]
    return out


def _consume(result) -> int:
    if result.kind == "select":
        return sum(1 for _ in result.rows)
    if result.kind == "graph":
        return sum(1 for _ in result.triples)
    return 1


def measure_queries(store_dir: Path, runs: int, warmup: int = 2, digests: Path | None = None) -> dict:
    """Median latency of every canned query and every bench query, run on the store itself (a ranking: its default
    first page, as the file runs). With ``digests`` (a reference file), each canned query's whole answer is compared
    with the one recorded there."""
    settings = settings_for(store_dir)
    out: dict = {}
    with OxigraphStore(store_dir) as store:
        iris = _resource_iris(store)

        def values_for(query) -> dict:
            values = {}
            if any(p.name == "resource" for p in query.params):
                values["resource"] = str(iris["Project" if "project" in query.name or query.name == "describe" else "Actor"])
            if any(p.name == "actor" for p in query.params):
                values["actor"] = str(iris["Actor"])
            if any(p.name == "request" for p in query.params):
                values["request"] = str(iris["CooperationRequest"])
            return values

        canned = load_catalogue(settings.queries_dir, settings.base_iri)
        catalogue = [("canned", q) for q in canned.values()]
        catalogue += [("ad hoc", q) for q in load_catalogue(BENCH_QUERIES).values()]
        for family, query in catalogue:
            bindings = query.bindings(values_for(query))
            times, rows = [], 0
            for i in range(warmup + runs):
                started = time.perf_counter()
                rows = _consume(store.query(query.text, bindings=bindings))
                if i >= warmup:
                    times.append(time.perf_counter() - started)
            out[query.name] = {"family": family, "summary": query.summary, "median_ms": round(statistics.median(times) * 1000, 2),
                               "max_ms": round(max(times) * 1000, 2), "rows": rows, "runs": runs}
        answers = None
        if digests is not None:
            reference = json.loads(digests.read_text(encoding="utf-8"))
            found = answer_digests(store, canned, values_for)
            answers = {name: {**got, "same_as_before": reference.get(name, {}).get("sha256") == got["sha256"]}
                       for name, got in found.items()}
    result = {"queries": out, "peak_rss_mb": round(peak_rss_mb(), 1)}
    if answers is not None:
        result["answers"] = answers
    return result


def measure_shacl(data: Path, whole_graph: bool, submissions: int = 20) -> dict:
    """Validation of one submission (a project record) and, optionally, of the whole data set."""
    started = time.monotonic()
    validator = Validator.from_paths(ROOT / "shapes", ROOT / "ontology")
    setup_seconds = time.monotonic() - started
    submission = Graph().parse(ROOT / "tests" / "data" / "cli" / "project-conforming.ttl", publicID=BASE)
    times = []
    for _ in range(submissions + 2):
        started = time.perf_counter()
        validator.validate(submission)
        times.append(time.perf_counter() - started)
    out = {"shapes_and_vocabularies_parsed_s": round(setup_seconds, 3),
           "one_submission_median_ms": round(statistics.median(times[2:]) * 1000, 1)}
    if whole_graph:
        graph = Graph()
        started = time.monotonic()
        graph.parse(data, format="nt")
        out["parse_s"] = round(time.monotonic() - started, 2)
        started = time.monotonic()
        report = validator.validate(graph)
        out["whole_graph_s"] = round(time.monotonic() - started, 2)
        out["whole_graph_triples"] = len(graph)
        out["whole_graph_conforms"] = report.conforms
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    parser.add_argument("what", choices=["load", "queries", "shacl"])
    parser.add_argument("data", type=Path)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--validate", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--whole-graph", action="store_true")
    parser.add_argument("--digests", type=Path, help="a reference file of canned answers to compare with")
    args = parser.parse_args(argv)
    if args.what == "load":
        result = measure_load(args.data, args.store, args.validate)
    elif args.what == "queries":
        result = measure_queries(args.store, args.runs, digests=args.digests)
    else:
        result = measure_shacl(args.data, args.whole_graph)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
