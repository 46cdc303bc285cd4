"""The serving benchmarks of issue #17: the real ``tscgraph serve`` (supervisor, writer, readers on every core),
against the raw Oxigraph server on the same data in the same run.

``python -m bench.serving [--duration 5]`` (``make bench-serving``, about 12 minutes on two cores) measures, and
writes ``docs/benchmarks-serving.json`` and the "Serving (issue #17)" section of ``docs/benchmarks.md``:

1. **Against raw Oxigraph** (``oxigraph serve-read-only``, the same quads), on the bundled data and on 100k
   generated triples (plus the bundled data, so that the record pages below exist): a trivial lookup of
   ``<…/vocab/gbf/target/3>``, the lookup of an actor (the one ``bench/http.py`` uses) and the GROUP BY of projects
   per GBF target over the union of all graphs, at 8 and 32 connections, each in two variants: **repeated** — the
   same request again and again, as a client polling or many clients reading one page send it, so our per-state
   answer cache answers — and **each evaluated** — a SPARQL comment with a counter appended to every request, so
   no two are alike and every one is evaluated (the raw server evaluates every request in both variants).
2. **Record and listing pages** at 100k (``/projects``, ``/actors``, ``/id/actor/ofb``) at 8 connections, repeated
   (the cached state); then the **first request after a write**: one SPARQL Update, then one request of a page,
   timed (each write empties every reader's cache and every per-state cache of the app).
3. **From 1 to 2 web processes**: the same scenarios on a server started with ``web_processes=1`` and on the
   default one (one reader per core: 2 here), same data, same run.
4. **The express lane**: as many runaway cross-product queries as there are regular query workers (each from
   its own client address, so no per-client share holds them back) until every regular worker is busy — read from
   the CPU each worker burns — then cheap ASKs one after the other, each evaluated, timed.

The CPU of each role of our process tree (readers, query workers, writer…) is sampled during every measurement of
ours (:mod:`bench.procs`), and the load averages (``uptime``) recorded before and after each: other people's work
on the machine shows there. Every loop is bounded; all traffic is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import requests

from bench import http as bench_http
from bench import peers
from bench.procs import TICKS, CpuMeter, cpu_ticks, format_cpu, server_roles
from bench.server import (
    BASE,
    SPARQL_JSON,
    Tscgraph,
    cache_hits,
    concatenated,
    insert_actor,
    loadavg,
    new_actor,
    triples,
    tscgraph,
    uptime,
)

ROOT = peers.ROOT
RESULTS = ROOT / "docs" / "benchmarks-serving.json"
TARGET_3 = "https://w3id.org/tscgraph/vocab/gbf/target/3"
OFB = BASE + "id/actor/ofb"
GENERATED_ACTOR = BASE + "id/actor/1"  # the first actor of bench/generate.py's data
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP_ASK = f"ASK {{ <{TARGET_3}> ?p ?o }}"
PAGES = ("/projects", "/actors", "/id/actor/ofb")
#: Pages timed at the first request after a write, and the figure measured before #17 (one web process,
#: in-process, docs/benchmarks.md "first request after a write", 100k) where there is one.
AFTER_WRITE = {"/": 320.0, "/projects": 540.0, "/actors": None, "/gbf": 160.0, "/id/actor/ofb": None}
GOALS = {"lookup_vs_oxigraph": 0.5, "group_by_vs_oxigraph": 1.5, "pages_req_s": 500.0, "express_ask_ms": 100.0}
#: wrk: the Lua added to bench/http.py's script so that each request may differ (a comment with the run's salt, the
#: thread and a counter: the same query for the engine, another request for any cache).
VARYING_LUA = r"""
local bench_setup = setup
local made = 0
function setup(thread)
  bench_setup(thread)
  made = made + 1
  thread:set("tid", made)
end
local sent = 0
local fixed = nil
function request()
  if not __VARY__ then
    if fixed == nil then fixed = wrk.format(nil, __PATH__) end
    return fixed
  end
  sent = sent + 1
  return wrk.format(nil, __PATH__ .. "%0A%23__SALT__-" .. tostring(tid) .. "-" .. tostring(sent))
end
"""


def log(message: str) -> None:
    print(f"[serving {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ one measurement


def hammer(root: str, path: str, *, accept: str, concurrency: int, duration_s: float, vary: bool,
           max_requests: int = bench_http.DEFAULT_MAX_REQUESTS) -> dict:
    """``wrk`` on ``root + path`` (``vary``: a counter appended to the query text of each request), closed loop,
    bounded in time and count. req/s, p50, p99, requests, errors, non-2xx."""
    wrk = bench_http.load_tool("wrk")
    lua = (VARYING_LUA.replace("__VARY__", "true" if vary else "false").replace("__PATH__", json.dumps(path))
           .replace("__SALT__", secrets.token_hex(4)))  # no two runs send the same request either

    def script(limit: int) -> str:
        return bench_http.wrk_script("GET", None, {"Accept": accept}, limit) + lua

    raw, _cmd = bench_http.run_wrk(wrk, script, max_requests, root + "/", concurrency, duration_s, 30, "BENCH_JSON")
    elapsed = raw["elapsed_s"] if raw["elapsed_s"] > 0 else raw["duration_us"] / 1e6
    return {"req_per_s": round(raw["requests"] / elapsed, 1) if elapsed else 0.0, "p50_ms": round(raw["p50_us"] / 1000, 2),
            "p99_ms": round(raw["p99_us"] / 1000, 2), "requests": raw["requests"],
            "errors": raw["socket_errors"] + raw["timeouts"], "non_2xx": raw["non_2xx"], "elapsed_s": round(elapsed, 2)}


def measure(name: str, server: str, root: str, path: str, *, accept: str, concurrency: int, duration_s: float,
            vary: bool, ours: Tscgraph | None = None, pid: int | None = None, **labels) -> dict:
    """One row: :func:`hammer`, with the load averages around it, the CPU of the server's process tree (``pid``, or
    ours by role) and, for ours, the answers the cache gave."""
    row = {"scenario": name, "server": server, "concurrency": concurrency, "variant": "each evaluated" if vary else "repeated",
           **labels, "load1_before": loadavg()[0]}
    pid = ours.pid if ours is not None else pid
    meter = CpuMeter(pid).start() if pid is not None else None
    hits = cache_hits(ours.base) if ours is not None else 0.0
    try:
        row.update(hammer(root, path, accept=accept, concurrency=concurrency, duration_s=duration_s, vary=vary))
    except (RuntimeError, OSError) as exc:
        row.update({"req_per_s": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "requests": 0, "errors": 1, "non_2xx": 0,
                    "failed": str(exc)[:300]})
    if meter is not None:
        row["cpu"] = meter.stop()
    if ours is not None:
        row["cache_hit_share"] = round((cache_hits(ours.base) - hits) / row["requests"], 3) if row["requests"] else 0.0
    row["load1_after"] = loadavg()[0]
    log(f"{name:<16} {server:<9} {row['variant']:<14} c={concurrency:<3} {row['req_per_s']:>9.1f} req/s  "
        f"p50 {row['p50_ms']:>8.2f} ms  p99 {row['p99_ms']:>8.2f} ms  n={row['requests']}"
        + (f" non2xx={row['non_2xx']} errors={row['errors']}" if row["non_2xx"] or row["errors"] else "")
        + (f"  cache {row['cache_hit_share']:.0%}" if ours is not None else "")
        + (f"; {format_cpu(row['cpu'])}" if "cpu" in row else "")
        + f"  load {row['load1_before']} -> {row['load1_after']}")
    return row


# ------------------------------------------------------------------ 1. against raw Oxigraph


def shared_scenarios(actor: str) -> list[bench_http.Scenario]:
    lookup = bench_http.scenarios(actor)[0]  # bench/http.py's lookup (the record log's property filtered out)
    return [bench_http.Scenario("lookup-target-3", query=f"SELECT ?p ?o WHERE {{ <{TARGET_3}> ?p ?o }}"),
            bench_http.Scenario("lookup-actor", query=lookup.query),
            bench_http.Scenario("group-by", query=bench_http.projects_per_target_query("en"))]


def sparql_path(server: peers.Server, query: str) -> str:
    endpoint = urllib.parse.urlsplit(server.url).path
    return endpoint + "?" + urllib.parse.urlencode({"query": query})


def against_oxigraph(ours: Tscgraph, data: Path, actor: str, label: str, work: Path, concurrencies, duration_s: float) -> dict:
    """Ours and ``oxigraph serve-read-only`` over ``data``: answers checked alike, then every scenario, variant and
    concurrency, the two servers one after the other."""
    rows: list[dict] = []
    with peers.oxigraph_server(data, work) as oxigraph:
        servers = {"ours": ours.server, "oxigraph": oxigraph}
        scenario_list = shared_scenarios(actor)
        checks = bench_http.verify(servers, scenario_list)
        bench_http.warm_up(servers, scenario_list)
        for sc in scenario_list:
            for c in concurrencies:
                for vary in (False, True):
                    for name, server in servers.items():
                        rows.append(measure(sc.name, name, server.base, sparql_path(server, sc.query or ""),
                                            accept=SPARQL_JSON, concurrency=c, duration_s=duration_s, vary=vary,
                                            ours=ours if name == "ours" else None, pid=server.process.pid, data=label))
        commands = oxigraph.commands
    return {"data": label, "rows": rows, "checks": checks, "oxigraph_commands": commands}


# ------------------------------------------------------------------ 2. pages, and the first request after a write


def warm(ours: Tscgraph, path: str, accept: str) -> None:
    """One second of ``wrk`` on ``path`` (not recorded): every reader has rendered it and keeps it in its cache."""
    hammer(ours.base, path, accept=accept, concurrency=8, duration_s=1, vary=False)


def pages(ours: Tscgraph, duration_s: float, concurrency: int = 8) -> list[dict]:
    rows = []
    for path in PAGES:
        warm(ours, path, "text/html")
        rows.append(measure(path, "ours", ours.base, path, accept="text/html", concurrency=concurrency,
                            duration_s=duration_s, vary=False, ours=ours))
    return rows


def first_after_write(ours: Tscgraph, repeats: int = 3) -> list[dict]:
    """For each page: ``repeats`` times, one SPARQL Update (one actor), then the page once (timed: the first request
    after the write, on a new connection), then once more (the other reader, or this one's cache)."""
    rows = []
    with requests.Session() as writer:
        for path in AFTER_WRITE:
            first, second, writes = [], [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                answer = insert_actor(writer, ours.base, ours.token, new_actor("after-write"))
                writes.append((time.perf_counter() - t0) * 1000)
                if answer.status_code != 200:
                    raise RuntimeError(f"the write before {path} answered {answer.status_code}: {answer.text[:300]}")
                for out in (first, second):
                    t0 = time.perf_counter()
                    page = requests.get(ours.base + path, headers={"Accept": "text/html"}, timeout=120)
                    out.append((time.perf_counter() - t0) * 1000)
                    if page.status_code != 200:
                        raise RuntimeError(f"{path} answered {page.status_code} after a write")
            rows.append({"page": path, "first_ms": [round(x, 1) for x in first], "second_ms": [round(x, 1) for x in second],
                         "first_median_ms": round(statistics.median(first), 1), "first_max_ms": round(max(first), 1),
                         "write_median_ms": round(statistics.median(writes), 1), "before_17_ms": AFTER_WRITE[path],
                         "load1": loadavg()[0]})
            log(f"first {path} after a write: {rows[-1]['first_ms']} ms (then {rows[-1]['second_ms']}); "
                f"before #17: {AFTER_WRITE[path]}")
    return rows


# ------------------------------------------------------------------ 3. from 1 to 2 web processes

SCALING = (("lookup-actor", "each evaluated"), ("lookup-actor", "repeated"), ("group-by", "each evaluated"),
           ("/projects", "repeated"))


def scaling_rows(ours: Tscgraph, actor: str, concurrencies, duration_s: float) -> list[dict]:
    queries = {sc.name: sc.query for sc in shared_scenarios(actor)}
    rows = []
    for name, variant in SCALING:
        vary = variant == "each evaluated"
        page = name.startswith("/")
        path, accept = (name, "text/html") if page else (sparql_path(ours.server, queries[name] or ""), SPARQL_JSON)
        if not vary:
            warm(ours, path, accept)
        for c in concurrencies:
            row = measure(name, "ours", ours.base, path, accept=accept, concurrency=c, duration_s=duration_s, vary=vary,
                          ours=ours)
            rows.append({**row, "web_processes": ours.web_processes()})
    return rows


# ------------------------------------------------------------------ 4. the express lane


def get_from(address: str, port: int, path: str, timeout: float) -> tuple[int, float]:
    """GET ``path`` from the loopback source address ``address`` (a client of its own): status and seconds."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(address, 0))
    try:
        conn.request("GET", path, headers={"Accept": SPARQL_JSON})
        answer = conn.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - t0
    except OSError:
        return 0, time.perf_counter() - t0
    finally:
        conn.close()


def busy_query_workers(top: int, window_s: float = 1.0, share: float = 0.05) -> list[int]:
    """The query workers of the tree of ``top`` that used more than ``share`` of a core over ``window_s``."""
    pids = server_roles(top)["query worker"]
    before = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(window_s)
    busy = []
    for pid in pids:
        after = cpu_ticks(pid)
        if before[pid] is not None and after is not None and (after - before[pid]) / TICKS >= share * window_s:
            busy.append(pid)
    return busy


def express_lane(ours: Tscgraph, asks: int = 100, ask_window_s: float = 15.0, settle_s: float = 3.0) -> dict:
    """See the module docstring (4). The runaways stop at the server's query time limit or when it stops."""
    regular = ours.web_processes() * int(ours.settings.get("QUERY_WORKERS", "3"))
    limit = float(ours.settings.get("QUERY_TIME_LIMIT", "30"))
    def runaway_path(address: str) -> str:  # a text of its own each: identical ones would be one computation
        return "/sparql?" + urllib.parse.urlencode({"query": f"# runaway from {address}\n{RUNAWAY}"})

    addresses = iter(f"127.0.0.{n}" for n in range(10, 200))
    outcomes: list[tuple[int, float]] = []
    threads: list[threading.Thread] = []
    started = time.monotonic()
    busy: list[int] = []
    for _ in range(4 * regular):  # bounded: a runaway may land in an express lane (stopped there in 1 s): send again
        busy = busy_query_workers(ours.pid)
        if len(busy) >= regular or time.monotonic() - started > limit / 2:
            break
        for _ in range(regular - len(busy)):
            address = next(addresses)
            thread = threading.Thread(target=lambda a=address: outcomes.append(get_from(a, ours.port, runaway_path(a), limit + 30)),
                                      daemon=True, name=f"bench-runaway-{address}")
            thread.start()
            threads.append(thread)
        time.sleep(1.5)
    saturated_after = time.monotonic() - started
    time.sleep(settle_s)  # an express worker that stopped a runaway is replaced: let it come back
    busy_before = len(busy_query_workers(ours.pid))
    results: dict[str, dict] = {}
    window_end = time.monotonic() + ask_window_s
    for variant, vary in (("each evaluated", True), ("repeated", False)):
        times, statuses = [], {}
        for n in range(asks):
            if time.monotonic() > window_end and variant == "each evaluated":
                break
            text = CHEAP_ASK + (f"\n#ask-{n}" if vary else "")
            status, seconds = get_from("127.0.0.250", ours.port, "/sparql?" + urllib.parse.urlencode({"query": text}), 30)
            times.append(seconds * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        times.sort()
        results[variant] = {"asks": len(times), "median_ms": round(statistics.median(times), 1) if times else 0.0,
                            "p99_ms": round(bench_http.percentile(times, 99), 1), "max_ms": round(times[-1], 1) if times else 0.0,
                            "statuses": statuses}
        log(f"express lane, cheap ASK {variant}: {results[variant]}")
    busy_after = len(busy_query_workers(ours.pid))
    out = {"regular_workers": regular, "readers": ours.web_processes(),
           "express_workers_per_reader": int(ours.settings.get("QUERY_EXPRESS_WORKERS", "1")),
           "runaways_sent": len(threads), "busy_before_asks": busy_before, "busy_after_asks": busy_after,
           "saturated_after_s": round(saturated_after, 1), "asks": results, "load1": loadavg()[0],
           "runaway": RUNAWAY, "ask": CHEAP_ASK}
    log(f"express lane: {regular} regular workers, {len(threads)} runaways sent, busy {busy_before} → {busy_after}")
    out["_threads"] = threads
    return out


# ------------------------------------------------------------------ the whole run


def bundled_file(work: Path) -> Path:
    return bench_http.bundled_ntriples(work / "bundled.nt")


def hundred_k_file(work: Path, bundled: Path) -> Path:
    from bench.run import dataset  # var/bench caches the generated file

    return concatenated([dataset(100_000), bundled], work / "data-100000-plus-bundled.nt")


def run(duration_s: float = 5.0, concurrencies=(8, 32), log_to=log) -> dict:
    from bench.load_report import describe_machine

    started = time.monotonic()
    results: dict = {"duration_s": duration_s, "concurrencies": list(concurrencies), "machine": describe_machine(),
                     "uptime_before": uptime(), "goals": GOALS}
    peers.ensure_peers()
    with tempfile.TemporaryDirectory(prefix="tscgraph-bench-serving-") as tmp:
        work = Path(tmp)
        bundled = bundled_file(work)
        big = hundred_k_file(work, bundled)
        results["against_oxigraph"] = []
        with tscgraph(work / "ours-bundled", [bundled], query_time_limit=60) as ours:
            log_to(f"ours on the bundled data up ({ours.setup_s} s to load): {triples(ours.base):,} quads")
            results["against_oxigraph"].append(
                {**against_oxigraph(ours, bundled, OFB, "bundled", work, concurrencies, duration_s),
                 "quads": triples(ours.base), "commands": ours.commands})
        with tscgraph(work / "ours-100k", [big], query_time_limit=60) as ours:
            quads = triples(ours.base)
            log_to(f"ours at 100k up ({ours.setup_s} s to load): {quads:,} quads")
            results["against_oxigraph"].append(
                {**against_oxigraph(ours, big, GENERATED_ACTOR, "100k", work, concurrencies, duration_s),
                 "quads": quads, "commands": ours.commands})
            results["pages"] = {"quads": quads, "rows": pages(ours, duration_s)}
            results["scaling"] = {"rows": scaling_rows(ours, GENERATED_ACTOR, concurrencies, duration_s)}
            results["after_write"] = first_after_write(ours)
            results["express"] = express_lane(ours)
            threads = results["express"].pop("_threads")
        for thread in threads:  # the server stopped: every runaway's connection ended with it
            thread.join(timeout=30)
        with tscgraph(work / "ours-100k-one", [big], query_time_limit=60, web_processes=1) as one:
            log_to("ours at 100k with web_processes=1 up")
            results["scaling"]["rows"] += scaling_rows(one, GENERATED_ACTOR, concurrencies, duration_s)
            results["scaling"]["commands_one"] = one.commands
    results["uptime_after"] = uptime()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    return results


def main(argv=None) -> int:
    from bench.serving_report import write_section

    parser = argparse.ArgumentParser(prog="python -m bench.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--json", type=Path, default=RESULTS, help="the raw figures")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    if args.duration <= 0 or any(c < 1 for c in args.concurrency):
        parser.error("duration and concurrency must be positive")
    results = run(args.duration, tuple(args.concurrency))
    args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_section(results)
    log(f"done in {results['elapsed_s']:.0f} s: {args.json}" + ("" if args.no_docs else " and docs/benchmarks.md"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
