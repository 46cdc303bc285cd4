"""Harvesting another clearing-house's SPARQL endpoint into RDF in our ontology, and checking one is ready.

Records are found class by class and fetched page by page, with two queries per page: a ``SELECT`` of
the page's record IRIs, then one ``CONSTRUCT`` of those records with their blank nodes (a budget, a
contact point) — so a page costs two requests whatever its size, and nothing is fetched twice.

Paging is ``ORDER BY ?s LIMIT n OFFSET k``: SPARQL gives solutions no order unless asked, so without
``ORDER BY`` an engine may answer page 2 in a different order from page 1 and records would be skipped
or repeated. Ordering by the IRI is total and stable while the data does not change.

Every request is bounded (``timeout``), every loop too (``max_pages``); what goes wrong is a
:class:`~loaders.Problem` naming the class and the offset, never an exception, so a harvest reports
every gap. An answer cut by the endpoint's row limit (tscgraph says so in ``X-Tscgraph-Truncated``) is
asked again in smaller pieces until it fits; what still does not fit is reported. Only ``http`` and
``https`` endpoints are harvested (no ``file:`` or other schemes: a harvest must not read local files).
Nothing is written anywhere: the caller validates and stores the :class:`~loaders.Loaded`.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from rdflib import Graph, URIRef
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from graph.namespaces import TSC
from loaders import Loaded, Problem
from loaders.rdf import count_records

#: Our record classes: what a harvest fetches when no class is given.
RECORD_CLASSES: tuple[str, ...] = tuple(
    str(TSC[name]) for name in (
        "Actor", "Project", "CooperationOffer", "CooperationRequest", "NationalStrategy", "NationalTarget",
        "InternationalCommitment", "BestPractice", "LessonLearned", "CaseStudy",
    )
)

# An IRI we may write between < > in a query: nothing that could close it or break out of it.
_SAFE_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_USER_AGENT = "tscgraph-harvester (+https://w3id.org/tscgraph)"


class _Unreachable(Exception):
    """The endpoint could not be reached at all (refused, timed out, unknown host): stop the harvest."""


class _Failed(Exception):
    """The endpoint answered with an error: stop this class, try the next."""


@dataclass
class _Answer:
    body: object            # parsed JSON (SELECT) or bytes (CONSTRUCT)
    truncated: bool


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def harvest_sparql(
    endpoint: str,
    *,
    classes: Sequence[str] | None = None,
    page_size: int = 500,
    timeout: float = 30.0,
    max_pages: int = 1000,
) -> Loaded:
    """Every record of ``classes`` (default: our record classes) at ``endpoint``, with its blank nodes."""
    if not is_http_url(endpoint):
        return Loaded(Graph(), [Problem(endpoint, "endpoint", "only http and https SPARQL endpoints are harvested",
                                        endpoint)])
    if page_size < 1 or max_pages < 1:
        raise ValueError("page_size and max_pages must be at least 1")
    graph = Graph()
    problems: list[Problem] = []
    for cls in classes or RECORD_CLASSES:
        if not _SAFE_IRI.match(cls):
            problems.append(Problem(endpoint, "class", "a class to harvest must be an http(s) IRI", cls))
            continue
        try:
            _harvest_class(endpoint, cls, page_size, timeout, max_pages, graph, problems)
        except _Unreachable:
            break
    return Loaded(graph, problems, count_records(graph))


def _harvest_class(endpoint: str, cls: str, page_size: int, timeout: float, max_pages: int,
                   graph: Graph, problems: list[Problem]) -> None:
    offset = 0
    for _page in range(max_pages):
        where = f"class <{cls}>, offset {offset}"
        query = f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> }} ORDER BY ?s LIMIT {page_size} OFFSET {offset}"
        try:
            answer = _request(endpoint, query, JSON, timeout)
        except (_Unreachable, _Failed) as exc:
            problems.append(Problem(endpoint, where, str(exc)))
            if isinstance(exc, _Unreachable):
                raise
            return
        rows = answer.body["results"]["bindings"] if isinstance(answer.body, dict) else []
        if answer.truncated and page_size > 1:
            # The endpoint's row limit is below our page size: ask the same page again, smaller.
            page_size = max(1, min(len(rows), page_size // 2))
            continue
        subjects: list[str] = []
        for row in rows:
            term = row.get("s", {})
            if term.get("type") == "uri" and _SAFE_IRI.match(term.get("value", "")):
                subjects.append(term["value"])
            elif term.get("type") == "uri":
                problems.append(Problem(endpoint, where, "record IRI is not an http(s) IRI; not harvested",
                                        term.get("value", "")))
            else:
                problems.append(Problem(endpoint, where, "record without an IRI (a blank node); not harvested",
                                        term.get("value", "")))
        try:
            _fetch_records(endpoint, subjects, timeout, graph, problems, where)
        except _Failed as exc:
            problems.append(Problem(endpoint, where, str(exc)))
            return
        except _Unreachable as exc:
            problems.append(Problem(endpoint, where, str(exc)))
            raise
        if len(rows) < page_size:
            return
        offset += len(rows)
    problems.append(Problem(endpoint, f"class <{cls}>, offset {offset}",
                            f"stopped after {max_pages} pages (max_pages); the class may hold more records"))


def _fetch_records(endpoint: str, subjects: list[str], timeout: float, graph: Graph,
                   problems: list[Problem], where: str) -> None:
    """One CONSTRUCT for the page; an answer cut by a row limit is asked again in halves."""
    if not subjects:
        return
    values = " ".join(f"<{s}>" for s in subjects)
    query = (f"CONSTRUCT {{ ?s ?p ?o . ?o ?p2 ?o2 }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o "
             f"OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2 }} }}")
    answer = _request(endpoint, query, TURTLE, timeout)
    if answer.truncated and len(subjects) > 1:
        half = len(subjects) // 2
        _fetch_records(endpoint, subjects[:half], timeout, graph, problems, where)
        _fetch_records(endpoint, subjects[half:], timeout, graph, problems, where)
        return
    if answer.truncated:
        problems.append(Problem(endpoint, where, "the endpoint cut this record's description (row limit); "
                                "it is incomplete", subjects[0]))
    page = Graph()
    try:
        page.parse(data=answer.body, format="turtle", publicID=endpoint)
    except Exception as exc:  # noqa: BLE001 — any parser failure is the endpoint's answer being unreadable
        raise _Failed(f"the CONSTRUCT answer is not readable Turtle: {exc}") from None
    for triple in page:   # each page's blank nodes are its own: they never merge across pages
        graph.add(triple)


def _request(endpoint: str, query: str, fmt: str, timeout: float) -> _Answer:
    """One query, POSTed (long VALUES lists do not fit in a URL), answer format by content negotiation only."""
    client = SPARQLWrapper(endpoint, agent=_USER_AGENT)
    client.setMethod(POST)
    client.setOnlyConneg(True)
    client.setReturnFormat(fmt)
    client.setTimeout(timeout)
    client.setQuery(query)
    try:
        result = client.query()
        headers = result.info()
        raw = result.response.read()
    except SPARQLWrapperException as exc:   # 400, 401, 404, 414, 500 with the endpoint's message
        raise _Failed(f"the endpoint refused the query: {_short(str(exc))}") from None
    except urllib.error.HTTPError as exc:
        raise _Failed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _Unreachable(f"endpoint unreachable: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise _Unreachable(f"endpoint unreachable or too slow (timeout {timeout:g} s): {exc}") from None
    truncated = headers.get("x-tscgraph-truncated", "").lower() == "true"
    if fmt == JSON:
        try:
            body = json.loads(raw)
        except ValueError:
            raise _Failed("the SELECT answer is not SPARQL JSON results") from None
        truncated = truncated or bool(isinstance(body, dict) and body.get("truncated"))
        if not isinstance(body, dict) or "results" not in body:
            raise _Failed("the SELECT answer is not SPARQL JSON results")
        return _Answer(body, truncated)
    return _Answer(raw, truncated)


def _short(message: str, limit: int = 300) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit] + "…"


# ------------------------------------------------------------------ is an endpoint ready to be harvested?


@dataclass(frozen=True)
class Check:
    """One readiness check of an endpoint: what was checked, whether it passed, and what was seen."""

    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


_TRIVIAL = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


def check_endpoint(url: str, timeout: float = 10.0) -> list[Check]:
    """What a harvester (or a federating clearing-house) needs of a SPARQL endpoint, each checked once."""
    import requests

    if not is_http_url(url):
        return [Check("endpoint", False, f"only http and https endpoints can be checked, got {url!r}")]
    session = requests.Session()
    session.headers["User-Agent"] = _USER_AGENT
    checks: list[Check] = []

    def get(**kwargs):
        return session.get(url, timeout=timeout, allow_redirects=False, **kwargs)

    try:
        response = get(headers={"Accept": "text/turtle"})
        described = False
        if response.status_code == 200 and "turtle" in response.headers.get("Content-Type", ""):
            sd = Graph()
            try:
                sd.parse(data=response.content, format="turtle", publicID=url)
                described = (None, None, URIRef("http://www.w3.org/ns/sparql-service-description#Service")) in sd
            except Exception:  # noqa: BLE001 — unreadable Turtle is just "no service description"
                described = False
        checks.append(Check("service description", described,
                            "sd:Service in Turtle" if described else
                            f"GET without a query answered {response.status_code} "
                            f"{response.headers.get('Content-Type', '(no type)')}, not a Turtle sd:Service"))
    except requests.RequestException as exc:
        return [Check("reachable", False, f"{url}: {_short(str(exc))}")]

    start = time.monotonic()
    try:
        response = get(params={"query": _TRIVIAL}, headers={"Accept": "application/sparql-results+json",
                                                            "Origin": "https://example.org"})
        elapsed = time.monotonic() - start
        answered = response.status_code == 200 and _is_json_results(response.content)
        checks.append(Check("trivial query", answered, f"answered in {elapsed:.2f} s" if answered else
                            f"HTTP {response.status_code}, {response.headers.get('Content-Type', '(no type)')}"))
        cors = response.headers.get("Access-Control-Allow-Origin", "")
        checks.append(Check("CORS", cors in ("*", "https://example.org"),
                            f"Access-Control-Allow-Origin: {cors}" if cors else "no Access-Control-Allow-Origin"))
    except requests.RequestException as exc:
        checks.append(Check("trivial query", False, f"no answer within {timeout:g} s: {_short(str(exc))}"))

    for name, accept, test in (
        ("JSON results", "application/sparql-results+json", _is_json_results),
        ("XML results", "application/sparql-results+xml", lambda b: b"<sparql" in b and b"results" in b),
        ("CSV results", "text/csv", lambda b: b.split(b"\n", 1)[0].strip() == b"s"),
    ):
        checks.append(_format_check(get, name, accept, test, timeout))
    try:
        response = get(params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
        boolean = _json(response.content).get("boolean") if response.status_code == 200 else None
        checks.append(Check("ASK", isinstance(boolean, bool), f"boolean {boolean}" if isinstance(boolean, bool) else
                            f"HTTP {response.status_code}, no boolean answer"))
    except requests.RequestException as exc:
        checks.append(Check("ASK", False, _short(str(exc))))
    return checks


def _format_check(get, name: str, accept: str, test, timeout: float) -> Check:
    import requests

    try:
        response = get(params={"query": _TRIVIAL}, headers={"Accept": accept})
    except requests.RequestException as exc:
        return Check(name, False, f"no answer within {timeout:g} s: {_short(str(exc))}")
    kind = response.headers.get("Content-Type", "(no type)")
    ok = response.status_code == 200 and test(response.content)
    return Check(name, ok, kind if ok else f"HTTP {response.status_code}, {kind}")


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_json_results(body: bytes) -> bool:
    data = _json(body)
    return "head" in data and "results" in data

