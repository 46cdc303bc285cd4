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

Every request goes through the guarded client (:mod:`loaders.net`) with the source's policy: the endpoint's
address is checked, a redirect is followed only where the policy allows it, an answer is capped in size.
A Problem's message is classified ("the endpoint refused the query (HTTP 400)"): the endpoint's own words
are never quoted (a harvest publishes its problems).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from rdflib import Graph, URIRef

from graph.namespaces import TSC
from loaders import Loaded, Problem
from loaders.net import MAX_BYTES, REDIRECTS, FetchError, Policy, request
from loaders.reading import count_records, parse_loaded

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
#: The two answer formats a harvest asks for, and the Accept header of each.
JSON, TURTLE = "json", "turtle"
_ACCEPT = {JSON: "application/sparql-results+json,application/json",
           TURTLE: "text/turtle,application/turtle,application/x-turtle"}
#: Largest answer read from an endpoint check.
CHECK_MAX_BYTES = 5 * 1024 * 1024


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
    policy: Policy | None = None,
) -> Loaded:
    """Every record of ``classes`` (default: our record classes) at ``endpoint``, with its blank nodes.

    ``policy`` says who may be contacted (default: the endpoint's own origin, on a public address)."""
    if not is_http_url(endpoint):
        return Loaded(Graph(), [Problem(endpoint, "endpoint", "only http and https SPARQL endpoints are harvested",
                                        endpoint)])
    if page_size < 1 or max_pages < 1:
        raise ValueError("page_size and max_pages must be at least 1")
    graph = Graph()
    problems: list[Problem] = []
    ask = _Asker(endpoint, timeout, policy or Policy.for_source(endpoint))
    for cls in classes or RECORD_CLASSES:
        if not _SAFE_IRI.match(cls):
            problems.append(Problem(endpoint, "class", "a class to harvest must be an http(s) IRI", cls))
            continue
        try:
            _harvest_class(ask, cls, page_size, max_pages, graph, problems)
        except _Unreachable:
            break
    return Loaded(graph, problems, count_records(graph))


def _harvest_class(ask: _Asker, cls: str, page_size: int, max_pages: int, graph: Graph,
                   problems: list[Problem]) -> None:
    endpoint = ask.endpoint
    offset = 0
    for _page in range(max_pages):
        where = f"class <{cls}>, offset {offset}"
        query = f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> }} ORDER BY ?s LIMIT {page_size} OFFSET {offset}"
        try:
            answer = ask(query, JSON)
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
            term = row.get("s") if isinstance(row, dict) else None
            term = term if isinstance(term, dict) else {}
            if term.get("type") == "uri" and _SAFE_IRI.match(str(term.get("value", ""))):
                subjects.append(str(term["value"]))
            elif term.get("type") == "uri":
                problems.append(Problem(endpoint, where, "record IRI is not an http(s) IRI; not harvested",
                                        term.get("value", "")))
            else:
                problems.append(Problem(endpoint, where, "record without an IRI (a blank node); not harvested",
                                        term.get("value", "")))
        try:
            _fetch_records(ask, subjects, graph, problems, where)
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


def _fetch_records(ask: _Asker, subjects: list[str], graph: Graph, problems: list[Problem], where: str) -> None:
    """One CONSTRUCT for the page; an answer cut by a row limit is asked again in halves."""
    if not subjects:
        return
    values = " ".join(f"<{s}>" for s in subjects)
    query = (f"CONSTRUCT {{ ?s ?p ?o . ?o ?p2 ?o2 }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o "
             f"OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2 }} }}")
    answer = ask(query, TURTLE)
    if answer.truncated and len(subjects) > 1:
        half = len(subjects) // 2
        _fetch_records(ask, subjects[:half], graph, problems, where)
        _fetch_records(ask, subjects[half:], graph, problems, where)
        return
    if answer.truncated:
        problems.append(Problem(ask.endpoint, where, "the endpoint cut this record's description (row limit); "
                                "it is incomplete", subjects[0]))
    page = parse_loaded(answer.body, "turtle", ask.endpoint, ask.endpoint)  # type: ignore[arg-type]
    if page.problems:
        raise _Failed(f"the CONSTRUCT answer is {page.problems[0].message}")
    for triple in page.graph:   # each page's blank nodes are its own: they never merge across pages
        graph.add(triple)


@dataclass(frozen=True)
class _Asker:
    """Queries one endpoint under one policy."""

    endpoint: str
    timeout: float
    policy: Policy

    def __call__(self, query: str, fmt: str) -> _Answer:
        return _request(self.endpoint, query, fmt, self.timeout, self.policy)


def _request(endpoint: str, query: str, fmt: str, timeout: float, policy: Policy) -> _Answer:
    """One query, POSTed (long VALUES lists do not fit in a URL), answer format by content negotiation only."""
    try:
        answer = request(endpoint, policy, method="POST", body=urlencode({"query": query}).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": _ACCEPT[fmt],
                                  "User-Agent": _USER_AGENT}, timeout=timeout, max_bytes=MAX_BYTES)
    except FetchError as exc:
        if exc.reason.startswith("too large"):
            raise _Failed(f"the answer is {exc.reason}") from None
        raise _Unreachable(f"endpoint unreachable: {exc.reason}") from None
    if not 200 <= answer.status < 300:
        raise _Failed(f"the endpoint refused the query (HTTP {answer.status})")
    headers, raw = answer.headers, answer.body
    truncated = headers.get("x-tscgraph-truncated", "").lower() == "true"
    if fmt == JSON:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise _Failed("the SELECT answer is not SPARQL JSON results") from None
        truncated = truncated or bool(isinstance(body, dict) and body.get("truncated"))
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
            raise _Failed("the SELECT answer is not SPARQL JSON results")
        return _Answer(body, truncated)
    return _Answer(raw, truncated)


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
    """What a harvester (or a federating clearing-house) needs of a SPARQL endpoint, each checked once.

    ``url`` is the operator's own: its address is not judged, but no redirect is followed (a redirect is
    reported as the answer it is), and each answer is read up to :data:`CHECK_MAX_BYTES`."""
    if not is_http_url(url):
        return [Check("endpoint", False, f"only http and https endpoints can be checked, got {url!r}")]
    policy = Policy.for_operator(url, max_redirects=0)
    checks: list[Check] = []

    def get(params: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        target = url + (("&" if "?" in url else "?") + urlencode(params) if params else "")
        return request(target, policy, headers={"User-Agent": _USER_AGENT, **(headers or {})}, timeout=timeout,
                       max_bytes=CHECK_MAX_BYTES)

    try:
        response = get(headers={"Accept": "text/turtle"})
        described = False
        if response.status == 200 and "turtle" in response.headers.get("Content-Type", ""):
            sd = parse_loaded(response.body, "turtle", url, url).graph  # unreadable Turtle: no service description
            described = (None, None, URIRef("http://www.w3.org/ns/sparql-service-description#Service")) in sd
        seen = ("a redirect, not followed" if response.status in REDIRECTS
                else response.headers.get("Content-Type", "(no type)"))
        checks.append(Check("service description", described,
                            "sd:Service in Turtle" if described else
                            f"GET without a query answered {response.status} {seen}, not a Turtle sd:Service"))
    except FetchError as exc:
        return [Check("reachable", False, f"{url}: {exc.reason}")]

    start = time.monotonic()
    try:
        response = get({"query": _TRIVIAL}, {"Accept": "application/sparql-results+json",
                                             "Origin": "https://example.org"})
        elapsed = time.monotonic() - start
        answered = response.status == 200 and _is_json_results(response.body)
        checks.append(Check("trivial query", answered, f"answered in {elapsed:.2f} s" if answered else
                            f"HTTP {response.status}, {response.headers.get('Content-Type', '(no type)')}"))
        cors = response.headers.get("Access-Control-Allow-Origin", "")
        checks.append(Check("CORS", cors in ("*", "https://example.org"),
                            f"Access-Control-Allow-Origin: {cors}" if cors else "no Access-Control-Allow-Origin"))
    except FetchError as exc:
        checks.append(Check("trivial query", False, f"no answer within {timeout:g} s: {exc.reason}"))

    for name, accept, test in (
        ("JSON results", "application/sparql-results+json", _is_json_results),
        ("XML results", "application/sparql-results+xml", lambda b: b"<sparql" in b and b"results" in b),
        ("CSV results", "text/csv", lambda b: b.split(b"\n", 1)[0].strip() == b"s"),
    ):
        checks.append(_format_check(get, name, accept, test, timeout))
    try:
        response = get({"query": "ASK { ?s ?p ?o }"}, {"Accept": "application/sparql-results+json"})
        boolean = _json(response.body).get("boolean") if response.status == 200 else None
        checks.append(Check("ASK", isinstance(boolean, bool), f"boolean {boolean}" if isinstance(boolean, bool) else
                            f"HTTP {response.status}, no boolean answer"))
    except FetchError as exc:
        checks.append(Check("ASK", False, exc.reason))
    return checks


def _format_check(get, name: str, accept: str, test, timeout: float) -> Check:
    try:
        response = get({"query": _TRIVIAL}, {"Accept": accept})
    except FetchError as exc:
        return Check(name, False, f"no answer within {timeout:g} s: {exc.reason}")
    kind = response.headers.get("Content-Type", "(no type)")
    ok = response.status == 200 and test(response.body)
    return Check(name, ok, kind if ok else f"HTTP {response.status}, {kind}")


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _is_json_results(body: bytes) -> bool:
    data = _json(body)
    return "head" in data and "results" in data

