"""The load test's report (``bench/load.py``): the machine it ran on, the progress line of each phase, and
``docs/load.md`` with the raw figures beside it in ``docs/load.json`` — including the few sentences that read
the figures, computed from them so that the page never carries a number written by hand.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path

from bench import peers
from bench.load_reads import SOURCE


def describe_machine() -> dict:
    cpu, mem_kb = "unknown", 0
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), cpu)
        mem_kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        pass
    try:
        distro = next(ln.split("=", 1)[1].strip('"') for ln in Path("/etc/os-release").read_text().splitlines()
                      if ln.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        distro = ""
    versions = {}
    for package in ("pyoxigraph", "rdflib", "pyshacl", "flask", "granian", "requests"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    wrk = peers.ensure_wrk()
    wrk_version = ""
    if wrk:
        proc = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=30)
        found = re.search(r"wrk (\S+)", proc.stdout + proc.stderr)
        wrk_version = found.group(1) if found else "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "os": f"{distro} ({platform.platform()})" if distro else platform.platform(),
            "python": platform.python_version(), "packages": versions, "wrk": wrk_version,
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "loadavg": [round(x, 2) for x in os.getloadavg()]}


def format_phase(p: dict) -> str:
    r, v, w = p["reads"], p["verified"], p["writes"]
    return (f"c={p['clients']:<3} {r['req_per_s']:>8.1f} req/s  p50 {r['p50_ms']:>7.1f} ms  p99 {r['p99_ms']:>8.1f} ms  "
            f"n={r['requests']} statuses={r['statuses']} | harvests {v['harvest_runs']}/{w['harvest']['accepted']}, "
            f"submissions {v['submissions']}/{len(p['submissions'])}, inserts {v['inserts']}/{len(p['inserts'])}, "
            f"healthy={p['healthy']}")


def _ms(x: float) -> str:
    return f"{x:,.1f}"


def _reads_row(clients: int, r: dict) -> str:
    return (f"| {clients} | {r['requests']:,} | {r['req_per_s']:,.1f} | {_ms(r['p50_ms'])} | {_ms(r['p90_ms'])} | "
            f"{_ms(r['p99_ms'])} | {_ms(r['max_ms'])} | {r['classes'].get('2xx', 0):,} | {r['non_2xx']} | "
            f"{r['status_5xx']} | {r['socket_errors'] + r['timeouts']} |")


READS_HEAD = ["| clients | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | 2xx | non-2xx | 5xx | socket errors |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]


def _writes_done(p: dict) -> int:
    return len(p["submissions"]) + len(p["inserts"]) + len(p["harvested_versions"])


def write_report(results: dict, out: Path, command: str, found: list[str]) -> None:
    """``out`` (Markdown) and the raw figures beside it (same name, ``.json``); ``found``: what
    :func:`bench.load.problems` found in ``results`` (the verdict)."""
    m, s, phases = results["machine"], results["server"], results["phases"]
    raw = out.with_suffix(".json").name
    lines = [
        "# Load test", "",
        f"Produced by `{command}` (`make load`, `bench/load.py`) on {m['date']}; regenerated at each run, the raw "
        f"figures in [`{raw}`]({raw}). The short form (8 and 32 clients, 5 s each) runs in the test suite: "
        "`tests/test_load.py`.", "",
        "## Verdict", "",
        ("**Passed**: no 5xx and no other non-2xx answer to any read or write, no socket error, no lost write; the "
         "server healthy after every phase, and every write found again in the store after the server stopped."
         if not found else "**FAILED**:\n\n" + "\n".join(f"- {x}" for x in found)), "",
        "## Reads while writing", "",
        f"Each phase: `wrk` with that many connections for {results['duration_s']:g} s (closed loop: a connection "
        "sends its next request when the answer comes), each request drawn at random from [the mix](#the-mix) by "
        "weight, while the [writers](#writes-and-what-was-found-again) write. Latency is per request over the whole "
        "mix; throughput counts every answer.", "", *READS_HEAD,
        *[_reads_row(p["clients"], p["reads"]) for p in phases], ""]
    if results.get("baseline"):
        lines += ["The same reads with no writer, just before (a third of the duration at each count), for comparison:",
                  "", *READS_HEAD, *[_reads_row(b["clients"], b) for b in results["baseline"]], ""]
    lines += ["## Writes, and what was found again", "",
              f"Four writer threads per phase, each writing then pausing {results['write_pause_s']:g} s, again and again "
              "from the start to the end of the phase (a write under way at the end finishes): one harvester "
              f"(`POST /harvest/{SOURCE}/check` with the bearer token; it then polls `/harvest/{SOURCE}?format=json` until "
              "the run ends and reads the graph back with `GET /data`), two submitters (`GET /submit/project`, then "
              "`POST` of the form with its CSRF token), one updater (`POST /update`, `INSERT DATA` of one actor, with "
              "the bearer token). The partner is an HTTP server on 127.0.0.1 in the load process; each of its versions "
              "has one actor and 2–5 projects whose titles carry the version, so every run changes records and "
              "replaces the harvest graph.", "",
              "*Done*: acknowledged by the server (303 to a status page, 200, 202). *Verified*: found again after the "
              "phase — each submission pending on its status page with its title, each inserted actor in the local "
              "graph, each harvest run `ok` with the partner's triple count and its graph isomorphic to exactly what "
              "the partner served that run.", "",
              "| clients | writes/s | harvests done / verified | submissions done / verified | inserts done / verified "
              "| write 5xx | submission POST p50 / max ms | insert p50 / max ms |",
              "|---|---|---|---|---|---|---|---|"]
    for p in phases:
        w, v = p["writes"], p["verified"]
        subs = [w["submissions-1"], w["submissions-2"]]
        lines.append(
            f"| {p['clients']} | {_writes_done(p) / p['duration_s']:.1f} | {w['harvest']['accepted']} / "
            f"{v['harvest_runs']} | {len(p['submissions'])} / {v['submissions']} | {len(p['inserts'])} / {v['inserts']} "
            f"| {sum(x['status_5xx'] for x in w.values())} | {_ms(max(x['p50_ms'] for x in subs))} / "
            f"{_ms(max(x['max_ms'] for x in subs))} | {_ms(w['updates']['p50_ms'])} / {_ms(w['updates']['max_ms'])} |")
    after, log = results["after_restart"], results["harvest_log"]
    lines += ["", f"After the last phase the server was stopped and the store read from disk: {after['submissions']} of "
                  f"{sum(len(p['submissions']) for p in phases)} submissions pending in their private graphs, "
                  f"{after['inserts']} of {sum(len(p['inserts']) for p in phases)} inserted actors in the local graph, "
                  f"the harvest graph {'equal to' if after['harvest_graph_whole'] else 'NOT equal to'} the partner's last "
                  f"version. The harvest log holds {sum(log['after'].values())} runs of the source "
                  f"({log['accepted']} started by this run), by outcome: "
                  + ", ".join(f"{k} {n}" for k, n in sorted(log["after"].items())) + ".", "",
              "## What the figures say", "", *reading(results), "",
              "## The mix", "",
              f"Weights are out of {sum(r['weight'] for r in results['mix'])}. Before the load each request was asked "
              "once and had to answer 200, in the media type asked for, with a body.", "",
              "| request | kind | method and request | Accept | weight |", "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['kind']} | {r['method']} `{r['request']}` | `{r['accept']}` | {r['weight']} |"
              for r in results["mix"]]
    lines += ["", "## The machine and the server", "",
              f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}.",
              f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
              + (f"; wrk {m['wrk']}" if m.get("wrk") else "") + ".",
              f"- Load average (1, 5, 15 min) before the run: {', '.join(map(str, m['loadavg']))} (other work on the "
              "machine shows here); 1-min load average before → after each phase: "
              + "; ".join(f"c={p['clients']}: {p['loadavg_before'][0]} → {p['loadavg_after'][0]}" for p in phases) + ".",
              "- The load generator (wrk, 2 threads) and the writers run on the same machine as the server, over "
              "loopback: they take CPU from it.",
              f"- Server: `tscgraph serve`, {s['server']}; query_workers {s['query_workers']} "
              f"(processes), query_queue_wait {s['query_queue_wait_s']:g} s, query_time_limit "
              f"{s['query_time_limit_s']:g} s; {s['store']}; {s['data']}, {s['triples']:,} triples at the start. "
              "The phases run one after the other on the same server, so the store grows with the writes.",
              f"- rate_limit raised to {s['rate_limit']:,} POSTs per window: every request comes from 127.0.0.1, and "
              "the per-address limit (20 a minute by default) would turn the writers' POSTs into 429s within seconds; "
              "a deployment's visitors come from many addresses, and the limiter has its own tests "
              "(`tests/test_abuse.py`).",
              "- Server memory (whole process tree) after each phase: "
              + "; ".join(f"c={p['clients']}: {p['server_memory']['rss_mib']} MiB in "
                          f"{p['server_memory']['processes']} processes" for p in phases) + ".",
              f"- Reads sent by `{phases[0]['reads']['tool']}`." if phases else "", ""]
    out.write_text("\n".join(lines), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({**results, "command": command, "problems": found}, indent=1) + "\n",
                                        encoding="utf-8")


def reading(results: dict) -> list[str]:
    """A few sentences computed from the figures (the page is regenerated: no number is written by hand)."""
    phases, cores = results["phases"], results["machine"]["cores"]
    if not phases:
        return []
    first, last = phases[0], phases[-1]
    r0, r1 = first["reads"], last["reads"]
    threads = results["server"]["server_threads"]
    out = []
    if len(phases) > 1 and r0["req_per_s"]:
        ratio = r1["req_per_s"] / r0["req_per_s"]
        trend = "stays flat" if 0.8 <= ratio <= 1.25 else ("grows" if ratio > 1 else "falls")
        out.append(
            f"- **Throughput {trend} with concurrency**: {r0['req_per_s']:,.0f} req/s at {first['clients']} clients, "
            f"{r1['req_per_s']:,.0f} at {last['clients']} ({ratio:.2f}×). One web process with {threads} threads "
            f"renders every page, relays every query to the query workers and validates every write; Python runs one "
            f"of them at a time, and the load generator and the writers share the machine's {cores} cores with it. "
            "Past saturation more clients only queue.")
        out.append(
            f"- **Latency grows with the queue**: p50 {r0['p50_ms']:,.1f} → {r1['p50_ms']:,.1f} ms and p99 "
            f"{r0['p99_ms']:,.1f} → {r1['p99_ms']:,.1f} ms from {first['clients']} to {last['clients']} clients. In a "
            "closed loop the mean latency is clients ÷ throughput (Little's law): "
            + "; ".join(f"{p['clients']} ÷ {p['reads']['req_per_s']:,.0f} req/s = "
                        f"{1000 * p['clients'] / p['reads']['req_per_s']:,.0f} ms (measured mean "
                        f"{p['reads']['mean_ms']:,.0f} ms)" for p in phases if p["reads"]["req_per_s"]) + ".")
    alone = {b["clients"]: b for b in results.get("baseline", [])}
    pairs = [(p, alone[p["clients"]]) for p in phases if p["clients"] in alone and alone[p["clients"]]["req_per_s"]]
    if pairs:
        out.append(
            "- **What the writes cost the reads**: "
            + "; ".join(f"at {p['clients']} clients {b['req_per_s']:,.0f} req/s with no writer, "
                        f"{p['reads']['req_per_s']:,.0f} while writing ({p['reads']['req_per_s'] / b['req_per_s']:.0%})"
                        for p, b in pairs)
            + ". The writes are few, but each is expensive where the reads are served: its SHACL validation "
              "(pyshacl, pure Python) runs in the web process and holds the interpreter while it runs, and each write "
              "renews the query snapshots and starts fresh per-state page caches, so the next pages are rendered "
              "again.")
    slow = max(phases, key=lambda p: p["reads"]["p99_ms"])
    out.append(
        f"- **The tail** (p99 {slow['reads']['p99_ms']:,.0f} ms at {slow['clients']} clients, max "
        f"{slow['reads']['max_ms']:,.0f} ms) is the requests that arrive while a write's validation or a page "
        "rendered afresh (the home page's charts, the GBF coverage) holds the interpreter.")
    writes = sum(_writes_done(p) for p in phases)
    out.append(
        f"- **Writes kept going under every load**: {writes} acknowledged writes in all, none lost, none answered "
        "with an error. Their latency is mostly the wait for a free server thread among the readers' requests "
        "(writers have no priority).")
    return out
