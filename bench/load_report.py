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
from bench.server import loadavg


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
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "loadavg": loadavg()}


#: Issue #17's goals for the load test: reads while the writers write keep this share of the reads without them
#: (at each client count); the p99 of the reads at 64 clients; an update's p99 under 32 readers against its
#: latency idle (its median with nothing else running).
GOALS = {"reads_kept": 0.8, "p99_ms_at_64": 1000.0, "update_p99_vs_idle": 2.0}


def goal_rows(results: dict) -> list[dict]:
    """Each goal of issue #17 the run measured: its key, what it asks, what was measured, met or not."""
    rows = []
    alone = {b["clients"]: b for b in results.get("baseline", [])}
    for p in results["phases"]:
        b = alone.get(p["clients"])
        if b and b["req_per_s"]:
            kept = p["reads"]["req_per_s"] / b["req_per_s"]
            rows.append({"key": f"reads_kept_{p['clients']}",
                         "goal": f"reads while writing ≥ {GOALS['reads_kept']:.0%} of reads without writers, "
                                 f"{p['clients']} clients",
                         "measured": f"{kept:.0%} ({p['reads']['req_per_s']:,.1f} vs {b['req_per_s']:,.1f} req/s)",
                         "ok": kept >= GOALS["reads_kept"]})
    for p in results["phases"]:
        if p["clients"] == 64:
            rows.append({"key": "p99_at_64",
                         "goal": f"p99 of the reads ≤ {GOALS['p99_ms_at_64']:,.0f} ms at 64 clients (writers writing)",
                         "measured": f"{p['reads']['p99_ms']:,.1f} ms", "ok": p["reads"]["p99_ms"] <= GOALS["p99_ms_at_64"]})
    reads = [p["reads"] for p in results["phases"]] + results.get("baseline", [])
    writes = [w for p in results["phases"] for w in p["writes"].values()]
    fives = sum(r["status_5xx"] for r in reads) + sum(w["status_5xx"] for w in writes)
    rows.append({"key": "no_5xx", "goal": "no 5xx", "measured": f"{fives} 5xx", "ok": fives == 0})
    lost = [x for p in results["phases"] for x in p["verified"]["lost_submissions"] + p["verified"]["lost_inserts"]]
    after = results.get("after_restart", {})
    lost_after = len(after.get("lost_submissions", [])) + len(after.get("lost_inserts", []))
    rows.append({"key": "no_lost_write", "goal": "no lost write", "measured": f"{len(lost)} lost after the phases, {lost_after} after the restart",
                 "ok": not lost and not lost_after})
    idle, under = results.get("idle_updates"), results.get("updates_under_reads")
    if idle and under and idle["updates"]["writes"] and under["updates"]["writes"]:
        base, loaded = idle["updates"]["p50_ms"], under["updates"]["p99_ms"]
        rows.append({"key": "update_p99", "goal": f"an update's p99 under {under['clients']} readers ≤ {GOALS['update_p99_vs_idle']:g}× its "
                             "idle latency (median)",
                     "measured": f"p99 {loaded:,.1f} ms vs idle median {base:,.1f} ms: {loaded / base:.1f}× (idle p99 "
                                 f"{idle['updates']['p99_ms']:,.1f} ms: {loaded / idle['updates']['p99_ms']:.1f}×)",
                     "ok": loaded <= GOALS["update_p99_vs_idle"] * base})
    return rows


ROLE_ORDER = ("reader", "query worker", "writer worker", "validation worker", "writer", "supervisor")


def _cpu_row(label: str, cpu: dict | None, hit_share: float | None) -> str:
    if not cpu:
        return ""
    roles = cpu["roles"]
    cells = [f"{roles[r]['core_pct']:.0f}" if r in roles else "—" for r in ROLE_ORDER]
    share = f"{hit_share:.0%}" if hit_share is not None else "—"
    return (f"| {label} | " + " | ".join(cells) + f" | {cpu['server_core_pct']:.0f} | {cpu['load_generator_core_pct']:.0f} | "
            f"{cpu['bench_process_core_pct']:.0f} | {share} |")


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
        "## Goals (issue #17)", "",
        "| goal | measured | verdict |", "|---|---|---|",
        *[f"| {g['goal']} | {g['measured']} | {'met' if g['ok'] else '**missed**'} |" for g in goal_rows(results)], "",
        "## Reads while writing", "",
        f"Each phase: `wrk` with that many connections for {results['duration_s']:g} s (closed loop: a connection "
        "sends its next request when the answer comes), each request drawn at random from [the mix](#the-mix) by "
        "weight, while the [writers](#writes-and-what-was-found-again) write. Latency is per request over the whole "
        "mix; throughput counts every answer.", "", *READS_HEAD,
        *[_reads_row(p["clients"], p["reads"]) for p in phases], ""]
    if results.get("baseline"):
        lines += ["The same reads with no writer, just before (a third of the duration at each count), for comparison:",
                  "", *READS_HEAD, *[_reads_row(b["clients"], b) for b in results["baseline"]], ""]
    cpu_rows = [_cpu_row(f"{b['clients']} clients, reads only", b.get("cpu"), b.get("cache_hit_share"))
                for b in results.get("baseline", [])]
    cpu_rows += [_cpu_row(f"{p['clients']} clients, writers writing", p.get("cpu"), p["reads"].get("cache_hit_share"))
                 for p in phases]
    under = results.get("updates_under_reads")
    if under:
        cpu_rows.append(_cpu_row(f"{under['clients']} clients, updates only", under.get("cpu"), None))
    if any(cpu_rows):
        lines += ["## Where the CPU went", "",
                  "CPU of each role of the server's process tree (sampled from `/proc` twice a second, "
                  "`bench/procs.py`), in % of one core over the phase (200 = both cores of this machine); the load "
                  "generator is `wrk`, the bench process the writer threads and the partner node; *answered by the cache* "
                  "is the share of the reads our readers' per-state caches answered (`tscgraph_cache_hit_total`, and "
                  "`tscgraph_cache_stale_total`: the state just before a write, given while the new answer is computed).", "",
                  "| phase | " + " | ".join(ROLE_ORDER) + " | server | load generator | bench process | answered by the cache |",
                  "|---|" + "---:|" * (len(ROLE_ORDER) + 4),
                  *[r for r in cpu_rows if r], ""]
    idle = results.get("idle_updates")
    if idle and under:
        head = ("| when | updates | p50 ms | p90 ms | p99 ms | max ms | statuses |", "|---|---:|---:|---:|---:|---:|---|")

        def _u(label: str, u: dict) -> str:
            return (f"| {label} | {u['writes']} | {_ms(u['p50_ms'])} | {_ms(u['p90_ms'])} | {_ms(u['p99_ms'])} | "
                    f"{_ms(u['max_ms'])} | " + ", ".join(f"{k}: {v}" for k, v in u["statuses"].items()) + " |")
        lines += ["## An update's latency, idle and under readers", "",
                  "SPARQL Update (`POST /update`, `INSERT DATA` of one actor, with the bearer token), timed by the "
                  "client: first one after the other with nothing else running; then every 0.1 s while "
                  f"{under['clients']} `wrk` connections read the mix for {under['duration_s']:g} s and no other writer "
                  f"writes (the reads meanwhile: {under['reads']['req_per_s']:,.1f} req/s, p99 "
                  f"{_ms(under['reads']['p99_ms'])} ms). Under the writers of the phases below, an update also waits "
                  "for the harvests and submissions before it (one write at a time): those figures are in the writes "
                  "table.", "", *head, _u("idle", idle["updates"]), _u(f"under {under['clients']} readers", under["updates"]),
                  *[_u(f"{p['clients']} clients, writers writing", p["writes"]["updates"]) for p in phases], ""]
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
              f"- Server: `tscgraph serve` (default process model): {s['server']}; query_workers {s['query_workers']} "
              f"(processes, per reader), query_queue_wait {s['query_queue_wait_s']:g} s, query_time_limit "
              f"{s['query_time_limit_s']:g} s; {s['store']}; {s['data']}, {s['triples']:,} triples at the start. "
              "The phases run one after the other on the same server, so the store grows with the writes.",
              f"- cache_stale_seconds {s.get('cache_stale_seconds', 0):g} (off by default): for that long after a "
              "write the readers may answer an anonymous read from the state just before it while one of them "
              "computes the new answer (docs/architecture.md); the writers read their own writes with their token.",
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


WRITER_ROLES = ("writer", "writer worker", "validation worker")


def _roles_pct(cpu: dict | None, *roles: str) -> float:
    if not cpu:
        return 0.0
    return sum(cpu["roles"][r]["core_pct"] for r in roles if r in cpu["roles"])


def reading(results: dict) -> list[str]:
    """A few sentences computed from the figures (the page is regenerated: no number is written by hand)."""
    phases, cores = results["phases"], results["machine"]["cores"]
    if not phases:
        return []
    first, last = phases[0], phases[-1]
    r0, r1 = first["reads"], last["reads"]
    readers = results["server"].get("web_processes", 1)
    out = []
    if len(phases) > 1 and r0["req_per_s"]:
        ratio = r1["req_per_s"] / r0["req_per_s"]
        trend = "stays flat" if 0.8 <= ratio <= 1.25 else ("grows" if ratio > 1 else "falls")
        cpu = last.get("cpu")
        where = ""
        if cpu:
            where = (f" At {last['clients']} clients the {readers} readers used {_roles_pct(cpu, 'reader'):.0f}% of a core, "
                     f"their query workers {_roles_pct(cpu, 'query worker'):.0f}%, the writer and its validation workers "
                     f"{_roles_pct(cpu, *WRITER_ROLES):.0f}%, `wrk` "
                     f"{cpu['load_generator_core_pct']:.0f}% and the writer threads of this test "
                     f"{cpu['bench_process_core_pct']:.0f}%, out of the {100 * cores}% of this machine's {cores} cores "
                     "(other people's work took the rest: see the load averages below).")
        out.append(
            f"- **Throughput {trend} with concurrency**: {r0['req_per_s']:,.0f} req/s at {first['clients']} clients, "
            f"{r1['req_per_s']:,.0f} at {last['clients']} ({ratio:.2f}×).{where} Past saturation more clients only queue.")
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
        hits = [(p["reads"].get("cache_hit_share"), b.get("cache_hit_share")) for p, b in pairs]
        why = ""
        if all(h is not None and a is not None for h, a in hits):
            writer_side = ", ".join(f"{_roles_pct(p.get('cpu'), *WRITER_ROLES):.0f}%" for p, _b in pairs)
            why = (" The readers' caches answered "
                   + ", ".join(f"{a:.0%}" for _h, a in hits) + " of the reads with no writer and "
                   + ", ".join(f"{h:.0%}" for h, _a in hits)
                   + " while writing: each public write changes the public state, so each busy page and query is "
                     f"computed afresh — once for the {readers} readers, which share what they compute, while they "
                     "answer from the state just before — and the writer's side (writer, validation workers) takes CPU "
                     f"of the same cores ({writer_side} of a core).")
        out.append(
            "- **What the writes cost the reads**: "
            + "; ".join(f"at {p['clients']} clients {b['req_per_s']:,.0f} req/s with no writer, "
                        f"{p['reads']['req_per_s']:,.0f} while writing ({p['reads']['req_per_s'] / b['req_per_s']:.0%})"
                        for p, b in pairs) + "." + why)
    slow = max(phases, key=lambda p: p["reads"]["p99_ms"])
    quiet = alone.get(slow["clients"])
    out.append(
        f"- **The tail** (p99 {slow['reads']['p99_ms']:,.0f} ms at {slow['clients']} clients, max "
        f"{slow['reads']['max_ms']:,.0f} ms"
        + (f"; {quiet['p99_ms']:,.0f} ms with no writer" if quiet else "")
        + ") is the requests that wait for the CPU (and each reader's interpreter) behind the pages being rendered "
          "afresh after each write (the home page's charts, the GBF coverage, the listings) and behind the "
          "SPARQL queries sent by POST, which no cache answers.")
    writes = sum(_writes_done(p) for p in phases)
    lost = sum(len(p["verified"]["lost_submissions"]) + len(p["verified"]["lost_inserts"]) for p in phases)
    fives = sum(w["status_5xx"] for p in phases for w in p["writes"].values())
    idle = results.get("idle_updates")
    latency = ""
    if idle and idle["updates"]["writes"]:
        latency = (f" A SPARQL Update took {idle['updates']['p50_ms']:,.0f} ms (median) with nothing else running and "
                   + ", ".join(f"{p['writes']['updates']['p50_ms']:,.0f} ms at {p['clients']} clients"
                               for p in phases if p["writes"]["updates"].get("writes"))
                   + " among the writers: writes reach the writer without waiting for a reader's thread, but one write "
                     "runs at a time (an update waits for the harvest or submission before it) and the writer shares "
                     "the cores with the readers.")
    out.append(
        f"- **Writes kept going under every load**: {writes} acknowledged writes in all, {lost} lost, {fives} answered "
        "with a 5xx." + latency)
    return out
