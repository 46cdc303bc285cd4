"""Write ``docs/benchmarks.md`` from the raw figures (``docs/benchmarks-quick.json``, ``-full.json``).

The goals of the benchmark issue are checked here, each against the run that measures it, and a
missed goal says by how much. Pure formatting: no measurement happens in this module.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.sections import owned_sections
from graph.settings import ROOT

DOCS = ROOT / "docs"
GOALS_QUERY_MS = 300
GOAL_PAGE_MS = 20
GOAL_SUBMISSION_MS = 50
GOAL_WHOLE_100K_S = 8
GOAL_LOAD_1M_S, GOAL_LOAD_1M_VALIDATED_S = 6, 30
GOAL_RSS_1M_MB = 1536


def _load(mode: str) -> dict | None:
    path = DOCS / f"benchmarks-{mode}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    else:
        text = f"{value:,}"
    return text + unit


def _verdict(ok: bool | None, detail: str = "") -> str:
    if ok is None:
        return "not measured" + (f" ({detail})" if detail else "")
    return ("met" if ok else "**missed**") + (f" ({detail})" if detail else "")


def _scale(results: dict, scale: int) -> dict | None:
    return next((s for s in results.get("scales", []) if s["scale"] == scale), None)


def machine_section(results: dict) -> list[str]:
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return [
        f"Measured on {m['date']}: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}; {packages}.",
        f"Data: `bench/generate.py`, seed {results['seed']}. Run time of the whole `{results['mode']}` run: {_fmt(results.get('elapsed_s'))} s.",
        "",
    ]


def load_table(results: dict) -> list[str]:
    lines = ["| triples | unvalidated load | peak RSS | validated load | peak RSS |", "|---:|---:|---:|---:|---:|"]
    for s in results["scales"]:
        u, v = s["load_unvalidated"], s.get("load_validated") or {}
        lines.append(f"| {s['scale']:,} | {_fmt(u['seconds'], ' s')} | {_fmt(u['peak_rss_mb'], ' MB')} | "
                     f"{_fmt(v.get('seconds'), ' s')} | {_fmt(v.get('peak_rss_mb'), ' MB')} |")
    return lines + [""]


def query_table(results: dict) -> list[str]:
    scales = [s["scale"] for s in results["scales"]]
    header = "| query | kind | " + " | ".join(f"{n:,} triples" for n in scales) + " |"
    lines = [header, "|---|---|" + "---:|" * len(scales)]
    names = list(results["scales"][0]["queries"]["queries"])
    for name in names:
        first = results["scales"][0]["queries"]["queries"][name]
        cells = []
        for s in results["scales"]:
            q = s["queries"]["queries"].get(name)
            cells.append(f"{_fmt(q['median_ms'], ' ms')} ({q['rows']:,} rows)" if q else "—")
        lines.append(f"| `{name}` | {first['family']} | " + " | ".join(cells) + " |")
    return lines + ["", "Median of the runs after two warm-up runs, on the embedded store in-process (no HTTP).", ""]


def shacl_table(results: dict) -> list[str]:
    lines = ["| triples | one submission (median) | whole graph | of which parsing |", "|---:|---:|---:|---:|"]
    for s in results["scales"]:
        sh = s["shacl"]
        lines.append(f"| {s['scale']:,} | {_fmt(sh['one_submission_median_ms'], ' ms')} | {_fmt(sh.get('whole_graph_s'), ' s')} | {_fmt(sh.get('parse_s'), ' s')} |")
    return lines + [""]


def http_table(rows: list[dict]) -> list[str]:
    lines = ["| scenario | server | concurrency | req/s | p50 | p99 | errors / non-2xx | ours ÷ peer (req/s) |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ratios = ", ".join(f"{k[7:].replace('_', '-')} {v:.2f}×" for k, v in r.items() if k.startswith("rps_vs_") and v is not None)
        lines.append(f"| {r['scenario']} | {r['server']} | {r['concurrency']} | {_fmt(r.get('req_per_s'))} | "
                     f"{_fmt(r.get('p50_ms'), ' ms')} | {_fmt(r.get('p99_ms'), ' ms')} | {r.get('errors', 0)} / {r.get('non_2xx', 0)} | {ratios} |")
    return lines + [""]


def _rate(rows: list[dict], scenario: str, server: str, concurrency: int) -> float | None:
    for r in rows:
        if r["scenario"] == scenario and r["server"] == server and r["concurrency"] == concurrency:
            return r.get("req_per_s")
    return None


def goals(quick: dict | None, full: dict | None) -> list[str]:
    best = full or quick
    lines = ["| goal | measured | verdict |", "|---|---|---|"]
    big = _scale(full, 1_000_000) if full else None
    if big:
        slowest = max(((n, q["median_ms"]) for n, q in big["queries"]["queries"].items() if q["family"] == "canned"), key=lambda x: x[1])
        lines.append(f"| every canned query: median ≤ {GOALS_QUERY_MS} ms at 1M | slowest `{slowest[0]}` {_fmt(slowest[1], ' ms')} | "
                     f"{_verdict(slowest[1] <= GOALS_QUERY_MS, '' if slowest[1] <= GOALS_QUERY_MS else f'{slowest[1] / GOALS_QUERY_MS:.1f}× the goal')} |")
        u, v = big["load_unvalidated"], big.get("load_validated")
        lines.append(f"| load 1M unvalidated ≤ {GOAL_LOAD_1M_S} s | {_fmt(u['seconds'], ' s')} | {_verdict(u['seconds'] <= GOAL_LOAD_1M_S)} |")
        if v:
            seconds = v["seconds"]
            detail = "" if seconds <= GOAL_LOAD_1M_VALIDATED_S else f"{seconds / GOAL_LOAD_1M_VALIDATED_S:.1f}× the goal"
            lines.append(f"| load 1M validated ≤ {GOAL_LOAD_1M_VALIDATED_S} s | {_fmt(seconds, ' s')} | "
                         f"{_verdict(seconds <= GOAL_LOAD_1M_VALIDATED_S, detail)} |")
    else:
        lines.append(f"| every canned query ≤ {GOALS_QUERY_MS} ms at 1M; loads of 1M | — | {_verdict(None, 'run `make bench-full`')} |")
    if best:
        sub = max(s["shacl"]["one_submission_median_ms"] for s in best["scales"])
        lines.append(f"| validation of one submission ≤ {GOAL_SUBMISSION_MS} ms (the function; `/validate` comes with the submissions issue) | {_fmt(sub, ' ms')} | {_verdict(sub <= GOAL_SUBMISSION_MS)} |")
        hundred = _scale(best, 100_000)
        if hundred and hundred["shacl"].get("whole_graph_s") is not None:
            w = hundred["shacl"]["whole_graph_s"]
            lines.append(f"| whole 100k graph validated ≤ {GOAL_WHOLE_100K_S} s | {_fmt(w, ' s')} | {_verdict(w <= GOAL_WHOLE_100K_S)} |")
    http = (best or {}).get("http", {})
    http_rows = http.get("rows", [])
    if http_rows:
        for scenario, label, factor, peer in (
            ("group-by", "`/sparql` medium GROUP BY ≥ 1.0× Oxigraph server (c=8)", 1.0, "oxigraph"),
            ("lookup", "`/sparql` trivial lookup ≥ 0.5× Oxigraph server (c=8)", 0.5, "oxigraph"),
            ("group-by", "`/sparql` medium GROUP BY ≥ 100× rdflib-endpoint (c=8)", 100.0, "rdflib-endpoint"),
        ):
            ours, theirs = _rate(http_rows, scenario, "ours", 8), _rate(http_rows, scenario, peer, 8)
            if ours is not None and theirs:
                ratio = ours / theirs
                detail = f"at {http.get('scale', 0):,} triples" + ("" if ratio >= factor else f"; {factor / ratio:.1f}× short")
                lines.append(f"| {label} | {ratio:.2f}× ({_fmt(ours)} vs {_fmt(theirs)} req/s) | {_verdict(ratio >= factor, detail)} |")
    pages = (best or {}).get("pages", {})
    for row in pages.get("rows", []):
        if row["concurrency"] == 1 and row["scenario"] in PAGE_SCENARIOS:
            p50 = row["p50_ms"]
            ok = p50 <= GOAL_PAGE_MS
            detail = "" if ok else f"{p50 / GOAL_PAGE_MS:.1f}× the goal"
            lines.append(f"| {row['scenario']} median ≤ {GOAL_PAGE_MS} ms at {pages.get('scale', 0):,} triples | {_fmt(p50, ' ms')} | "
                         f"{_verdict(ok, detail)} |")
    page_rows = pages.get("rows", [])
    if page_rows and pages.get("scale") == 1_000_000:
        hwm = max(r.get("hwm_mib") or 0 for r in page_rows)
        lines.append(f"| serving 1M triples within 1.5 GB resident | {_fmt(hwm, ' MiB')} peak (server, its query workers) | {_verdict(hwm <= GOAL_RSS_1M_MB)} |")
    return lines + [""]


#: The page scenarios of bench/http.py held to the page goal.
PAGE_SCENARIOS = ("resource-page", "class-page", "home", "projects-list", "projects-faceted", "actor-page", "gbf-coverage")


def backends_section(results: dict) -> list[str]:
    """Load and query figures per store backend (``bench/backends.py``), same data, through the store interface."""
    out = ["## Store backends", "",
           "`python -m bench.backends` (run by `make bench`): the same generated data loaded without validation through "
           "tscgraph's store interface into the embedded store, an Oxigraph server and Virtuoso 7.2.5 (both on loopback, "
           "`docs/backends.md`), then each canned query through `Store.query` "
           f"(median of {results.get('runs')} runs after two warm-ups; ms). Machine: {results['machine']['cpu']}, "
           f"{results['machine']['cores']} cores, {results['machine']['date']}.", ""]
    for scale in results.get("scales", []):
        rows = scale["backends"]
        names = [r["backend"] for r in rows]
        out += [f"### {scale['scale']:,} triples", "", "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        out.append("| load (s) | " + " | ".join(_fmt(r.get("load_s")) if "error" not in r else "failed" for r in rows) + " |")
        out.append("| load (triples/s) | " + " | ".join(_fmt(r.get("triples_per_s")) if "error" not in r else "—" for r in rows) + " |")
        queries = sorted({q for r in rows for q in r.get("queries", {})})
        for query in queries:
            cells = []
            for r in rows:
                q = r.get("queries", {}).get(query)
                if q is None:
                    cells.append("—")
                elif "error" in q:
                    cells.append("error")
                else:
                    cells.append(f"{_fmt(q['median_ms'])} ({q['rows']} rows)")
            out.append(f"| `{query}` | " + " | ".join(cells) + " |")
        out.append("")
        for r in rows:
            if "error" in r:
                out += [f"{r['backend']} failed: {r['error']}", ""]
            for name, q in sorted(r.get("queries", {}).items()):
                if "error" in q:
                    out += [f"- {r['backend']}, `{name}`: {q['error']}"]
        out.append("")
    return out


def write_report() -> Path:
    quick, full = _load("quick"), _load("full")
    out = ["# Benchmarks", "",
           "Produced by `make bench` (quick: 10k and 100k triples) and `make bench-full` (adds 1M); this page is",
           "regenerated from `docs/benchmarks-quick.json` / `docs/benchmarks-full.json` by `bench/report.py`.",
           "Every figure below comes from one run on the machine it names; peers run on the same data in the same run.", "",
           "## Goals", ""]
    out += goals(quick, full)
    notes = DOCS / "benchmarks-notes.md"
    if notes.exists():
        out += ["## What the figures say", "", notes.read_text(encoding="utf-8").strip(), ""]
    for name, results in (("full", full), ("quick", quick)):
        if not results:
            continue
        out += [f"## The `{name}` run", ""] + machine_section(results)
        for failure in results.get("failures", []):
            out += [f"**A stage failed in this run**: {failure}", ""]
        out += ["### Loading", ""] + load_table(results)
        out += ["### Query latency", ""] + query_table(results)
        out += ["### SHACL validation", ""] + shacl_table(results)
        http = results.get("http")
        if http:
            out += [f"### HTTP at {http.get('scale', 0):,} triples", "",
                    "wrk (Debian) on loopback, each scenario at each concurrency for the run's duration, servers interleaved; "
                    "every server's answer to each shared query was checked first (same rows). `ours` is tscgraph (granian, "
                    "one web process, query workers); `oxigraph` is `oxigraph serve-read-only` on the same data; "
                    "`rdflib-endpoint` serves the same files. Pages and named queries exist only on ours.", ""]
            out += http_table(http["rows"])
            memory = {}
            for r in http["rows"]:
                memory[r["server"]] = max(memory.get(r["server"], 0), r.get("hwm_mib") or 0)
            out += ["Peak resident memory over the run (process trees): " + ", ".join(f"{k} {_fmt(v, ' MiB')}" for k, v in memory.items()) + ".", ""]
            if http.get("commands"):
                out += ["Commands:", ""] + [f"- {name}: `{' ; '.join(cmds)}`" for name, cmds in http["commands"].items()] + [""]
        pages = results.get("pages")
        if pages and pages.get("scale") != (http or {}).get("scale"):
            out += [f"### tscgraph alone at {pages.get('scale', 0):,} triples", ""] + http_table(pages["rows"])
    backends = DOCS / "benchmarks-backends.json"
    if backends.exists():
        out += backends_section(json.loads(backends.read_text(encoding="utf-8")))
    path = DOCS / "benchmarks.md"
    # the sections other benchmarks own (make bench-serving, make bench-writes: bench/sections.py) stay as they are
    kept = owned_sections(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text("\n".join(out).rstrip() + "\n" + "".join("\n" + section for section in kept), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_report())
