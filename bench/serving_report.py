"""The "Serving (issue #17)" section of ``docs/benchmarks.md``, from ``docs/benchmarks-serving.json``
(``bench/serving.py``). Pure formatting: every number and verdict is computed from the figures.

``python -m bench.serving_report`` writes the section again from the JSON (no measurement).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.sections import replace_section

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-serving.json"
HOST_CORES = 16


def _n(x: float | None, unit: str = "") -> str:
    if x is None:
        return "—"
    return (f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}") + unit


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _index(rows: list[dict]) -> dict:
    return {(r["scenario"], r["server"], r["variant"], r["concurrency"]): r for r in rows}


def _clean(row: dict | None) -> bool:
    return row is not None and not row.get("failed") and row["errors"] == 0 and row["non_2xx"] == 0 and row["requests"] > 0


def ratios(results: dict) -> list[dict]:
    """Ours ÷ oxigraph (req/s) per data set, scenario, concurrency and variant; None when either side erred."""
    out = []
    for part in results.get("against_oxigraph", []):
        index = _index(part["rows"])
        for (scenario, server, variant, c), row in index.items():
            if server != "ours":
                continue
            peer = index.get((scenario, "oxigraph", variant, c))
            ok = _clean(row) and _clean(peer) and peer["req_per_s"] > 0  # type: ignore[index]
            out.append({"data": part["data"], "scenario": scenario, "variant": variant, "concurrency": c, "ours": row,
                        "oxigraph": peer, "ratio": round(row["req_per_s"] / peer["req_per_s"], 3) if ok else None})  # type: ignore[index]
    return out


def _cpu(row: dict) -> str:
    cpu = row.get("cpu")
    if not cpu:
        return ""
    roles = cpu["roles"]
    parts = [f"{short} {roles[role]['core_pct']:.0f}" for role, short in (("reader", "R"), ("query worker", "Q"))
             if role in roles]
    return " / ".join(parts) + f" / all {cpu['server_core_pct']:.0f}"


GOAL_ROWS = (("lookup-target-3", "trivial lookup `<…/gbf/target/3>`", "lookup_vs_oxigraph"),
             ("lookup-actor", "lookup of an actor (bench/http.py's)", "lookup_vs_oxigraph"),
             ("group-by", "GROUP BY (projects per GBF target, union of all graphs)", "group_by_vs_oxigraph"))


def goals_table(results: dict) -> list[str]:
    goals, found = results["goals"], ratios(results)
    lines = ["| goal | measured | verdict |", "|---|---|---|"]
    for scenario, label, key in GOAL_ROWS:
        for variant in ("repeated", "each evaluated"):
            mine = [r for r in found if r["scenario"] == scenario and r["variant"] == variant]
            if not mine:
                continue
            values = [r["ratio"] for r in mine]
            worst = min((v for v in values if v is not None), default=None)
            shown = ", ".join(f"{r['data']} c={r['concurrency']}: {_n(r['ratio'])}×" if r["ratio"] is not None
                              else f"{r['data']} c={r['concurrency']}: error" for r in mine)
            ok = None not in values and worst is not None and worst >= goals[key]
            lines.append(f"| {label} ≥ {goals[key]}× raw Oxigraph, {variant} | {shown} | {_verdict(ok)} |")
    pages = results.get("pages", {}).get("rows", [])
    for row in pages:
        ok = _clean(row) and row["req_per_s"] >= goals["pages_req_s"]
        lines.append(f"| `{row['scenario']}` ≥ {goals['pages_req_s']:.0f} req/s at c={row['concurrency']}, 100k, cached "
                     f"| {_n(row['req_per_s'])} req/s (p99 {_n(row['p99_ms'], ' ms')}) | {_verdict(ok)} |")
    for row in results.get("after_write", []):
        before = row["before_17_ms"]
        if before is None:
            continue
        ok = row["first_median_ms"] <= before
        lines.append(f"| first `{row['page']}` after a write no slower than before #17 ({_n(before, ' ms')}) | median "
                     f"{_n(row['first_median_ms'], ' ms')}, max {_n(row['first_max_ms'], ' ms')} | {_verdict(ok)} |")
    express = results.get("express")
    if express:
        ask = express["asks"]["each evaluated"]
        answered = set(ask["statuses"]) == {"200"}
        for stat in ("median", "p99"):
            ok = answered and ask[f"{stat}_ms"] <= goals["express_ask_ms"]
            lines.append(f"| a cheap ASK ≤ {goals['express_ask_ms']:.0f} ms while every query worker runs a runaway, "
                         f"{stat} | {_n(ask[f'{stat}_ms'], ' ms')} ({ask['asks']} ASKs, each evaluated, all answered "
                         f"{'200' if answered else 'NOT all 200'}; {express['busy_before_asks']} of "
                         f"{express['regular_workers']} regular workers busy) | {_verdict(ok)} |")
    return lines + [""]


def oxigraph_table(part: dict) -> list[str]:
    index = _index(part["rows"])
    lines = [f"**{part['data']}** ({part.get('quads', 0):,} quads in ours; the same data in Oxigraph, checked: "
             + ", ".join(f"`{k}` {v['rows'].get('ours')} rows" for k, v in part["checks"].items()) + ")", "",
             "| scenario | c | variant | ours req/s | p50 / p99 ms | oxigraph req/s | p50 / p99 ms | ours ÷ oxigraph "
             "| ours CPU, % of a core: readers / query workers / all | answered by the cache | load 1 min |",
             "|---|---:|---|---:|---|---:|---|---:|---|---:|---|"]
    for r in ratios({"against_oxigraph": [part]}):
        ours, peer = r["ours"], r["oxigraph"] or {}
        lines.append(
            f"| {r['scenario']} | {r['concurrency']} | {r['variant']} | {_n(ours['req_per_s'])} | {_n(ours['p50_ms'])} / "
            f"{_n(ours['p99_ms'])} | {_n(peer.get('req_per_s'))} | {_n(peer.get('p50_ms'))} / {_n(peer.get('p99_ms'))} | "
            f"{_n(r['ratio'])}× | {_cpu(ours)} | {ours.get('cache_hit_share', 0):.0%} | "
            f"{ours['load1_before']}–{peer.get('load1_after', ours['load1_after'])} |")
    del index
    return lines + [""]


def scaling(results: dict) -> tuple[list[str], list[dict]]:
    rows = results.get("scaling", {}).get("rows", [])
    by = {(r["scenario"], r["variant"], r["concurrency"], r["web_processes"]): r for r in rows}
    found = []
    lines = ["| scenario | variant | c | 1 web process req/s | 2 web processes req/s | factor | server CPU, % of a core "
             "(1 → 2) | req/s per server core (1 → 2) | load 1 min |", "|---|---|---:|---:|---:|---:|---|---|---|"]

    def per_core(row: dict) -> float | None:
        cores = (row.get("cpu") or {}).get("server_core_pct", 0) / 100
        return row["req_per_s"] / cores if cores else None

    for (scenario, variant, c, procs), two in by.items():
        if procs == 1:
            continue
        one = by.get((scenario, variant, c, 1))
        if one is None:
            continue
        factor = two["req_per_s"] / one["req_per_s"] if one["req_per_s"] else None
        found.append({"scenario": scenario, "variant": variant, "concurrency": c, "one": one["req_per_s"],
                      "two": two["req_per_s"], "factor": factor, "per_core": per_core(two), "per_core_one": per_core(one),
                      "load1": max(one["load1_before"], one["load1_after"], two["load1_before"], two["load1_after"])})
        lines.append(f"| {scenario} | {variant} | {c} | {_n(one['req_per_s'])} | {_n(two['req_per_s'])} | "
                     f"{_n(factor)}× | {(one.get('cpu') or {}).get('server_core_pct', 0):.0f} → "
                     f"{(two.get('cpu') or {}).get('server_core_pct', 0):.0f} | {_n(per_core(one))} → {_n(per_core(two))} | "
                     f"{one['load1_before']}, {two['load1_before']} |")
    return lines + [""], found


def projection(found: list[dict], cores: int) -> list[str]:
    if not found:
        return []
    out = [f"**What a {HOST_CORES}-core host would be expected to do** (a projection from the figures above, not a "
           "measurement). Two estimates per scenario: *(a)* from the measured 1 → 2 factor *f*, each further core "
           f"adding what the second added: req/s(1) × (1 + {HOST_CORES - 1}·(f − 1)); *(b)* from the CPU the server "
           f"used: req/s per server core × {HOST_CORES}. (a) is pessimistic here — with 1 web process its query "
           f"workers and `wrk` already used the second core of this {cores}-core machine, so the second reader found "
           "less than a core free — and (b) is the ceiling if nothing shared binds first.", "",
           "| scenario | variant | c | (a) from the factor | (b) from CPU per request |", "|---|---|---:|---:|---:|"]
    for r in found:
        a = r["one"] * (1 + (HOST_CORES - 1) * (r["factor"] - 1)) if r["factor"] and r["factor"] > 1 else None
        b = r["per_core"] * HOST_CORES if r["per_core"] else None
        out.append(f"| {r['scenario']} | {r['variant']} | {r['concurrency']} | "
                   + (f"{_n(a)} req/s" if a is not None else "— (no gain measured)") + f" | {_n(b)} req/s |")
    out += ["", "Assumptions: the load generator runs on another machine (here `wrk` took part of the same cores); "
            f"`web_processes` = {HOST_CORES} (the default, one reader per core) and 3 query workers + 1 express "
            "worker per reader; reads only — a write makes every reader compute its next answers again, so with N "
            "readers a write costs N recomputations, and writes go through the one writer whatever the cores; readers "
            "share nothing on the read path but the snapshot files (read-only, in the page cache) and one `stat` "
            "of `CURRENT` per request, so the first shared limits expected are the kernel's loopback/accept path and "
            "memory bandwidth, not a lock of ours. Nothing here was measured on more than 2 cores.", ""]
    return out


def section(results: dict) -> list[str]:
    m = results["machine"]
    lines = ["## Serving (issue #17)", "",
             f"Produced by `make bench-serving` (`python -m bench.serving`, {results['elapsed_s'] / 60:.0f} min; raw "
             "figures in [`benchmarks-serving.json`](benchmarks-serving.json)); this section is rewritten by each run "
             "and kept by `make bench`. Measured on "
             f"{m['date']}: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; Python {m['python']}, "
             + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + f"; wrk {m.get('wrk', '?')}.", "",
             f"**Machine load.** `uptime` before: `{results['uptime_before']}`; after: `{results['uptime_after']}`. "
             "Each row gives the 1-minute load average before and after it. It counts every runnable thread, the "
             "benchmark's own included (the server's threads and `wrk` keep it above 2 while they run), so it is a "
             "witness of other work on the machine only where it stands above what the run itself explains.", "",
             "Ours is the real `tscgraph serve` with its defaults (one reader per core — 2 here —, 3 query workers and "
             "1 express worker per reader, the writer; `query_time_limit` 60 s, `rate_limit` raised: "
             "`bench/server.py`); the raw server is `oxigraph serve-read-only` (`bench/peers.py`) on the same "
             f"quads. `wrk` on loopback, {results['duration_s']:g} s per measurement. **Repeated**: the same request "
             "again and again, as clients see us (our per-state answer cache answers; the column *answered by the "
             "cache* shows it did). **Each evaluated**: a SPARQL comment with a counter makes every request "
             "different, so every one is evaluated by us as by Oxigraph.", "",
             "### Goals", "", *goals_table(results),
             "### Against raw Oxigraph, same data, same run", ""]
    for part in results.get("against_oxigraph", []):
        lines += oxigraph_table(part)
    pages = results.get("pages", {})
    if pages:
        lines += ["### Record and listing pages at 100k (cached state)", "",
                  f"{pages['quads']:,} quads (100k generated triples, the bundled data, ontology and vocabularies). "
                  "Each page asked a few times first, then `wrk` repeats it.", "",
                  "| page | c | req/s | p50 / p99 ms | answered by the cache | ours CPU: readers / query workers / all |",
                  "|---|---:|---:|---|---:|---|"]
        lines += [f"| `{r['scenario']}` | {r['concurrency']} | {_n(r['req_per_s'])} | {_n(r['p50_ms'])} / {_n(r['p99_ms'])} | "
                  f"{r.get('cache_hit_share', 0):.0%} | {_cpu(r)} |" for r in pages["rows"]] + [""]
    if results.get("after_write"):
        lines += ["### The first request after a write (100k)", "",
                  "One SPARQL Update (`INSERT DATA` of one actor) — which changes the public state, so every reader's "
                  "cache and every per-state cache of the app start again — then the page once on a new connection "
                  "(timed: *first*), then once more (*second*: the other reader, or this one's fresh cache); three "
                  "times per page. *Before #17*: the same first request on the one-process server, measured "
                  "in-process (the table \"first request after a write\" above).", "",
                  "| page | first, ms (3 writes) | second, ms | before #17 | write, median ms |", "|---|---|---|---:|---:|"]
        lines += [f"| `{r['page']}` | {', '.join(_n(x) for x in r['first_ms'])} | {', '.join(_n(x) for x in r['second_ms'])} "
                  f"| {_n(r['before_17_ms'], ' ms')} | {_n(r['write_median_ms'])} |" for r in results["after_write"]] + [""]
    express = results.get("express")
    if express:
        lines += ["### A cheap ASK while every query worker runs a runaway", "",
                  f"`{express['runaway']}` sent from distinct client addresses until every regular query worker "
                  f"({express['regular_workers']}: {express.get('readers', '?')} readers × "
                  f"{express['regular_workers'] // max(1, express.get('readers', 1))}) burnt CPU — read from `/proc`, a runaway landing in an express lane is stopped there "
                  f"within 1 s and sent again: {express['runaways_sent']} sent, saturated after "
                  f"{express['saturated_after_s']} s, {express['busy_before_asks']} busy before the ASKs and "
                  f"{express['busy_after_asks']} after — then `{express['ask']}` one after the other from another "
                  "address, each on a new connection.", "",
                  "| ASK | count | median ms | p99 ms | max ms | statuses |", "|---|---:|---:|---:|---:|---|"]
        for variant, a in express["asks"].items():
            lines.append(f"| {variant} | {a['asks']} | {_n(a['median_ms'])} | {_n(a['p99_ms'])} | {_n(a['max_ms'])} | "
                         + ", ".join(f"{k}: {v}" for k, v in a["statuses"].items()) + " |")
        lines += ["", f"1-minute load average at the end: {express['load1']}.", ""]
    scale_lines, found = scaling(results)
    if found:
        lines += ["### From 1 to 2 web processes", "",
                  "The same scenarios on the same data (100k) with `web_processes=1` and with the default (2 on this "
                  "machine), one server after the other in the same run.", "", *scale_lines,
                  *projection(found, m["cores"])]
    notes = reading(results)
    if notes:
        lines += ["### What the figures say", "", *notes, "", *PROFILES, ""]
    commands = [c for part in results.get("against_oxigraph", []) for c in part.get("commands", [])]
    if commands:
        lines += ["Commands (ours; the token's hash left out):", ""] + [f"- `{c}`" for c in commands] + [""]
    return lines


def _per_request_ms(row: dict, *roles: str) -> float | None:
    """CPU milliseconds per answered request that the ``roles`` of our tree used during ``row``."""
    cpu = row.get("cpu")
    if not cpu or not row["requests"]:
        return None
    return 1000 * sum(cpu["roles"][r]["cpu_s"] for r in roles if r in cpu["roles"]) / row["requests"]


def _range(values: list[float], unit: str = "") -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    lo, hi = min(values), max(values)
    return _n(lo, unit) if _n(lo) == _n(hi) else f"{_n(lo)}–{_n(hi, unit)}"


def _pct_range(values: list[float]) -> str:
    values = sorted(round(100 * v) for v in values if v is not None)
    if not values:
        return "—"
    return f"{values[0]} %" if values[0] == values[-1] else f"{values[0]}–{values[-1]} %"


def reading(results: dict) -> list[str]:
    """Sentences computed from the figures (the section is regenerated: no figure is written by hand)."""
    out, found = [], ratios(results)
    rows = [r for part in results.get("against_oxigraph", []) for r in part["rows"]]
    cores = results["machine"]["cores"]

    def pick(server: str, variant: str, group: bool) -> list[dict]:
        return [r for r in rows if r["server"] == server and r["variant"] == variant and (r["scenario"] == "group-by") == group]

    cached, theirs = pick("ours", "repeated", False), pick("oxigraph", "repeated", False)
    if cached:
        out.append(
            "- **Repeated lookups** are answered by the readers' caches without the app, a thread or a query worker "
            f"(*answered by the cache* {_pct_range([r.get('cache_hit_share') for r in cached])}): "
            f"{_range([r['req_per_s'] for r in cached], ' req/s')} against raw Oxigraph's "
            f"{_range([r['req_per_s'] for r in theirs], ' req/s')}, "
            f"{_range([x['ratio'] for x in found if x['variant'] == 'repeated' and x['scenario'] != 'group-by'], '×')}. "
            "What is left is the readers' own cost: "
            f"{_range([1000 * p for p in (_per_request_ms(r, 'reader') for r in cached) if p is not None], ' µs')} of "
            "reader CPU per cached answer — granian's RSGI bridge and the front in `serving/rsgi.py` (see the profiles "
            "below) — where Oxigraph spent "
            f"{_range([1000 * p for p in (_per_request_ms(r, 'supervisor') for r in theirs) if p is not None], ' µs')} "
            "of CPU per request, evaluation included.")
    evaluated, theirs = pick("ours", "each evaluated", False), pick("oxigraph", "each evaluated", False)
    if evaluated:
        total = [_per_request_ms(r, "reader", "query worker", "supervisor", "writer", "writer worker", "other")
                 for r in evaluated]
        caps = [cores * 1000 / t for t in total if t]
        out.append(
            f"- **Lookups each evaluated**: {_range([r['req_per_s'] for r in evaluated], ' req/s')}, "
            f"{_range([x['ratio'] for x in found if x['variant'] == 'each evaluated' and x['scenario'] != 'group-by'], '×')} "
            f"raw Oxigraph. Each request cost our readers {_range([_per_request_ms(r, 'reader') for r in evaluated], ' ms')} "
            "of CPU (Flask, the query pool, pickling the job and its answer through a pipe) and the query workers "
            f"{_range([_per_request_ms(r, 'query worker') for r in evaluated], ' ms')} (the public view, evaluation, "
            f"rendering); Oxigraph spent "
            f"{_range([_per_request_ms(r, 'supervisor') for r in theirs], ' ms')} per request. At that cost "
            f"{cores} whole cores would answer {_range(caps, ' evaluated lookups a second')} — the ceiling whatever the "
            "concurrency. It is the price of killable queries (a worker process per query, answers through a pipe) "
            "and of Python in front; the answer cache is what closes the gap for repeated requests.")
    group = [x for x in found if x["scenario"] == "group-by"]
    if group:
        by_data = {}
        for x in group:
            if x["variant"] == "each evaluated":
                by_data.setdefault(x["data"], []).append(x["ratio"])
        worker = [_per_request_ms(r, "query worker") for r in pick("ours", "each evaluated", True)]
        out.append(
            f"- **GROUP BY**: repeated, {_range([x['ratio'] for x in group if x['variant'] == 'repeated'], '×')} raw "
            "Oxigraph (our cache answers, Oxigraph evaluates every time); each evaluated, "
            + ", ".join(f"{_range(v, '×')} on the {d} data" for d, v in by_data.items())
            + f", with {_range(worker, ' ms')} of query-worker CPU per request: the larger the data, the more the "
              "evaluation itself — the same engine on both sides — outweighs our per-request cost.")
    express = results.get("express")
    if express:
        ask, hit = express["asks"]["each evaluated"], express["asks"]["repeated"]
        out.append(
            f"- **The express lane** answered every cheap ASK ({', '.join(f'{k}: {v}' for k, v in ask['statuses'].items())}) "
            f"while {express['busy_before_asks']} runaways held the regular workers: median {_n(ask['median_ms'], ' ms')}, "
            f"p99 {_n(ask['p99_ms'], ' ms')}. Repeated ASKs — answered by the cache, no worker involved — took "
            f"{_n(hit['median_ms'], ' ms')} (median), p99 {_n(hit['p99_ms'], ' ms')}: most of the wait is for CPU, not "
            "for a worker. The runaways' workers run at the readers' priority (query workers inherit `reader_nice`), "
            f"so {express['busy_before_asks']} processes burning CPU on {cores} cores (1-minute load average "
            f"{express['load1']}, the run's own threads included) leave the reader and the express worker a small "
            "share.")
    pages = results.get("pages", {}).get("rows", [])
    if pages:
        out.append(
            f"- **Pages in the cached state**: {_range([r['req_per_s'] for r in pages], ' req/s')} at c=8, "
            f"{_pct_range([r.get('cache_hit_share') for r in pages])} from the readers' caches, "
            f"{_range([1000 * p for p in (_per_request_ms(r, 'reader') for r in pages) if p is not None], ' µs')} of "
            "reader CPU each.")
    after = results.get("after_write", [])
    if after:
        slower = [r for r in after if r["before_17_ms"] is not None and r["first_median_ms"] > r["before_17_ms"]]
        out.append(
            "- **After a write** the first request of a page computes it again — "
            + ", ".join(f"`{r['page']}` {_n(r['first_median_ms'], ' ms')}" for r in after)
            + " (medians) — and so does the first request that lands on the other reader (*second*): each reader keeps "
              "its own per-state caches."
            + (" Slower than before #17: " + ", ".join(f"`{r['page']}` ({_n(r['first_median_ms'], ' ms')} against "
                                                      f"{_n(r['before_17_ms'], ' ms')})" for r in slower)
               + f"; the figures before #17 were taken in-process, these over HTTP with the machine's 1-minute load "
                 f"average at {_range([r['load1'] for r in after])} on {cores} cores; the pages' queries run in the "
                 "reader itself, on the new snapshot (see the profiles)." if slower else ""))
    scale_lines, scaled = scaling(results)
    del scale_lines
    if scaled:
        busy = max(r["load1"] for r in scaled)
        out.append(
            "- **From 1 to 2 web processes**: " + ", ".join(
                f"{r['scenario']} ({r['variant']}, c={r['concurrency']}) {_n(r['factor'])}×" for r in scaled if r["factor"])
            + f". With one web process its query workers and `wrk` already used the second core (the 1-minute load "
              f"average reached {busy} on {cores} cores, the run's own threads included), so a second reader found "
              "less than a core free: these factors measure the CPU share the server got more than what a core "
              "gives. The CPU cost per request (the *req/s per server core* columns) is the steadier figure, and "
              "projection (b) rests on it.")
    return out


#: Profiles taken by hand when this section was first written (py-spy 0.4.3 on a reader and on the writer's
#: worker, bundled data, 2026-12-07, machine load average 8–14); not rerun by `make bench-serving`.
PROFILES = [
    "*Profiles* (taken by hand with py-spy 0.4.3 on the bundled data, 2026-12-07, load average 8–14; not rerun by "
    "`make bench-serving`): on a reader answering a repeated lookup from its cache, of the time the reader held the "
    "interpreter (`--gil`), 43 % was granian's `proto.response_bytes` (`serving/rsgi.py` line 105), 20 % reading the "
    "empty body of each GET through `asyncio.wait_for` (`_read_body`: one task per request, even with no body), "
    "13 % asyncio's loop, 5 % the request log line and 4 % the Prometheus counter of each hit. On a reader while "
    "updates ran every 0.5 s under 32 readers, the request threads spent their time in page queries run in the "
    "reader itself on the new snapshot (`PublicView.select` → `OxigraphStore.query`, turning bindings into rdflib "
    "terms: 31 %), waiting for a query worker (10 %) or for the per-client share of the pool (7 %), and opening or "
    "closing snapshots (`SnapshotFollower.pin`/`unpin`: 8 %).",
]


def write_section(results: dict) -> Path:
    return replace_section("serving", section(results))


if __name__ == "__main__":
    print(write_section(json.loads(RESULTS.read_text(encoding="utf-8"))))
