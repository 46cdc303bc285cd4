"""One-record writes (issue #18): what a SPARQL Update and a Graph Store POST of one record cost, by store size.

``python -m bench.writes [--sizes bundled 100000 1000000] [--writes 100] [--readers 32] [--duration 60]``
(``make bench-writes``, about 10 minutes) — for each size, a fresh store (``bench/server.py``: the generated data
of ``bench/generate.py`` plus the bundled data, or the bundled data alone, loaded with ``tscgraph load``, then
``tscgraph setup``) served by the real ``tscgraph serve``, then:

1. **idle**: ``--writes`` SPARQL Updates one after the other (``POST /update``, ``INSERT DATA`` of one conforming
   actor into the local graph, with a bearer token), then as many Graph Store POSTs of one actor
   (``POST /data?graph=<local>``), each timed from the request to the answer — which comes once the write's
   snapshot is visible to every reader;
2. **under readers**: the same writes, alternating, while ``--readers`` ``wrk`` connections send the load test's
   read mix (``bench/load_reads.py``) for ``--duration`` seconds, as many as fit (at most ``--writes`` each);
3. every acknowledged write is read back (none may be missing), and the CPU each role of the server used during
   the idle and the loaded writes is recorded (``bench/procs.py``), with the load averages.

Writes ``docs/benchmarks-writes.json`` and the "Writes (issue #18)" section of ``docs/benchmarks.md``. Every loop
is bounded; all traffic is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import peers
from bench.http import percentile
from bench.load_reads import check_mix, run_reads
from bench.procs import CpuMeter, format_cpu
from bench.sections import replace_section
from bench.server import (
    Tscgraph,
    concatenated,
    insert_actor,
    loadavg,
    missing_actors,
    new_actor,
    post_actor,
    triples,
    tscgraph,
    uptime,
)

ROOT = peers.ROOT
RESULTS = ROOT / "docs" / "benchmarks-writes.json"
KINDS = {"update": (insert_actor, 200), "graph-store-post": (post_actor, 204)}
GOALS = {"idle_median_ms_1m": 100.0, "loaded_p99_ms": 200.0}


def log(message: str) -> None:
    print(f"[writes {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Timed:
    """The writes of one kind in one phase: latencies, statuses, the records acknowledged."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.write, self.expected = KINDS[kind]
        self.latencies_ms: list[float] = []
        self.statuses: dict[str, int] = {}
        self.acknowledged: list[str] = []
        self.failures: list[str] = []

    def once(self, session: requests.Session, srv: Tscgraph) -> None:
        iri = new_actor(f"write-{self.kind}")
        t0 = time.perf_counter()
        try:
            answer = self.write(session, srv.base, srv.token, iri)
        except requests.RequestException as exc:
            self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        self.statuses[str(answer.status_code)] = self.statuses.get(str(answer.status_code), 0) + 1
        if answer.status_code == self.expected:
            self.acknowledged.append(iri)
        else:
            self.failures.append(f"{answer.status_code}: {answer.text[:200]}")

    def figures(self) -> dict:
        ordered = sorted(self.latencies_ms)
        return {"writes": len(ordered), "median_ms": round(percentile(ordered, 50), 1),
                "p90_ms": round(percentile(ordered, 90), 1), "p99_ms": round(percentile(ordered, 99), 1),
                "max_ms": round(ordered[-1], 1) if ordered else 0.0, "min_ms": round(ordered[0], 1) if ordered else 0.0,
                "statuses": self.statuses, "failures": self.failures[:10]}


def idle(srv: Tscgraph, count: int, warm_up: int = 3) -> dict:
    """``count`` writes of each kind, one after the other, nothing else running (after ``warm_up`` of each)."""
    out, acknowledged = {}, []
    with requests.Session() as session:
        for kind in KINDS:
            warm = Timed(kind)
            for _ in range(warm_up):
                warm.once(session, srv)
            acknowledged += warm.acknowledged
            timed = Timed(kind)
            meter = CpuMeter(srv.pid).start()
            load1 = loadavg()[0]
            for _ in range(count):
                timed.once(session, srv)
            out[kind] = {**timed.figures(), "cpu": meter.stop(), "load1_before": load1, "load1_after": loadavg()[0]}
            acknowledged += timed.acknowledged
            log(f"idle {kind}: {json.dumps({k: v for k, v in out[kind].items() if k != 'cpu'})}; "
                f"{format_cpu(out[kind]['cpu'])}")
    return {"kinds": out, "acknowledged": acknowledged}


def under_readers(srv: Tscgraph, count: int, readers: int, duration_s: float, start_after_s: float = 3.0) -> dict:
    """The writes of both kinds, alternating, while ``readers`` connections read the load test's mix for
    ``duration_s`` (the writes stop ``start_after_s`` before the readers do, or at ``count`` each)."""
    check_mix(srv.base)
    reads: dict = {}
    reader = threading.Thread(target=lambda: reads.update(run_reads(srv.base, readers, duration_s)), daemon=True,
                              name="bench-readers")
    load1 = loadavg()[0]
    meter = CpuMeter(srv.pid).start()
    started = time.monotonic()
    reader.start()
    time.sleep(start_after_s)  # the readers are at full speed
    timed = {kind: Timed(kind) for kind in KINDS}
    with requests.Session() as session:
        for _ in range(count):
            if time.monotonic() - started > duration_s - start_after_s:
                break
            for t in timed.values():
                t.once(session, srv)
    writes_s = time.monotonic() - started - start_after_s
    reader.join(timeout=duration_s + 120)
    cpu = meter.stop()
    out = {kind: t.figures() for kind, t in timed.items()}
    log(f"under {readers} readers: " + "; ".join(f"{k} {json.dumps(v)}" for k, v in out.items())
        + f"; reads {reads.get('req_per_s')} req/s, statuses {reads.get('statuses')}; {format_cpu(cpu)}")
    return {"kinds": out, "readers": readers, "duration_s": duration_s, "writes_s": round(writes_s, 1),
            "reads": {k: reads.get(k) for k in ("requests", "req_per_s", "p50_ms", "p99_ms", "statuses", "status_5xx",
                                                  "socket_errors", "timeouts", "tool")},
            "cpu": cpu, "load1_before": load1, "load1_after": loadavg()[0],
            "acknowledged": [i for t in timed.values() for i in t.acknowledged]}


def measure_size(label: str, files: list[Path], work: Path, count: int, readers: int, duration_s: float) -> dict:
    with tscgraph(work / f"ours-{label}", files) as srv:
        quads = triples(srv.base)
        log(f"{label}: {quads:,} quads, loaded and set up in {srv.setup_s} s")
        result = {"size": label, "quads": quads, "setup_s": srv.setup_s, "uptime_before": uptime()}
        result["idle"] = idle(srv, count)
        result["loaded"] = under_readers(srv, count, readers, duration_s)
        written = result["idle"].pop("acknowledged") + result["loaded"].pop("acknowledged")
        result["acknowledged"] = len(written)
        result["missing"] = missing_actors(srv.base, written)
        result["uptime_after"] = uptime()
        result["commands"] = srv.commands
    log(f"{label}: {result['acknowledged']} writes acknowledged, {len(result['missing'])} missing")
    return result


def files_for(size: str, work: Path, bundled: Path) -> list[Path]:
    if size == "bundled":
        return []  # tscgraph setup loads the bundled data into the empty store
    from bench.run import dataset  # var/bench caches the generated files

    return [concatenated([dataset(int(size)), bundled], work / f"data-{size}-plus-bundled.nt")]


def run(sizes=("bundled", "100000", "1000000"), count: int = 100, readers: int = 32, duration_s: float = 60) -> dict:
    from bench.http import bundled_ntriples
    from bench.load_report import describe_machine

    started = time.monotonic()
    results: dict = {"writes_per_kind": count, "readers": readers, "duration_s": duration_s, "goals": GOALS,
                     "machine": describe_machine(), "uptime_before": uptime(), "sizes": []}
    with tempfile.TemporaryDirectory(prefix="tscgraph-bench-writes-") as tmp:
        work = Path(tmp)
        bundled = bundled_ntriples(work / "bundled.nt")
        for size in sizes:
            files = files_for(size, work, bundled)
            try:
                results["sizes"].append(measure_size(size, files, work, count, readers, duration_s))
            except (RuntimeError, OSError, requests.RequestException) as exc:
                log(f"{size}: FAILED: {exc}")
                results.setdefault("failures", []).append(f"{size}: {str(exc)[-500:]}")
            for f in files:
                f.unlink(missing_ok=True)
    results["uptime_after"] = uptime()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    return results


# ------------------------------------------------------------------ the section of docs/benchmarks.md


def _n(x) -> str:
    return "—" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def _label(size: str) -> str:
    return "bundled data" if size == "bundled" else f"{int(size):,} generated + bundled"


def goals(results: dict) -> list[str]:
    lines = ["| goal | measured | verdict |", "|---|---|---|"]
    big = next((s for s in results["sizes"] if s["size"] == "1000000"), None)
    if big:
        for kind, f in big["idle"]["kinds"].items():
            ok = f["median_ms"] <= GOALS["idle_median_ms_1m"]
            lines.append(f"| one-record {kind} ≤ {GOALS['idle_median_ms_1m']:.0f} ms idle at 1M | median "
                         f"{_n(f['median_ms'])} ms (p99 {_n(f['p99_ms'])} ms, {f['writes']} writes) | "
                         f"{'met' if ok else '**missed**'} |")
    for s in results["sizes"]:
        for kind, f in s["loaded"]["kinds"].items():
            ok = f["writes"] > 0 and f["p99_ms"] <= GOALS["loaded_p99_ms"]
            lines.append(f"| one-record {kind} p99 ≤ {GOALS['loaded_p99_ms']:.0f} ms under {results['readers']} readers, "
                         f"{_label(s['size'])} | p99 {_n(f['p99_ms'])} ms ({f['writes']} writes; median "
                         f"{_n(f['median_ms'])} ms) | {'met' if ok else '**missed**'} |")
    lines.append("| no acknowledged write lost | " + ", ".join(f"{_label(s['size'])}: {len(s['missing'])} of "
                                                          f"{s['acknowledged']} missing" for s in results["sizes"])
                 + f" | {'met' if all(not s['missing'] for s in results['sizes']) else '**missed**'} |")
    return lines + [""]


def _cpu_cell(cpu: dict) -> str:
    roles = cpu["roles"]
    parts = [f"{role} {roles[role]['core_pct']:.0f}" for role in ("writer worker", "validation worker", "reader",
                                                                    "query worker") if role in roles]
    return ", ".join(parts)


def section(results: dict) -> list[str]:
    m = results["machine"]
    lines = ["## Writes (issue #18)", "",
             f"Produced by `make bench-writes` (`python -m bench.writes`, {results['elapsed_s'] / 60:.0f} min; raw figures "
             "in [`benchmarks-writes.json`](benchmarks-writes.json)); rewritten by each run, kept by `make bench`. "
             f"Measured on {m['date']}: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
             + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".", "",
             f"**Machine load.** `uptime` before: `{results['uptime_before']}`; after: `{results['uptime_after']}`. Each "
             "row gives the 1-minute load average around it; it counts every runnable thread, the benchmark's own "
             "included (under readers the server's threads and `wrk` keep it well above 2).", "",
             "A write is one conforming actor record (`tests/test_writes.py` `actor()`: type, English and French "
             "labels, actor type) into the local graph, with a bearer token: a **SPARQL Update** (`POST /update`, "
             "`INSERT DATA { GRAPH <…/graph/local> { … } }`) or a **Graph Store POST** (`POST /data?graph=<…/graph/local>`, "
             "Turtle). Timed by the client from the request to the answer, which the writer sends once the write's "
             "snapshot is published to every reader. *Idle*: one after the other, nothing else running on our server. "
             f"*Under readers*: alternating, while {results['readers']} `wrk` connections send the load test's read mix "
             f"(`bench/load_reads.py`) for {results['duration_s']:g} s. The real `tscgraph serve` with its defaults "
             "(`bench/server.py`).", "",
             "### Goals", "", *goals(results),
             "### Latency by store size", "",
             "| data | quads | phase | write | count | median ms | p90 ms | p99 ms | max ms | statuses | server CPU, % of a "
             "core by role | load 1 min |", "|---|---:|---|---|---:|---:|---:|---:|---:|---|---|---|"]
    for s in results["sizes"]:
        for phase in ("idle", "loaded"):
            block = s[phase]
            for kind, f in block["kinds"].items():
                cpu = f.get("cpu") or block.get("cpu")
                load = (f.get("load1_before", block.get("load1_before")), f.get("load1_after", block.get("load1_after")))
                lines.append(f"| {_label(s['size'])} | {s['quads']:,} | {'idle' if phase == 'idle' else 'under readers'} "
                             f"| {kind} | {f['writes']} | {_n(f['median_ms'])} | {_n(f['p90_ms'])} | {_n(f['p99_ms'])} | "
                             f"{_n(f['max_ms'])} | " + ", ".join(f"{k}: {v}" for k, v in f["statuses"].items())
                             + f" | {_cpu_cell(cpu) if cpu else ''} | {load[0]}–{load[1]} |")
    lines += ["", "The readers while the writes ran: " + "; ".join(
        f"{_label(s['size'])}: {_n(s['loaded']['reads']['req_per_s'])} req/s, statuses {s['loaded']['reads']['statuses']}"
        for s in results["sizes"]) + ".", "",
        "Loading and setting up each store (`tscgraph load --no-validate`, then `tscgraph setup`): " + "; ".join(
        f"{_label(s['size'])} {s['setup_s']:g} s" for s in results["sizes"]) + ".", ""]
    for failure in results.get("failures", []):
        lines += [f"**A size failed in this run**: {failure}", ""]
    for note in results.get("notes", []):
        lines.append(note)
    return lines


def write_section(results: dict) -> Path:
    return replace_section("writes", section(results))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.writes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["bundled", "100000", "1000000"],
                        help="'bundled' and/or numbers of generated triples")
    parser.add_argument("--writes", type=int, default=100, help="writes of each kind per phase (at most, under readers)")
    parser.add_argument("--readers", type=int, default=32, help="wrk connections reading during the loaded phase")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the loaded phase")
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    parser.add_argument("--report-only", action="store_true", help="write the section again from --json; measure nothing")
    args = parser.parse_args(argv)
    if args.report_only:
        write_section(json.loads(args.json.read_text(encoding="utf-8")))
        return 0
    if args.writes < 1 or args.readers < 1 or args.duration <= 5:
        parser.error("writes and readers must be positive, the duration over 5 s")
    if any(s != "bundled" and not s.isdigit() for s in args.sizes):
        parser.error("a size is 'bundled' or a number of triples")
    results = run(tuple(args.sizes), args.writes, args.readers, args.duration)
    args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_section(results)
    log(f"done in {results['elapsed_s']:.0f} s")
    return 1 if results.get("failures") or any(s["missing"] for s in results["sizes"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
