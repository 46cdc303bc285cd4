"""Our real server for a benchmark, and the one-record writes the benchmarks time.

:func:`tscgraph` loads data into a fresh store the way an operator does — ``tscgraph load --no-validate`` into the
local graph (the engine's fast path into an empty graph), then ``tscgraph setup`` (ontology, vocabularies, change
feeds; the bundled data only when nothing was loaded) — and runs ``tscgraph serve`` on a free loopback port: the
real process model (supervisor, writer, ``web_processes`` readers with their query workers), with a fresh write
token. Settings are passed as ``TSCGRAPH_*`` variables, as a deployment would; the rest keep their defaults.

:func:`insert_actor` (SPARQL Update ``INSERT DATA``) and :func:`post_actor` (Graph Store ``POST``) write one
conforming actor record — the record of ``tests/test_writes.py`` ``actor()`` — into the local graph.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shlex
import shutil
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench import peers

BASE = peers.BASE
LOCAL = peers.LOCAL_GRAPH
NGO = "https://w3id.org/tscgraph/vocab/actor-type/ngo"
TTL_PREFIXES = ("@prefix tsc: <https://w3id.org/tscgraph/ontology#> .\n"
                "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n")
SPARQL_PREFIXES = ("PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n"
                   "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")
SPARQL_JSON = "application/sparql-results+json"
#: Bound: seconds one write may take before the benchmark counts it failed.
WRITE_TIMEOUT = 120.0


@dataclass
class Tscgraph:
    """A running ``tscgraph serve``: its :class:`bench.peers.Server`, settings (without the prefix), token."""

    server: peers.Server
    settings: dict
    token: str
    store_dir: Path
    setup_s: float = 0.0
    commands: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.server.base

    @property
    def pid(self) -> int:
        return self.server.process.pid

    @property
    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.base).port or 0)

    def web_processes(self) -> int:
        return int(self.settings.get("WEB_PROCESSES", "0")) or os.cpu_count() or 1


@contextlib.contextmanager
def tscgraph(work: Path, files: Sequence[Path] = (), **settings) -> Iterator[Tscgraph]:
    """Load ``files`` (none: the bundled data) into a fresh store under ``work`` and serve it (see the module
    docstring); ``settings`` are tscgraph settings by name (``web_processes=1``)."""
    work.mkdir(parents=True, exist_ok=True)
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    token = secrets.token_urlsafe(24)
    values = {"STORE_DIR": str(store), "BASE_IRI": BASE,
              "UPDATE_TOKENS": "sha256:" + hashlib.sha256(token.encode()).hexdigest(),
              # every request of a benchmark comes from 127.0.0.1: the per-address POST limit would turn writes
              # into 429s within seconds (a deployment sees many addresses; the limiter has its own tests)
              "RATE_LIMIT": "1000000",
              **{k.upper(): str(v) for k, v in settings.items()}}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSCGRAPH_")}
    env.update({"TSCGRAPH_" + k: v for k, v in values.items()})
    shown = " ".join(f"TSCGRAPH_{k}={v}" for k, v in values.items() if k != "UPDATE_TOKENS")
    binary = peers.our_bin("tscgraph")
    commands = []
    started = time.monotonic()
    if files:
        load = [binary, "load", "--no-validate", "--graph", LOCAL, *files]
        peers.run_command(load, env=env, timeout=3600)
        commands.append(f"{shown} {shlex.join(map(str, load))}")
    setup = [binary, "setup"]
    peers.run_command(setup, env=env, timeout=3600)
    commands.append(f"{shown} {shlex.join(map(str, setup))}")
    setup_s = time.monotonic() - started
    port = peers.free_port()
    base = f"http://127.0.0.1:{port}"
    server = peers.spawn_server("tscgraph", [binary, "serve", "--host", "127.0.0.1", "--port", port],
                                work / "server.log", base + "/sparql", base, env=env)
    commands.append(f"{shown} {server.commands[-1]}")
    peers.wait_ready(server, base + "/health")
    peers.wait_ready(server, base + "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}),
                     {"Accept": SPARQL_JSON})
    try:
        yield Tscgraph(server, values, token, store, round(setup_s, 1), commands)
    finally:
        peers.terminate_server(server)


def concatenated(parts: Sequence[Path], out: Path) -> Path:
    """One N-Triples file of ``parts`` (each N-Triples), in order."""
    with open(out, "wb") as target:
        for part in parts:
            with open(part, "rb") as source:
                shutil.copyfileobj(source, target, 1 << 20)
    return out


def triples(base: str) -> int:
    """Quads in the public graphs, as the public endpoint counts them."""
    answer = requests.get(base + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                          headers={"Accept": SPARQL_JSON}, timeout=600)
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


# ------------------------------------------------------------------ one-record writes


def new_actor(label: str = "bench") -> str:
    return f"{BASE}id/actor/{label}-{uuid.uuid4().hex[:12]}"


def actor_triples(iri: str) -> str:
    """One conforming actor (Turtle and SPARQL syntax, prefixed names): tests/test_writes.py ``actor()``."""
    name = iri.rsplit("/", 1)[1]
    return f'<{iri}> a tsc:Actor ; skos:prefLabel "Actor {name}"@en , "Acteur {name}"@fr ; tsc:actorType <{NGO}> .\n'


def actor_update(iri: str) -> str:
    """The SPARQL Update ``INSERT DATA`` of one actor into the local graph."""
    return SPARQL_PREFIXES + f"INSERT DATA {{ GRAPH <{LOCAL}> {{ {actor_triples(iri)} }} }}"


def insert_actor(session: requests.Session, base: str, token: str, iri: str) -> requests.Response:
    """SPARQL Update: ``INSERT DATA`` of one actor into the local graph (``POST /update``)."""
    return session.post(base + "/update", data=actor_update(iri).encode(), timeout=WRITE_TIMEOUT,
                        headers={"Authorization": "Bearer " + token, "Content-Type": "application/sparql-update"})


def post_actor(session: requests.Session, base: str, token: str, iri: str) -> requests.Response:
    """Graph Store Protocol: ``POST /data?graph=<local>`` of one actor (merged into the graph)."""
    return session.post(base + "/data", params={"graph": LOCAL}, data=(TTL_PREFIXES + actor_triples(iri)).encode(),
                        timeout=WRITE_TIMEOUT, headers={"Authorization": "Bearer " + token,
                                                         "Content-Type": "text/turtle"})


def missing_actors(base: str, iris: Sequence[str]) -> list[str]:
    """The actors of ``iris`` that the local graph does not hold (read back through the public endpoint)."""
    found: set[str] = set()
    for start in range(0, len(iris), 200):
        chunk = " ".join(f"<{i}>" for i in iris[start:start + 200])
        query = (SPARQL_PREFIXES + f"SELECT ?a WHERE {{ GRAPH <{LOCAL}> {{ VALUES ?a {{ {chunk} }} "
                 "?a a tsc:Actor ; skos:prefLabel ?l } }")
        answer = requests.post(base + "/sparql", data=query.encode(), timeout=120,
                               headers={"Content-Type": "application/sparql-query", "Accept": SPARQL_JSON})
        answer.raise_for_status()
        found |= {row["a"]["value"] for row in answer.json()["results"]["bindings"]}
    return [i for i in iris if i not in found]


def cache_hits(base: str) -> float:
    """Answers our readers' caches gave so far (every reader's, summed by ``/metrics``), those of the state just
    before a write given while the new one was computed included."""
    text = requests.get(base + "/metrics", timeout=30).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(("tscgraph_cache_hit_total", "tscgraph_cache_stale_total")))


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def uptime() -> str:
    """``uptime``'s line (the load averages of the machine, other people's work included)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "load average: " + ", ".join(map(str, loadavg()))
