"""The load test's writes (``bench/load.py``): the partner node (a harvest source on loopback whose records
change at every fetch), the writer threads (a harvester, submitters through the project form, an updater
through SPARQL Update) and the checks that find every acknowledged write again — over HTTP after each phase,
and in the store on disk once the server stopped.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from bench.http import percentile
from bench.load_reads import BASE, HARVEST_GRAPH, OFB, PREFIXES, SOURCE, SPARQL_JSON

LOCAL = BASE + "graph/local"
HARVEST_LOG = BASE + "graph/harvest-log"
#: Bounds: seconds one writer request may take; seconds a harvest run may take.
WRITE_TIMEOUT = 60.0
HARVEST_TIMEOUT = 120.0
TARGET_3 = "https://w3id.org/tscgraph/vocab/gbf/target/3"
NGO = "https://w3id.org/tscgraph/vocab/actor-type/ngo"


# ------------------------------------------------------------------ the partner node (a harvest source on loopback)


def partner_records(version: int) -> str:
    """The partner's records at ``version``: one actor and 2–5 projects whose titles carry the version, so that
    every fetch differs from the one before (each harvest run replaces records, adds or removes some)."""
    lines = ["@prefix tsc: <https://w3id.org/tscgraph/ontology#> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
             "@prefix dcterms: <http://purl.org/dc/terms/> .",
             "<https://partner.example.org/id/actor/load-lab> a tsc:Actor ;",
             '    skos:prefLabel "Example: the load partner\'s laboratory"@en , "Exemple : laboratoire partenaire"@fr ;',
             "    tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/research-institute> ; tsc:isExample true ."]
    for n in range(2 + version % 4):
        lines += [f"<https://partner.example.org/id/project/load-{n}> a tsc:Project ;",
                  f'    dcterms:title "Example: harvested project {n}, version {version}"@en , '
                  f'"Exemple : projet moissonné {n}, version {version}"@fr ;',
                  '    dcterms:description "Illustrative record of the load test."@en ;',
                  "    tsc:leadOrganisation <https://partner.example.org/id/actor/load-lab> ;",
                  f"    tsc:contributesToTarget <https://w3id.org/tscgraph/vocab/gbf/target/{1 + (n + version) % 23}> ;",
                  "    tsc:isExample true ."]
    return "\n".join(lines) + "\n"


class Partner:
    """Serves ``/records.ttl`` at the current version on 127.0.0.1 and remembers which version each fetch got."""

    def __init__(self) -> None:
        self.version = 0
        self.fetched: list[int] = []
        self.lock = threading.Lock()
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                with partner.lock:
                    version = partner.version
                    partner.fetched.append(version)
                body = partner_records(version).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/records.ttl"
        self.thread = threading.Thread(target=self.server.serve_forever, name="load-partner", daemon=True)

    def __enter__(self) -> Partner:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_version(self) -> int:
        with self.lock:
            self.version += 1
            self.fetched.clear()
            return self.version


def graph_of(turtle: str) -> Graph:
    return Graph().parse(data=turtle, format="turtle", publicID=BASE)


# ------------------------------------------------------------------ writers


@dataclass
class Writer:
    """A bounded loop of one kind of write, until ``deadline``: what was acknowledged, every status, the latencies."""

    base: str
    token: str
    label: str
    statuses: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    accepted: list = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    pause_s: float = 1.0
    max_writes: int = 100_000

    def run(self, deadline: float) -> None:
        """Write, pause ``pause_s``, write again… until ``deadline`` (a write under way then finishes)."""
        with requests.Session() as session:
            for _ in range(self.max_writes):
                if time.monotonic() >= deadline:
                    break
                try:
                    self.once(session)
                except requests.RequestException as exc:
                    self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                except Exception as exc:  # noqa: BLE001 - reported as a failure of the run, never a thread crash
                    self.failures.append(f"{type(exc).__name__}: {str(exc)[:300]}")
                    break
                time.sleep(max(0.0, min(self.pause_s, deadline - time.monotonic())))

    def send(self, session: requests.Session, method: str, path: str, expected: int, **kw) -> requests.Response | None:
        t0 = time.perf_counter()
        answer = session.request(method, self.base + path, timeout=WRITE_TIMEOUT, allow_redirects=False, **kw)
        self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        self.statuses[answer.status_code] += 1
        if answer.status_code != expected:
            self.failures.append(f"{method} {path}: {answer.status_code} {answer.text[:300]!r}")
            return None
        return answer

    def once(self, session: requests.Session) -> None:
        raise NotImplementedError

    def figures(self) -> dict:
        ordered = sorted(self.latencies_ms)
        return {"accepted": len(self.accepted), "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "status_5xx": sum(n for s, n in self.statuses.items() if s >= 500),
                "p50_ms": round(percentile(ordered, 50), 1), "p90_ms": round(percentile(ordered, 90), 1),
                "p99_ms": round(percentile(ordered, 99), 1), "max_ms": round(ordered[-1], 1) if ordered else 0.0,
                "writes": len(ordered),
                "failures": self.failures[:20]}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, headers={"Accept": "text/html"}, timeout=WRITE_TIMEOUT)
    found = CSRF.search(page.text)
    if page.status_code != 200 or not found:
        raise RuntimeError(f"GET {url}: {page.status_code}, no CSRF token")
    return found.group(1)


@dataclass
class SubmissionWriter(Writer):
    """Proposes projects through the real form, as a visitor does: GET the form, then POST it with its token."""

    def once(self, session: requests.Session) -> None:
        token = csrf_token(session, self.base + "/submit/project")
        title = f"Example: load test project {self.label}-{len(self.accepted) + 1} {secrets.token_hex(3)}"
        form = {"csrf_token": token, "dcterms-title.en": title, "dcterms-title.fr": title + " (fr)",
                "tsc-contributesToTarget": [TARGET_3], "tsc-leadOrganisation": OFB, "schema-startDate": "2025-01-15",
                "tsc-budget.schema-value": "1500.50", "tsc-budget.schema-currency": "EUR",
                "submitter-name": "Load Tester", "submitter-email": "load@example.org"}
        answer = self.send(session, "POST", "/submit/project", 303, data=form)
        if answer is not None:
            found = re.fullmatch(r"/submissions/([A-Za-z0-9_-]{16,})\?new=1", answer.headers.get("Location", ""))
            if found is None:
                self.failures.append(f"303 to an unexpected place: {answer.headers.get('Location')!r}")
                return
            self.accepted.append((found.group(1), title))


@dataclass
class UpdateWriter(Writer):
    """Adds one actor per SPARQL Update (``INSERT DATA`` into the local graph) with the bearer token."""

    def once(self, session: requests.Session) -> None:
        iri = f"{BASE}id/actor/load-{self.label}-{len(self.accepted) + 1}-{secrets.token_hex(3)}"
        name = iri.rsplit("/", 1)[1]
        update = (PREFIXES + f'INSERT DATA {{ <{iri}> a tsc:Actor ; skos:prefLabel "Example: actor {name}"@en , '
                  f'"Exemple : acteur {name}"@fr ; tsc:actorType <{NGO}> }}')
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/sparql-update"}
        if self.send(session, "POST", "/update", 200, data=update.encode(), headers=headers) is not None:
            self.accepted.append(iri)


@dataclass
class HarvestWriter(Writer):
    """Harvests the partner again and again: bumps its version, asks the server to harvest it (with the bearer
    token), waits for the run to end (bounded), then checks that the newest run is a new one, ``ok``, with the
    partner's triple count, that the partner was fetched once at that version, and that the harvest graph is
    isomorphic to what it served."""

    partner: Partner | None = None
    verified: list = field(default_factory=list)

    def once(self, session: requests.Session) -> None:
        assert self.partner is not None
        page = f"/harvest/{SOURCE}"
        runs = self.wait(session, page)["runs"]
        previous = runs[0]["iri"] if runs else None
        version = self.partner.next_version()
        headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if self.send(session, "POST", page + "/check", 202, headers=headers) is None:
            return
        self.accepted.append(version)
        status = self.wait(session, page)
        run = status["runs"][0] if status["runs"] else {}
        expected = graph_of(partner_records(version))
        held = session.get(self.base + "/data", params={"graph": HARVEST_GRAPH},  # with the token: its own write
                           headers={"Accept": "application/n-triples", "Authorization": "Bearer " + self.token},
                           timeout=WRITE_TIMEOUT)
        whole = held.status_code == 200 and isomorphic(Graph().parse(data=held.text, format="nt"), expected)
        fetched = list(self.partner.fetched)
        if run.get("iri") not in (None, previous) and run.get("outcome") == "ok" and run.get("triples") == len(expected) \
                and run.get("quarantined") == 0 and fetched == [version] and whole:
            self.verified.append(version)
        else:
            self.failures.append(f"harvest of version {version}: run {run}, fetched {fetched}, "
                                 f"graph {held.status_code} whole={whole}")

    def wait(self, session: requests.Session, page: str) -> dict:
        deadline = time.monotonic() + HARVEST_TIMEOUT
        while True:  # bounded: HARVEST_TIMEOUT
            status = session.get(self.base + page, params={"format": "json"}, timeout=WRITE_TIMEOUT).json()
            if not status["running"]:
                return status
            if time.monotonic() > deadline:
                raise RuntimeError(f"the harvest did not end within {HARVEST_TIMEOUT} s")
            time.sleep(0.1)

    def figures(self) -> dict:
        return {**super().figures(), "verified": len(self.verified)}


# ------------------------------------------------------------------ checking the writes


def select(base: str, query: str) -> list[dict]:
    answer = requests.post(base + "/sparql", data=(PREFIXES + query).encode(),
                           headers={"Content-Type": "application/sparql-query", "Accept": SPARQL_JSON}, timeout=60)
    answer.raise_for_status()
    return answer.json()["results"]["bindings"]


def verify_submissions(base: str, accepted: list[tuple[str, str]]) -> list[str]:
    """Every acknowledged submission is pending on its status page, with its title."""
    lost = []
    with requests.Session() as session:
        for sub_id, title in accepted:
            page = session.get(f"{base}/submissions/{sub_id}", headers={"Accept": "text/html"}, timeout=60)
            if page.status_code != 200 or 'data-status="pending"' not in page.text or title not in page.text:
                lost.append(f"{sub_id} ({page.status_code})")
    return lost


def verify_inserts(base: str, iris: list[str]) -> list[str]:
    """Every acknowledged INSERT is queryable in the local graph."""
    found: set[str] = set()
    for start in range(0, len(iris), 200):
        chunk = " ".join(f"<{i}>" for i in iris[start:start + 200])
        rows = select(base, f"SELECT ?a WHERE {{ GRAPH <{LOCAL}> {{ VALUES ?a {{ {chunk} }} ?a a tsc:Actor ; skos:prefLabel ?l }} }}")
        found |= {row["a"]["value"] for row in rows}
    return [i for i in iris if i not in found]


def harvest_log(base: str) -> dict[str, int]:
    """The source's runs in the public harvest log, by outcome."""
    rows = select(base, f"SELECT ?outcome (COUNT(?run) AS ?n) WHERE {{ GRAPH <{HARVEST_LOG}> {{ ?run prov:used "
                        f"<{BASE}id/harvest-source/{SOURCE}> ; dcterms:type ?outcome }} }} GROUP BY ?outcome")
    return {row["outcome"]["value"]: int(row["n"]["value"]) for row in rows}


def healthy(base: str) -> bool:
    try:
        health = requests.get(base + "/health", timeout=30)
        ask = requests.get(base + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": SPARQL_JSON},
                           timeout=30)
        return health.status_code == 200 and ask.status_code == 200 and ask.json()["boolean"] is True
    except (requests.RequestException, ValueError):
        return False


def verify_store(store_dir: Path, submissions: list[tuple[str, str]], inserts: list[str], version: int | None) -> dict:
    """After the server stopped: the writes are in the store on disk (submissions pending in their private graphs,
    inserted actors in the local graph, the harvest graph equal to the partner's last version)."""
    from graph import submissions as subs
    from graph.settings import load_settings
    from graph.store.oxigraph import OxigraphStore

    settings = load_settings(overrides={"store_dir": store_dir}, environ={})
    with OxigraphStore(store_dir) as store:
        lost_subs = []
        for sub_id, title in submissions:
            sub = subs.get(store, settings, sub_id)
            content = store.read_graph(settings.submission_graph(sub_id))
            if sub is None or sub.status != "pending" or title not in {str(o) for o in content.objects()}:
                lost_subs.append(sub_id)
        local = store.read_graph(settings.local_graph)
        lost_inserts = [i for i in inserts if (URIRef(i), None, None) not in local]
        harvest_whole = version is None or isomorphic(store.read_graph(HARVEST_GRAPH), graph_of(partner_records(version)))
    return {"submissions": len(submissions) - len(lost_subs), "inserts": len(inserts) - len(lost_inserts),
            "lost_submissions": lost_subs, "lost_inserts": lost_inserts, "harvest_graph_whole": harvest_whole}
