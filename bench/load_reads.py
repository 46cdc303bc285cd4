"""The load test's reads (``bench/load.py``): the mix of requests, the check that each answers, and the two
generators that send it — ``wrk`` with a Lua script that draws from the mix by weight and counts every status,
or, without wrk, bounded Python threads sending the same mix.

It also holds the names the load test's modules share (the store's base IRI, the SPARQL prefixes, the partner's
harvest graph): one read counts what the harvester replaces, and the writers (``bench/load_writes.py``) write
and check with the same names.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass

import requests

from bench import peers
from bench.http import percentile, run_wrk

BASE = peers.BASE
SOURCE = "load-partner"
HARVEST_GRAPH = BASE + "graph/harvest/" + SOURCE
SPARQL_JSON = "application/sparql-results+json"
#: Bound: requests per read phase.
MAX_READS = 5_000_000
PREFIXES = ("PREFIX tsc: <https://w3id.org/tscgraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#> ")
OFB = BASE + "id/actor/ofb"


# ------------------------------------------------------------------ the read mix


@dataclass(frozen=True)
class Read:
    """One request of the mix, drawn with probability ``weight`` / (sum of the weights); it must answer 200 in the
    media type ``expect`` (default: the one it accepts)."""

    name: str
    kind: str
    path: str
    accept: str
    weight: int
    method: str = "GET"
    body: str | None = None
    content_type: str | None = None
    expect: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept": self.accept, **({"Content-Type": self.content_type} if self.content_type else {})}


def _q(query: str) -> str:
    return urllib.parse.quote(PREFIXES + query, safe="")


GROUP_BY = "SELECT ?t (COUNT(?p) AS ?n) WHERE { ?p a tsc:Project ; tsc:contributesToTarget ?t } GROUP BY ?t ORDER BY DESC(?n)"
READS = (
    Read("home", "page", "/", "text/html", 6),
    Read("projects-faceted", "page", "/projects?target=3&status=ongoing", "text/html", 6),
    Read("projects-search", "page", "/projects?q=biodiversity&sort=title", "text/html", 3),
    Read("actors", "page", "/actors", "text/html", 5),
    Read("gbf-coverage", "page", "/gbf", "text/html", 3),
    Read("query-per-target", "canned query", "/queries/projects-per-gbf-target?lang=fr", SPARQL_JSON, 5),
    Read("query-actors-by-type", "canned query", "/queries/actors-by-type?format=json", "application/json", 4,
         expect=SPARQL_JSON),
    Read("query-partners-csv", "canned query", "/queries/partner-network", "text/csv", 4),
    Read("query-funding", "canned query", "/queries/funding-per-target", SPARQL_JSON, 3),
    Read("query-offers", "canned query", "/queries/offers-for-request", SPARQL_JSON, 3),
    Read("sparql-lookup-json", "SPARQL GET", f"/sparql?query={_q(f'SELECT ?p ?o WHERE {{ <{OFB}> ?p ?o }}')}",
         SPARQL_JSON, 6),
    Read("sparql-classes-xml", "SPARQL GET",
         f"/sparql?query={_q('SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c')}",
         "application/sparql-results+xml", 3),
    Read("sparql-titles-csv", "SPARQL GET",
         f"/sparql?query={_q('SELECT ?p ?t WHERE { ?p a tsc:Project ; dcterms:title ?t } LIMIT 100')}", "text/csv", 3),
    Read("sparql-construct-turtle", "SPARQL GET",
         f"/sparql?query={_q('CONSTRUCT { ?a skos:prefLabel ?l } WHERE { ?a a tsc:Actor ; skos:prefLabel ?l }')}",
         "text/turtle", 4),
    Read("sparql-harvest-count", "SPARQL GET",  # reads what the harvester is replacing
         f"/sparql?query={_q(f'SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{HARVEST_GRAPH}> {{ ?s ?p ?o }} }}')}",
         SPARQL_JSON, 4),
    Read("sparql-post-direct", "SPARQL POST", "/sparql", SPARQL_JSON, 5, method="POST",
         body=PREFIXES + GROUP_BY, content_type="application/sparql-query"),
    Read("sparql-post-form-tsv", "SPARQL POST", "/sparql", "text/tab-separated-values", 3, method="POST",
         body="query=" + _q("SELECT ?a ?l WHERE { ?a a tsc:Actor ; skos:prefLabel ?l FILTER(lang(?l) = 'fr') }"),
         content_type="application/x-www-form-urlencoded"),
    Read("record-project-html", "content negotiation", "/id/project/biodiversa-plus", "text/html", 6),
    Read("record-project-jsonld", "content negotiation", "/id/project/biodiversa-plus", "application/ld+json", 5),
    Read("record-actor-turtle", "content negotiation", "/id/actor/ofb", "text/turtle", 5),
    Read("record-actor-html", "content negotiation", "/id/actor/ofb",
         "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 4, expect="text/html"),
    Read("record-target-turtle", "content negotiation", "/vocab/gbf/target/3", "text/turtle;q=1, application/ld+json;q=0.5",
         3, expect="text/turtle"),
)


def expected_type(read: Read) -> str:
    return read.expect or read.accept


def check_mix(base: str, reads=READS) -> dict[str, dict]:
    """Ask each read once: all must answer 200 in the media type asked for, so that the load measures answers,
    not errors. Returns each read's status, type and size; raises RuntimeError naming the first that fails."""
    out = {}
    with requests.Session() as session:
        for read in reads:
            r = session.request(read.method, base + read.path, data=read.body, headers=read.headers, timeout=60)
            media = r.headers.get("Content-Type", "").split(";")[0].strip()
            out[read.name] = {"status": r.status_code, "type": media, "bytes": len(r.content)}
            if r.status_code != 200 or media != expected_type(read) or not r.content:
                raise RuntimeError(f"{read.name}: {r.status_code} {media} {r.text[:300]!r}")
    return out


def mix_row(read: Read) -> dict:
    """A read as the report lists it: SPARQL shown as its query text (without the prefixes), not percent-encoded."""
    shown = read.path
    if read.path.startswith("/sparql?query="):
        shown = "/sparql?query=" + urllib.parse.unquote(read.path[len("/sparql?query="):]).replace(PREFIXES, "")
    elif read.body is not None:
        text = read.body[len("query="):] if read.body.startswith("query=") else read.body
        shown = f"{read.path} ({read.content_type}) " + urllib.parse.unquote(text).replace(PREFIXES, "")
    return {"name": read.name, "kind": read.kind, "method": read.method, "request": shown, "path": read.path,
            "accept": read.accept, "weight": read.weight}


# ------------------------------------------------------------------ reads with wrk (Lua: a weighted mix, statuses counted)

WRK_SCRIPT = r"""
local mix = {
__MIX__
}
local pool = {}
local threads = {}
local made = 0

function setup(thread)
  made = made + 1
  thread:set("id", made)
  table.insert(threads, thread)
end

statuses = {}
count = 0
limit = __LIMIT__

function init(args)
  math.randomseed(7919 * (id or 1))
  for _, r in ipairs(mix) do
    local formatted = wrk.format(r.method, r.path, r.headers, r.body)
    for _ = 1, r.weight do table.insert(pool, formatted) end
  end
end

function request()
  return pool[math.random(#pool)]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  count = count + 1
  if count >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do all[status] = (all[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(all) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'LOAD_JSON {"requests": %d, "duration_us": %d, "statuses": {%s}, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, table.concat(parts, ", "), e.connect, e.read, e.write, e.timeout,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.mean, latency.max))
end
"""


def _lua(text: str) -> str:
    return json.dumps(text)  # our strings are ASCII: a JSON string literal is a Lua one


def wrk_script(reads=READS, limit: int = MAX_READS) -> str:
    rows = []
    for r in reads:
        if not r.path.isascii() or not (r.body or "").isascii():
            raise ValueError(f"{r.name}: wrk requests must be ASCII (percent-encode the rest)")
        headers = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in r.headers.items())
        body = _lua(r.body) if r.body is not None else "nil"
        rows.append(f"  {{method = {_lua(r.method)}, path = {_lua(r.path)}, headers = {{{headers}}}, "
                    f"body = {body}, weight = {r.weight}}},")
    return WRK_SCRIPT.replace("__MIX__", "\n".join(rows)).replace("__LIMIT__", str(limit))


def reads_wrk(wrk: str, base: str, clients: int, duration_s: float, reads=READS, max_requests: int = MAX_READS) -> dict:
    raw, cmd = run_wrk(wrk, lambda limit: wrk_script(reads, limit), max_requests, base + "/", clients, duration_s,
                       30, "LOAD_JSON", slack_s=90)
    elapsed = raw["duration_us"] / 1e6
    return _read_figures(raw["requests"], elapsed, {int(k): v for k, v in raw["statuses"].items()},
                         raw["connect_errors"] + raw["read_errors"] + raw["write_errors"], raw["timeouts"],
                         [raw[f"p{p}_us"] / 1000 for p in (50, 90, 99)], raw["mean_us"] / 1000, raw["max_us"] / 1000,
                         "wrk " + " ".join(cmd[1:-3]) + " -s <mix.lua> " + cmd[-1])


def reads_python(base: str, clients: int, duration_s: float, reads=READS, max_requests: int = MAX_READS) -> dict:
    """The same mix without wrk: ``clients`` threads, each a keep-alive session; bounded in time and count."""
    lock = threading.Lock()
    statuses: Counter = Counter()
    latencies: list[float] = []
    state = {"issued": 0, "errors": 0, "timeouts": 0}
    pool = [r for r in reads for _ in range(r.weight)]
    start = time.monotonic()
    deadline = start + duration_s

    def client(number: int) -> None:
        chooser = random.Random(7919 * (number + 1))
        mine: list[float] = []
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    if state["issued"] >= max_requests:
                        break
                    state["issued"] += 1
                read = chooser.choice(pool)
                t0 = time.perf_counter()
                try:
                    answer = session.request(read.method, base + read.path, data=read.body, headers=read.headers,
                                             timeout=30)
                    _ = answer.content
                except requests.Timeout:
                    with lock:
                        state["timeouts"] += 1
                    continue
                except requests.RequestException:
                    with lock:
                        state["errors"] += 1
                    continue
                mine.append((time.perf_counter() - t0) * 1000)
                with lock:
                    statuses[answer.status_code] += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=duration_s + 60)
    elapsed = time.monotonic() - start
    latencies.sort()
    mean = sum(latencies) / len(latencies) if latencies else 0.0
    return _read_figures(len(latencies), elapsed, dict(statuses), state["errors"], state["timeouts"],
                         [percentile(latencies, p) for p in (50, 90, 99)], mean, latencies[-1] if latencies else 0.0,
                         f"python threads={clients} duration={duration_s}s")


def _read_figures(count: int, elapsed: float, statuses: dict[int, int], socket_errors: int, timeouts: int,
                  percentiles: list[float], mean_ms: float, max_ms: float, tool: str) -> dict:
    by_class = Counter()
    for status, n in statuses.items():
        by_class[f"{status // 100}xx"] += n
    return {
        "requests": count, "elapsed_s": round(elapsed, 2), "req_per_s": round(count / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentiles[0], 2), "p90_ms": round(percentiles[1], 2), "p99_ms": round(percentiles[2], 2),
        "mean_ms": round(mean_ms, 2), "max_ms": round(max_ms, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())}, "classes": dict(sorted(by_class.items())),
        "non_2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "status_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "socket_errors": socket_errors, "timeouts": timeouts, "tool": tool,
    }


def run_reads(base: str, clients: int, duration_s: float, tool: str = "auto", reads=READS) -> dict:
    wrk = None if tool == "python" else peers.ensure_wrk()
    if wrk is None and tool == "wrk":
        raise RuntimeError("wrk is not available and cannot be installed here")
    if wrk is not None:
        return reads_wrk(wrk, base, clients, duration_s, reads)
    return reads_python(base, clients, duration_s, reads)
