"""The load test: mixed reads at several concurrencies while a harvest, submissions and updates write.

``python -m bench.load [--clients 8 32 64] [--duration 60] [--out docs/load.md]`` (``make load``):

1. starts a real server (``tscgraph setup`` + ``tscgraph serve``, granian) on a temporary store with the
   bundled data, writes enabled with a fresh bearer token, one harvest source — a partner node on
   127.0.0.1 (a small HTTP server in this process) whose records change at every fetch, so every harvest
   really replaces its graph — and ``rate_limit`` raised: all the load comes from one address, 127.0.0.1,
   which the per-address limit would otherwise throttle after 20 POSTs a minute (a deployment sees many
   addresses; the limiter has its own tests);
2. for each client count, for ``duration`` seconds: ``wrk`` sends the read mix (:data:`READS`, chosen at
   random by weight: pages, canned queries, ad-hoc SPARQL GET and POST in several result formats, content
   negotiation on record IRIs) over that many connections, counting every status in Lua; meanwhile
   Python threads write: one harvester (``POST /harvest/NAME/check``, then waits for the run to end and
   checks the harvest graph against what the partner served), two submitters (the project form: GET,
   CSRF token, POST) and one updater (SPARQL Update ``INSERT DATA`` with the token);
3. after each phase checks that no read and no write got a 5xx, that no acknowledged write was lost
   (every submission pending on its status page, every inserted record queryable, every harvest run in
   the harvest log with its graph equal to the partner's), and that the server is healthy; after the last
   phase it stops the server and checks the same writes in the store itself, read back from disk.

Before the phases (``make load``; off in the suite's short form): an update's latency with nothing else running
(``--idle-updates`` SPARQL Updates one after the other), the reads alone at each client count (the baseline the
phases are compared with), and updates every 0.1 s under ``--update-clients`` readers and no other writer. During
every phase the CPU of each role of the server's process tree is sampled (``bench/procs.py``: readers, query
workers, the writer's worker, validation workers…), and the share of reads the readers' caches answered is read
from ``/metrics``; ``docs/load.md`` judges issue #17's goals from these figures (``bench/load_report.py``).

:func:`run_load` returns every figure and :func:`problems` what failed; ``main`` writes ``docs/load.md`` and
``docs/load.json``. ``tests/test_load.py`` runs the same code, shorter, in the suite. Every loop is bounded
(in time and in count) and all traffic stays on 127.0.0.1. ``wrk`` comes from Debian
(:func:`bench.peers.ensure_wrk`); without it a bounded Python generator sends the same mix.

This module starts the server, runs the phases and judges them; the rest lives beside it:
``bench/load_reads.py`` (the mix and the two generators that send it), ``bench/load_writes.py`` (the partner
node, the writers and the checks that find the writes again) and ``bench/load_report.py`` (the machine, the
report and the sentences that read it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import peers
from bench.load_reads import READS, SOURCE, check_mix, mix_row, run_reads
from bench.load_report import describe_machine, format_phase, goal_rows, write_report
from bench.load_writes import (
    HARVEST_TIMEOUT,
    WRITE_TIMEOUT,
    HarvestWriter,
    Partner,
    SubmissionWriter,
    UpdateWriter,
    harvest_log,
    healthy,
    select,
    verify_inserts,
    verify_store,
    verify_submissions,
)
from bench.procs import CpuMeter, format_cpu, server_roles
from bench.server import cache_hits, loadavg

ROOT = peers.ROOT
#: What the load's server runs with, beyond the token and the sources file (see the module docstring).
RATE_LIMIT = 1_000_000
#: Seconds after a write the readers may answer from the state before (``cache_stale_seconds``, off by default):
#: a busy public site's setting; the load's writers send their token or session with their own reads.
STALE_SECONDS = 10


# ------------------------------------------------------------------ the server and the phases


@dataclass
class LoadServer:
    server: peers.Server
    store_dir: Path
    settings: dict
    token: str

    @property
    def base(self) -> str:
        return self.server.base


def start(work: Path, **extra: str) -> LoadServer:
    """``tscgraph setup`` (bundled data) then ``tscgraph serve`` on a free loopback port, with a fresh write token,
    the partner as harvest source and the rate limit raised (see the module docstring)."""
    token = secrets.token_urlsafe(24)
    sources = work / "sources.toml"
    settings = {"STORE_DIR": str(work / "store"), "UPDATE_TOKENS": "sha256:" + hashlib.sha256(token.encode()).hexdigest(),
                "HARVEST_SOURCES": str(sources), "RATE_LIMIT": str(RATE_LIMIT),
                "CACHE_STALE_SECONDS": str(STALE_SECONDS),
                **{k.upper(): str(v) for k, v in extra.items()}}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSCGRAPH_")}
    env.update({"TSCGRAPH_" + k: v for k, v in settings.items()})
    tscgraph = peers.our_bin("tscgraph")
    peers.run_command([tscgraph, "setup"], env=env, timeout=600)
    port = peers.free_port()
    base = f"http://127.0.0.1:{port}"
    server = peers.spawn_server("tscgraph", [tscgraph, "serve", "--host", "127.0.0.1", "--port", port],
                                work / "server.log", base + "/sparql", base, env=env)
    peers.wait_ready(server, base + "/health")
    return LoadServer(server, work / "store", settings, token)


def server_settings(srv: LoadServer) -> dict:
    from graph.settings import load_settings

    s = load_settings(environ={"TSCGRAPH_" + k: v for k, v in srv.settings.items()})
    readers = s.web_processes or os.cpu_count() or 1
    found = {role: len(pids) for role, pids in server_roles(srv.server.process.pid).items()}
    return {"server": f"the supervisor, {readers} reader process(es) (granian RSGI, {s.server_threads} application threads "
                      f"each, {s.query_workers} query workers + {s.query_express_workers} express worker each), the writer "
                      f"({s.validation_workers} validation workers)",
            "web_processes": readers, "processes": found, "server_threads": s.server_threads,
            "query_express_workers": s.query_express_workers, "validation_workers": s.validation_workers,
            "query_workers": s.query_workers, "query_queue_wait_s": s.query_queue_wait,
            "query_time_limit_s": s.query_time_limit, "rate_limit": s.rate_limit,
            "cache_stale_seconds": s.cache_stale_seconds, "store": "embedded (pyoxigraph, RocksDB)",
            "data": "the bundled data (tscgraph setup)",
            "triples": int(select(srv.base, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]["value"])}


def phase(srv: LoadServer, partner: Partner, clients: int, duration_s: float, tool: str = "auto",
          pause_s: float = 1.0, log=print) -> dict:
    """``clients`` concurrent readers for ``duration_s`` while the writers write (each pausing ``pause_s`` between
    two writes); then the checks of this phase."""
    label = f"c{clients}"
    harvester = HarvestWriter(srv.base, srv.token, label, pause_s=pause_s, partner=partner)
    writers = {"harvest": harvester,
               "submissions-1": SubmissionWriter(srv.base, srv.token, label + "a", pause_s=pause_s),
               "submissions-2": SubmissionWriter(srv.base, srv.token, label + "b", pause_s=pause_s),
               "updates": UpdateWriter(srv.base, srv.token, label, pause_s=pause_s)}
    load_before = loadavg()
    deadline = time.monotonic() + duration_s
    threads = [threading.Thread(target=w.run, args=(deadline,), name=f"load-{name}", daemon=True)
               for name, w in writers.items()]
    meter = CpuMeter(srv.server.process.pid).start()
    hits = cache_hits(srv.base)
    for t in threads:
        t.start()
    try:
        reads = run_reads(srv.base, clients, duration_s, tool)
    finally:
        cpu = meter.stop()
        reads["cache_hit_share"] = round((cache_hits(srv.base) - hits) / reads["requests"], 3) if reads["requests"] else 0.0
        for t in threads:
            t.join(timeout=duration_s + HARVEST_TIMEOUT + 2 * WRITE_TIMEOUT)
    stuck = [t.name for t in threads if t.is_alive()]
    submissions = writers["submissions-1"].accepted + writers["submissions-2"].accepted
    lost_submissions = verify_submissions(srv.base, submissions)
    lost_inserts = verify_inserts(srv.base, writers["updates"].accepted)
    result = {
        "clients": clients, "duration_s": duration_s, "reads": reads,
        "writes": {name: w.figures() for name, w in writers.items()},
        "verified": {"submissions": len(submissions) - len(lost_submissions), "lost_submissions": lost_submissions,
                     "inserts": len(writers["updates"].accepted) - len(lost_inserts), "lost_inserts": lost_inserts,
                     "harvest_runs": len(harvester.verified)},
        "submissions": submissions, "inserts": writers["updates"].accepted, "harvested_versions": harvester.accepted,
        "stuck_writers": stuck, "healthy": healthy(srv.base) and srv.server.process.poll() is None,
        "loadavg_before": load_before, "loadavg_after": loadavg(),
        "server_memory": srv.server.memory(), "cpu": cpu,
    }
    log(format_phase(result) + "\n    CPU, % of a core: " + format_cpu(cpu))
    return result


def idle_updates(srv: LoadServer, count: int) -> dict:
    """``count`` SPARQL Updates (one actor each) one after the other, nothing else running: the idle latency."""
    writer = UpdateWriter(srv.base, srv.token, "idle", pause_s=0.0, max_writes=count)
    meter = CpuMeter(srv.server.process.pid).start()
    writer.run(time.monotonic() + count * WRITE_TIMEOUT)
    return {"updates": writer.figures(), "inserts": writer.accepted, "cpu": meter.stop()}


def updates_under_reads(srv: LoadServer, clients: int, duration_s: float, tool: str = "auto", pause_s: float = 0.1) -> dict:
    """SPARQL Updates (one actor each, ``pause_s`` apart) while ``clients`` readers read the mix and no other writer
    writes: the update's latency under readers alone."""
    writer = UpdateWriter(srv.base, srv.token, f"r{clients}", pause_s=pause_s)
    thread = threading.Thread(target=writer.run, args=(time.monotonic() + duration_s - 1,), name="load-updates", daemon=True)
    meter = CpuMeter(srv.server.process.pid).start()
    thread.start()
    try:
        reads = run_reads(srv.base, clients, duration_s, tool)
    finally:
        cpu = meter.stop()
        thread.join(timeout=duration_s + 2 * WRITE_TIMEOUT)
    lost = verify_inserts(srv.base, writer.accepted)
    return {"clients": clients, "duration_s": duration_s, "reads": reads, "updates": writer.figures(),
            "inserts": writer.accepted, "lost_inserts": lost, "cpu": cpu, "stuck": thread.is_alive()}


def run_load(clients=(8, 32, 64), duration_s: float = 60, *, pause_s: float = 1.0, baseline: bool = False,
             idle_update_count: int = 0, update_clients: int = 32, workdir: Path | None = None, tool: str = "auto",
             log=print) -> dict:
    """The whole load test (see the module docstring); returns every figure. Writes nothing outside ``workdir``.

    ``baseline``: first, the same reads with no writer, at each client count for a third of ``duration_s``
    (what the writes cost the reads). ``idle_update_count``: first of all, that many SPARQL Updates with nothing
    else running, then (with the baseline) updates under ``update_clients`` readers and no other writer for a
    third of ``duration_s`` — an update's latency idle and under readers."""
    results: dict = {"clients": list(clients), "duration_s": duration_s, "write_pause_s": pause_s,
                     "machine": describe_machine(), "mix": [mix_row(r) for r in READS], "baseline": [], "phases": []}
    with tempfile.TemporaryDirectory(prefix="tscgraph-load-", dir=workdir) as tmp, Partner() as partner:
        work = Path(tmp)
        (work / "sources.toml").write_text(
            f'[[source]]\nname = "{SOURCE}"\nkind = "rdf"\nurl = "{partner.url}"\nschedule = "1h"\n'
            "allow_private_addresses = true  # the partner node runs on loopback, beside the server\n", encoding="utf-8")
        t0 = time.monotonic()
        srv = start(work)
        try:
            results["server"] = server_settings(srv)
            log(f"server up in {time.monotonic() - t0:.1f} s at {srv.base}")
            results["mix_check"] = check_mix(srv.base)
            if idle_update_count:
                results["idle_updates"] = idle_updates(srv, idle_update_count)
                log(f"idle updates: {results['idle_updates']['updates']}")
            for read in READS:  # warm-up: the per-state caches filled, the query workers started
                for _ in range(3):
                    requests.request(read.method, srv.base + read.path, data=read.body, headers=read.headers, timeout=60)
            for count in clients if baseline else ():
                meter, hits = CpuMeter(srv.server.process.pid).start(), cache_hits(srv.base)
                reads = run_reads(srv.base, count, max(1.0, duration_s / 3), tool)
                reads["cpu"] = meter.stop()
                reads["cache_hit_share"] = round((cache_hits(srv.base) - hits) / reads["requests"], 3) if reads["requests"] else 0.0
                results["baseline"].append({"clients": count, "duration_s": max(1.0, duration_s / 3), **reads})
                log(f"c={count:<3} {reads['req_per_s']:>8.1f} req/s  p50 {reads['p50_ms']:>7.1f} ms  "
                    f"p99 {reads['p99_ms']:>8.1f} ms  reads only, statuses={reads['statuses']}")
            if idle_update_count:
                results["updates_under_reads"] = under = updates_under_reads(srv, update_clients, max(3.0, duration_s / 3),
                                                                             tool)
                log(f"updates under {update_clients} readers and no other writer: {under['updates']}; reads "
                    f"{under['reads']['req_per_s']} req/s; CPU, % of a core: {format_cpu(under['cpu'])}")
            log_before = harvest_log(srv.base)
            for count in clients:
                results["phases"].append(phase(srv, partner, count, duration_s, tool, pause_s, log))
            runs = harvest_log(srv.base)
            accepted = sum(len(p["harvested_versions"]) for p in results["phases"])
            results["harvest_log"] = {"before": log_before, "after": runs, "accepted": accepted}
        finally:
            peers.terminate_server(srv.server)
        versions = [v for p in results["phases"] for v in p["harvested_versions"]]
        inserts = [i for p in results["phases"] for i in p["inserts"]]
        inserts += [i for key in ("idle_updates", "updates_under_reads") for i in results.get(key, {}).get("inserts", [])]
        results["after_restart"] = verify_store(srv.store_dir, [tuple(s) for p in results["phases"] for s in p["submissions"]],
                                                inserts, versions[-1] if versions else None)
    results["goals"] = goal_rows(results)
    return results


def problems(results: dict) -> list[str]:
    """What the run proves wrong: any 5xx, any read that was not a 2xx, any socket error, any lost or failed write,
    a stuck writer, an unhealthy server. Empty: the run passed."""
    out = []
    phases = [(f"c={b['clients']} (reads only)", b) for b in results.get("baseline", [])]
    phases += [(f"c={p['clients']}", p["reads"]) for p in results["phases"]]
    for c, reads in phases:
        if reads["status_5xx"] or reads["non_2xx"]:
            out.append(f"{c}: reads answered {reads['statuses']}")
        if reads["socket_errors"] or reads["timeouts"]:
            out.append(f"{c}: {reads['socket_errors']} socket errors, {reads['timeouts']} timeouts")
        if reads["requests"] == 0:
            out.append(f"{c}: no read completed")
    for p in results["phases"]:
        c = p["clients"]
        for name, w in p["writes"].items():
            if w["status_5xx"] or w["failures"]:
                out.append(f"c={c}: {name}: statuses {w['statuses']}, failures {w['failures'][:3]}")
        v = p["verified"]
        if v["lost_submissions"] or v["lost_inserts"]:
            out.append(f"c={c}: lost writes: submissions {v['lost_submissions'][:5]}, inserts {v['lost_inserts'][:5]}")
        if v["harvest_runs"] != len(p["harvested_versions"]):
            out.append(f"c={c}: {len(p['harvested_versions'])} harvests started, {v['harvest_runs']} verified")
        if p["stuck_writers"]:
            out.append(f"c={c}: writers still running after the phase: {p['stuck_writers']}")
        if not p["healthy"]:
            out.append(f"c={c}: the server is not healthy after the phase")
    idle = results.get("idle_updates")
    if idle is not None and (idle["updates"]["status_5xx"] or idle["updates"]["failures"]):
        out.append(f"idle updates: statuses {idle['updates']['statuses']}, failures {idle['updates']['failures'][:3]}")
    under = results.get("updates_under_reads")
    if under is not None:
        reads, updates = under["reads"], under["updates"]
        if reads["status_5xx"] or reads["non_2xx"] or reads["socket_errors"] or reads["timeouts"]:
            out.append(f"updates under reads: reads answered {reads['statuses']}, {reads['socket_errors']} socket errors")
        if updates["status_5xx"] or updates["failures"] or under["lost_inserts"] or under["stuck"]:
            out.append(f"updates under reads: statuses {updates['statuses']}, failures {updates['failures'][:3]}, "
                       f"lost {under['lost_inserts'][:5]}")
    log = results.get("harvest_log")
    if log is not None:
        started = sum(log["after"].values()) - sum(log["before"].values())
        if started != log["accepted"] or set(log["after"]) - {"ok"}:
            out.append(f"harvest log: {log}")
    after = results.get("after_restart", {})
    if after.get("lost_submissions") or after.get("lost_inserts") or not after.get("harvest_graph_whole", False):
        out.append(f"after the server stopped: {after}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32, 64], help="concurrent readers, one phase each")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--write-pause", type=float, default=1.0, help="seconds each writer waits between two writes")
    parser.add_argument("--no-baseline", action="store_true", help="leave out the reads-only phases")
    parser.add_argument("--idle-updates", type=int, default=30,
                        help="SPARQL Updates timed with nothing else running, then under --update-clients readers (0: none)")
    parser.add_argument("--update-clients", type=int, default=32, help="readers while the updates' latency is measured")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto", help="the read load generator")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "load.md", help="the report (and its .json beside it)")
    args = parser.parse_args(argv)
    if any(c < 1 for c in args.clients) or args.duration <= 0 or args.write_pause < 0 or args.idle_updates < 0 \
            or args.update_clients < 1:
        parser.error("clients and duration must be positive, the pause not negative")
    command = ("python -m bench.load --clients " + " ".join(map(str, args.clients)) + f" --duration {args.duration:g}"
               + (f" --write-pause {args.write_pause:g}" if args.write_pause != 1.0 else "")
               + (" --no-baseline" if args.no_baseline else "")
               + (f" --idle-updates {args.idle_updates}" if args.idle_updates != 30 else ""))
    results = run_load(tuple(args.clients), args.duration, pause_s=args.write_pause, baseline=not args.no_baseline,
                       idle_update_count=args.idle_updates, update_clients=args.update_clients, tool=args.tool,
                       log=lambda msg: print(f"[load {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True))
    found = problems(results)
    write_report(results, args.out, command, found)
    for line in found:
        print("PROBLEM: " + line, file=sys.stderr)
    print(f"{args.out} and {args.out.with_suffix('.json')} written; {'FAILED' if found else 'passed'}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
