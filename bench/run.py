"""``make bench``: generate data, measure tscgraph and its peers on it in the same run, write the figures.

``python -m bench.run --quick`` (10k and 100k triples; a few minutes) or ``--full`` (adds 1M).
Figures go to ``docs/benchmarks.md`` (with the machine described and every goal checked) and the raw
numbers to ``docs/benchmarks-<mode>.json``. Each in-process measurement runs in its own process
(:mod:`bench.measure`) so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from graph.settings import ROOT

WORK = ROOT / "var" / "bench"
SEED = 42
MODES = {
    "quick": {"scales": (10_000, 100_000), "http_scale": 100_000, "pages_scale": 100_000, "duration_s": 5, "runs": 5,
              "validated_scales": (10_000, 100_000), "whole_graph_scales": (10_000, 100_000)},
    "full": {"scales": (10_000, 100_000, 1_000_000), "http_scale": 100_000, "pages_scale": 1_000_000, "duration_s": 10,
             "runs": 5, "validated_scales": (10_000, 100_000, 1_000_000), "whole_graph_scales": (10_000, 100_000)},
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def describe_machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    versions = {}
    for package in ("pyoxigraph", "rdflib", "pyshacl", "flask", "granian"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "date": time.strftime("%Y-%m-%d"),
    }


def dataset(scale: int, defects: bool = False) -> Path:
    from bench.generate import write_dataset

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"data-{scale}{'-defects' if defects else ''}-seed{SEED}.nt"
    if not path.exists():
        log(f"generating {scale:,} triples{' with defects' if defects else ''} → {path}")
        partial = path.with_suffix(".partial")
        write_dataset(partial, scale, seed=SEED, defects=defects)
        partial.replace(path)
    return path


def in_process(*args: str) -> dict:
    """Run one :mod:`bench.measure` measurement in a fresh process; its JSON answer."""
    proc = subprocess.run([sys.executable, "-m", "bench.measure", *args], capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.measure {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_scale(scale: int, config: dict) -> dict:
    data = dataset(scale)
    out: dict = {"scale": scale}
    store = WORK / f"store-{scale}"
    shutil.rmtree(store, ignore_errors=True)
    log(f"{scale:,}: unvalidated load")
    out["load_unvalidated"] = in_process("load", str(data), "--store", str(store))
    if scale in config["validated_scales"]:
        validated_store = WORK / f"store-{scale}-validated"
        shutil.rmtree(validated_store, ignore_errors=True)
        log(f"{scale:,}: validated load")
        out["load_validated"] = in_process("load", str(data), "--store", str(validated_store), "--validate")
        shutil.rmtree(validated_store, ignore_errors=True)
    log(f"{scale:,}: query latencies")
    out["queries"] = in_process("queries", str(data), "--store", str(store), "--runs", str(config["runs"]))
    log(f"{scale:,}: SHACL")
    shacl_args = ["shacl", str(data)] + (["--whole-graph"] if scale in config["whole_graph_scales"] else [])
    out["shacl"] = in_process(*shacl_args)
    return out


def lookup_iri(data: Path) -> str:
    """The first actor of a generated data set (for the cheap-lookup scenario)."""
    with open(data, encoding="utf-8") as handle:
        for line in handle:
            if "<https://w3id.org/tscgraph/ontology#Actor>" in line and "22-rdf-syntax-ns#type" in line:
                return line.split(" ", 1)[0].strip("<>")
    raise RuntimeError(f"no actor in {data}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_const", dest="mode", const="quick")
    group.add_argument("--full", action="store_const", dest="mode", const="full")
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP measurements and the peers")
    parser.set_defaults(mode="quick")
    args = parser.parse_args(argv)
    config = MODES[args.mode]
    started = time.monotonic()
    results: dict = {"mode": args.mode, "seed": SEED, "machine": describe_machine(), "scales": []}
    raw = ROOT / "docs" / f"benchmarks-{args.mode}.json"

    def save() -> None:  # after every stage: a failure late in a long run keeps what was measured
        results["elapsed_s"] = round(time.monotonic() - started, 1)
        raw.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    for scale in config["scales"]:
        try:
            results["scales"].append(measure_scale(scale, config))
        except RuntimeError as exc:
            log(f"{scale:,}: FAILED: {exc}")
            results.setdefault("failures", []).append(f"{scale:,} triples: {str(exc)[-500:]}")
        save()
    if not args.skip_http:
        from bench.http import run_http_benchmarks

        data = dataset(config["http_scale"])
        log(f"HTTP at {config['http_scale']:,} triples: tscgraph, Oxigraph server, rdflib-endpoint")
        meta: dict = {}
        try:
            rows = run_http_benchmarks(data, lookup_iri(data), concurrencies=(1, 8, 32), duration_s=config["duration_s"],
                                       log=log, meta=meta)
            results["http"] = {"scale": config["http_scale"], "rows": rows, "commands": meta.get("commands", {}),
                               "checks": meta.get("checks", {})}
            results["pages"] = {"scale": config["http_scale"], "rows": [r for r in rows if r["server"] == "ours"]}
        except Exception as exc:  # noqa: BLE001 - record it, keep the rest of the run
            log(f"HTTP: FAILED: {exc}")
            results.setdefault("failures", []).append(f"HTTP at {config['http_scale']:,}: {str(exc)[-500:]}")
        save()
        if config["pages_scale"] != config["http_scale"]:
            pages_data = dataset(config["pages_scale"])
            log(f"tscgraph alone at {config['pages_scale']:,} triples (pages, memory)")
            try:
                page_rows = run_http_benchmarks(pages_data, lookup_iri(pages_data), concurrencies=(1, 8),
                                                duration_s=config["duration_s"], peer_names=(), log=log)
                results["pages"] = {"scale": config["pages_scale"], "rows": page_rows}
            except Exception as exc:  # noqa: BLE001
                log(f"pages: FAILED: {exc}")
                results.setdefault("failures", []).append(f"pages at {config['pages_scale']:,}: {str(exc)[-500:]}")
            save()
    save()
    from bench.report import write_report

    write_report()
    log(f"done in {results['elapsed_s']} s: {raw} and docs/benchmarks.md")
    return 1 if results.get("failures") else 0


if __name__ == "__main__":
    raise SystemExit(main())
