"""``make bench-scale`` (issue #18): the CHM network's size — 1M and 10M generated triples — loaded unvalidated and
validated, every canned query run, and the page scenarios, with time and peak memory.

``python -m bench.scale [--scales 1000000 10000000] [--runs 3] [--skip-validated] [--skip-pages]`` writes
``docs/benchmarks-scale.json`` and the "At network scale (issue #18)" section of ``docs/benchmarks.md``, the 1M and
10M columns side by side; a stage skipped keeps its figures of the run before (each stage records when it ran). Each measurement runs in its own process (:mod:`bench.measure`), so its peak memory is its
own; a checked load's validation workers are reported apart (the largest one's peak, and how many ran).

* **Loads** into an empty local graph, as ``tscgraph load`` does: the engine's bulk loader with its marker, then the
  record log and the change feed (one streamed pass); checked: the same, with the records validated in batches
  across processes (:mod:`graph.bulkload`).
* **Canned queries**: the median of ``--runs`` runs after two warm-ups, in-process on the embedded store; rankings
  answer their default first page (as the files run). At 1M, each query's whole answer is digested and compared with
  ``bench/canned-answers-1m.json``, recorded with the queries as they were before issue #18: "same answers".
* **Pages** (1M): a real ``tscgraph serve``; the first ``/projects`` after a write (a SPARQL Update of one actor),
  and a full CSV export of the projects: when its first byte comes, and when its last.

The load averages before and after each stage are recorded: other people's work on the machine shows there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import requests

from bench.run import WORK, dataset, describe_machine, in_process
from bench.sections import replace_section
from bench.server import LOCAL, SPARQL_PREFIXES, actor_update, loadavg, new_actor
from graph.settings import ROOT

RESULTS = ROOT / "docs" / "benchmarks-scale.json"
REFERENCE = {1_000_000: ROOT / "bench" / "canned-answers-1m.json"}
GOALS = {"query_ms": {1_000_000: 300.0, 10_000_000: 3000.0}, "unvalidated_s_per_m": 6.0, "validated_s_per_m": 30.0,
         "validated_10m_peak_mb": 2048.0, "first_projects_ms": 500.0, "export_first_byte_ms": 200.0}


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stage(name: str, run):
    before = loadavg()
    started = time.monotonic()
    result = run()
    log(f"{name}: {time.monotonic() - started:.1f} s")
    return {**result, "load_before": before, "load_after": loadavg(), "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


GBF_TARGET = "https://w3id.org/tscgraph/vocab/gbf/target/"


def project_and_missing_targets(base: str, count: int) -> tuple[str, list[int]]:
    """One project of the store and ``count`` GBF targets it does not contribute to yet (a write that changes it)."""
    def ask(query: str) -> list[dict]:
        answer = requests.post(base + "/sparql", data={"query": SPARQL_PREFIXES + query}, timeout=600,
                               headers={"Accept": "application/sparql-results+json"})
        answer.raise_for_status()
        return answer.json()["results"]["bindings"]

    project = ask("SELECT ?p WHERE { ?p a tsc:Project } LIMIT 1")[0]["p"]["value"]
    has = {int(r["t"]["value"].rsplit("/", 1)[1]) for r in ask(f"SELECT ?t WHERE {{ <{project}> tsc:contributesToTarget ?t }}")}
    return project, [n for n in range(1, 24) if n not in has][:count]


def pages(data: Path, repeats: int = 3) -> dict:
    from bench.server import tscgraph

    out: dict = {"first_projects_ms": [], "first_projects_project_write_ms": [], "export": []}
    with tscgraph(WORK / "scale-pages", [data]) as ours, requests.Session() as writer:
        # What the first visitors see once the server answers: each reader prepares the unfiltered listings as
        # it starts (serving.reader.warm_listings), and a request meanwhile waits for that computation. As many
        # requests as readers, one after the other; which reader answers each is the kernel's choice.
        for _ in range(ours.web_processes()):
            started = time.perf_counter()
            requests.get(ours.base + "/projects", headers={"Accept": "text/html"}, timeout=600)
            out.setdefault("first_projects_after_start_ms", []).append(round((time.perf_counter() - started) * 1000, 1))
        def first_projects_after(write: str, key: str) -> None:
            for _ in range(ours.web_processes()):  # the state before, remembered by every reader
                requests.get(ours.base + "/projects", timeout=600)
            answer = writer.post(ours.base + "/update", data=write.encode(), timeout=600, headers={
                "Authorization": "Bearer " + ours.token, "Content-Type": "application/sparql-update"})
            if answer.status_code != 200:
                raise RuntimeError(f"the write answered {answer.status_code}: {answer.text[:300]}")
            started = time.perf_counter()
            page = requests.get(ours.base + "/projects", headers={"Accept": "text/html"}, timeout=600)
            out[key].append(round((time.perf_counter() - started) * 1000, 1))
            if page.status_code != 200:
                raise RuntimeError(f"/projects answered {page.status_code}")

        for _ in range(repeats):  # a write the listing does not read: its answers are kept (graph/changekeys.py)
            first_projects_after(actor_update(new_actor("scale")), "first_projects_ms")
        project, targets = project_and_missing_targets(ours.base, repeats)
        for target in targets:  # a write the listing reads: a project gains a target
            first_projects_after(SPARQL_PREFIXES + f"INSERT DATA {{ GRAPH <{LOCAL}> {{ <{project}> "
                                 f"tsc:contributesToTarget <{GBF_TARGET}{target}> }} }}", "first_projects_project_write_ms")
        for _ in range(repeats):
            started = time.perf_counter()
            with requests.get(ours.base + "/projects?format=csv", stream=True, timeout=600) as export:
                chunks = export.iter_content(chunk_size=None)
                first = next(chunks, b"")
                first_ms = (time.perf_counter() - started) * 1000
                size = len(first) + sum(len(c) for c in chunks)
            out["export"].append({"first_byte_ms": round(first_ms, 1), "whole_ms": round((time.perf_counter() - started) * 1000, 1),
                                  "bytes": size, "rows": int(export.headers.get("X-Tscgraph-Rows", "0"))})
    out["first_projects_median_ms"] = statistics.median(out["first_projects_ms"])
    out["first_projects_project_write_median_ms"] = statistics.median(out["first_projects_project_write_ms"])
    out["export_first_byte_median_ms"] = statistics.median(e["first_byte_ms"] for e in out["export"])
    return out


def measure(scale: int, args) -> dict:
    data = dataset(scale)
    out: dict = {"scale": scale, "data": str(data.relative_to(ROOT))}
    store = WORK / f"scale-store-{scale}"
    shutil.rmtree(store, ignore_errors=True)
    log(f"{scale:,}: unvalidated load")
    out["load_unvalidated"] = stage("unvalidated load", lambda: in_process("load", str(data), "--store", str(store)))
    if not args.skip_validated:
        checked = WORK / f"scale-store-{scale}-validated"
        shutil.rmtree(checked, ignore_errors=True)
        log(f"{scale:,}: validated load")
        out["load_validated"] = stage("validated load", lambda: in_process("load", str(data), "--store", str(checked), "--validate"))
        shutil.rmtree(checked, ignore_errors=True)
    log(f"{scale:,}: canned queries")
    extra = ["--digests", str(REFERENCE[scale])] if scale in REFERENCE else []
    out["queries"] = stage("queries", lambda: in_process("queries", str(data), "--store", str(store), "--runs", str(args.runs), *extra))
    shutil.rmtree(store, ignore_errors=True)
    if not args.skip_pages and scale == 1_000_000:
        log(f"{scale:,}: pages")
        out["pages"] = stage("pages", lambda: pages(data))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--scales", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-validated", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    results: dict = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results.update({"machine": describe_machine(), "seed": 42, "scales": results.get("scales", {})})
    for scale in args.scales:
        try:  # the stages skipped this time keep their figures of the run before (each stage says when: "at")
            results["scales"][str(scale)] = {**results["scales"].get(str(scale), {}), **measure(scale, args)}
        except RuntimeError as exc:
            log(f"{scale:,}: FAILED: {exc}")
            results["scales"][str(scale)] = {"scale": scale, "failure": str(exc)[-1500:]}
        results["elapsed_s"] = round(time.monotonic() - started, 1)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    replace_section("scale", report_lines(results))
    log(f"done in {results['elapsed_s']} s: {RESULTS} and docs/benchmarks.md")
    return 0


# ------------------------------------------------------------------ the section of docs/benchmarks.md


def _ms(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:,.1f} ms"


def report_lines(results: dict) -> list[str]:
    machine = results.get("machine", {})
    scales = [results["scales"][k] for k in sorted(results.get("scales", {}), key=int)]
    head = " | ".join(f"{s['scale']:,} triples" for s in scales)
    lines = ["## At network scale (issue #18)", "",
             f"`make bench-scale` (`bench/scale.py`), measured on {machine.get('date', '?')}: {machine.get('cpu', '?')}, "
             f"{machine.get('cores', '?')} cores, {machine.get('memory_gib', '?')} GiB; Python {machine.get('python', '?')}, "
             f"pyoxigraph {machine.get('packages', {}).get('pyoxigraph', '?')}, pyshacl {machine.get('packages', {}).get('pyshacl', '?')}. "
             "Data: `bench/generate.py`, seed 42. The load averages before and after each stage are in "
             "`docs/benchmarks-scale.json` (other work on the machine shows there).", "",
             "### Loading", "", f"| | {head} | goal |", "|---|" + "---:|" * len(scales) + "---|"]

    def row(label: str, cell, goal: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(cell(s) for s in scales) + f" | {goal} |")

    def per_million(s, key):
        load = s.get(key)
        return f"{load['seconds']:,.1f} s ({load['seconds'] / (s['scale'] / 1e6):.1f} s/M)" if load else "—"

    row("unvalidated load (bulk loader, record log, change feed)", lambda s: per_million(s, "load_unvalidated"),
        f"≤ {GOALS['unvalidated_s_per_m']:g} s/M")
    row("peak memory, unvalidated", lambda s: f"{s['load_unvalidated']['peak_rss_mb']:,.0f} MB" if s.get("load_unvalidated") else "—")
    row("validated load (batches across processes)", lambda s: per_million(s, "load_validated"),
        f"≤ {GOALS['validated_s_per_m']:g} s/M on 2 cores")
    row("peak memory, validated: main process + largest worker × workers",
        lambda s: (f"{s['load_validated']['peak_rss_mb']:,.0f} + {s['load_validated']['workers_peak_rss_mb']:,.0f} × "
                   f"{s['load_validated'].get('workers', '?')} MB") if s.get("load_validated") else "—",
        f"≤ {GOALS['validated_10m_peak_mb']:,.0f} MB at 10M")
    lines += ["", "### Canned queries", "", "Median on the embedded store, in-process; a ranking answers its default "
              "first page (100 rows). *Same answers*: the whole answer (every page) digested and compared with the one "
              "of the queries before issue #18 (`bench/canned-answers-1m.json`).", "",
              f"| query | {head} | same answers at 1M |", "|---|" + "---:|" * len(scales) + "---|"]
    names = sorted({n for s in scales for n, q in s.get("queries", {}).get("queries", {}).items() if q["family"] == "canned"})
    for name in names:
        cells = []
        for s in scales:
            q = s.get("queries", {}).get("queries", {}).get(name)
            goal = GOALS["query_ms"].get(s["scale"])
            mark = "" if q is None or goal is None or q["median_ms"] <= goal else " **(over)**"
            cells.append(f"{_ms(q['median_ms'])} ({q['rows']:,} rows){mark}" if q else "—")
        one_m = next((s for s in scales if s["scale"] == 1_000_000), {})
        same = one_m.get("queries", {}).get("answers", {}).get(name, {}).get("same_as_before")
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {'yes' if same else ('**no**' if same is False else '—')} |")
    lines.append("")
    lines.append(f"Goals: ≤ {GOALS['query_ms'][1_000_000]:g} ms at 1M, ≤ {GOALS['query_ms'][10_000_000]:,.0f} ms at 10M.")
    one_m = next((s for s in scales if s["scale"] == 1_000_000 and s.get("pages")), None)
    if one_m:
        p = one_m["pages"]
        lines += ["", "### Pages at 1M", "", "| scenario | measured (each run) | goal |", "|---|---|---|",
                  *([f"| the first `/projects` requests once the server answers, as many as readers, one after the other (each reader "
                     f"prepares the listings as it starts: a request waits for that) | "
                     f"{', '.join(_ms(x) for x in p['first_projects_after_start_ms'])} | — |"]
                    if p.get("first_projects_after_start_ms") else []),
                  f"| first `/projects` after a write it does not read (one actor inserted: its answers kept) | "
                  f"{_ms(p['first_projects_median_ms'])} median ({', '.join(_ms(x) for x in p['first_projects_ms'])}) "
                  f"| ≤ {GOALS['first_projects_ms']:g} ms |",
                  *([f"| first `/projects` after a write it reads (a project gains a GBF target) | "
                     f"{_ms(p['first_projects_project_write_median_ms'])} median "
                     f"({', '.join(_ms(x) for x in p['first_projects_project_write_ms'])}) | ≤ {GOALS['first_projects_ms']:g} ms |"]
                    if p.get("first_projects_project_write_ms") else []),
                  f"| full CSV export of the projects: first byte | {_ms(p['export_first_byte_median_ms'])} median "
                  f"({', '.join(_ms(e['first_byte_ms']) for e in p['export'])}) | ≤ {GOALS['export_first_byte_ms']:g} ms |",
                  f"| … its last byte ({p['export'][0]['rows']:,} rows, {p['export'][0]['bytes'] / 1e6:.1f} MB) | "
                  f"{', '.join(_ms(e['whole_ms']) for e in p['export'])} | streamed |"]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
