"""Content negotiation as the clients of the field meet it: every GET route of the app (read from its own
``url_map``, so a new route joins the matrix or fails the guard) × every media type we know and the odd
Accept values clients send — q=0, wildcards, parameters, malformed, huge, duplicated — against a real
server on loopback.

The matrix holds when: no answer is a 5xx; every route that serves RDF answers each RDF syntax it offers
(asked alone: 200 in that syntax, or 406 naming what it offers instead), a 200 is in a media type the
client accepts, a 406 comes only when the client accepts nothing the route offers, and both vary on
Accept; every 200 parses in the syntax its Content-Type declares, with the same triples as the route's
Turtle answer (isomorphic, literals compared by value) — N-Quads and TriG as a dataset whose triples are
all in the default graph; SPARQL results parse in their declared format with the same number of rows.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from tests.conftest import BASE, make_settings
from tests.field_clients import by_value, same_graph
from tests.hypothesis_profiles import examples

#: Content-Type → rdflib parser, for the RDF 1.1 syntaxes.
RDF_SYNTAXES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
DATASET_SYNTAXES = {"application/trig", "application/n-quads"}
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
#: Aliases a client may name for one of our media types (graph/formats.py; the old names clients still send).
ALIASES = {"application/json": {"application/ld+json", "application/sparql-results+json"},
           "application/xml": {"application/rdf+xml", "application/sparql-results+xml"},
           "text/xml": {"application/rdf+xml", "application/sparql-results+xml"},
           "application/x-turtle": {"text/turtle"}, "application/xhtml+xml": {"text/html"}}

MEDIA_TYPES = (*RDF_SYNTAXES, *RESULT_TYPES, "text/html", "application/json", "application/xml", "text/xml",
               "application/x-turtle", "text/n3", "text/plain", "application/activity+json", "image/png")
#: What clients of the field send (their defaults, as sent by the versions in the README's table).
CLIENT_ACCEPTS = {
    "browser": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Comunica 4": "application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,application/n-triples;q=0.8,"
                  "text/turtle;q=0.6,application/rdf+xml;q=0.5,text/n3;q=0.35,application/xml;q=0.3,"
                  "image/svg+xml;q=0.3,text/xml;q=0.3,text/html;q=0.2,application/xhtml+xml;q=0.18,"
                  "application/json;q=0.135,text/shaclc;q=0.1,text/shaclc-ext;q=0.05",
    "Jena RIOT 4.5": "text/turtle,application/n-triples;q=0.9,application/rdf+xml;q=0.7,application/trig,"
                     "application/n-quads;q=0.9,application/ld+json;q=0.8,*/*;q=0.5",
    "rdflib 7 (Graph.parse of a URL)": "application/rdf+xml, text/n3, text/turtle, application/n-triples, "
                                       "application/ld+json, application/n-quads, application/trix, application/trig",
    "SPARQLWrapper": "application/sparql-results+json,application/json,text/javascript,application/javascript",
}
ODD_ACCEPTS = {
    "empty": "", "any": "*/*", "nothing": "*/*;q=0", "any low": "*/*;q=0.1", "text any": "text/*",
    "application any": "application/*", "turtle refused": "text/turtle;q=0",
    "turtle refused, any low": "text/turtle;q=0, */*;q=0.1", "turtle utf-8": "text/turtle;charset=utf-8",
    "turtle UTF-8 spaced": "text/turtle ; charset=\"UTF-8\" ; q=0.9", "turtle latin-1": "text/turtle;charset=iso-8859-1",
    "json-ld expanded": 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"',
    "json-ld compacted, turtle": 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted", text/turtle;q=0.5',
    "upper case": "TEXT/TURTLE", "accept-ext": "text/turtle;q=0.5;level=1, application/n-triples;q=0.4",
    "bad q": "text/turtle;q=abc", "q above 1": "text/turtle;q=2, application/n-triples;q=0.5", "semicolons": ";;;",
    "commas": ",,,", "garbage": "garbage", "no subtype": "text", "star subtype": "*/turtle", "double q": "text/turtle;q=0.5;q=0.7",
    "unterminated quote": 'text/turtle;foo="bar, application/n-triples', "tabs": "\t text/turtle \t",
    "quoted comma": 'application/ld+json;profile="a,b", text/turtle;q=0.1', "empty elements": ", , text/turtle, ,",
    "duplicate": "text/turtle, text/turtle;q=0", "duplicate n-quads": "application/n-quads, application/n-quads;q=0.5",
    "latin-1 byte": "text/turtle;q=0.5, t\xe9xt/html", "huge": ", ".join(f"application/x-{i};q=0.{i % 9 + 1}" for i in range(1500)) + ", text/turtle;q=0.01",
}
ACCEPTS = {**{m: m for m in MEDIA_TYPES}, **CLIENT_ACCEPTS, **ODD_ACCEPTS}
#: The odd values every other route (pages, JSON, files) gets too.
PAGE_ODDITIES = ("empty", "nothing", "turtle latin-1", "garbage", "unterminated quote", "latin-1 byte", "huge", "duplicate")
#: Two Accept header fields in one request (RFC 9110 §5.3: the same as one field joining them with commas).
DUPLICATE_FIELDS = (("application/n-quads;q=0.2", "text/turtle"), ("text/turtle;q=0", "application/ld+json"))


@dataclass(frozen=True)
class Sample:
    path: str
    kind: str  #: "rdf" (a graph in every RDF syntax it offers), "results" (SPARQL results), "other"


def sample_paths(url: str) -> dict[str, list[Sample]]:
    """Concrete requests for each rule of the url_map (GET): what the matrix sends."""
    report = requests.get(url + "/sparql", params={"query": "SELECT ?r WHERE { GRAPH ?g { ?r a "
                          "<http://www.w3.org/ns/shacl#ValidationReport> } } LIMIT 1"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
    reports = [b["r"]["value"] for b in report["results"]["bindings"] if b["r"]["value"].startswith(BASE)]
    report_paths = ["/" + reports[0][len(BASE):]] if reports else []
    construct = quote("CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/tscgraph/ontology#Project> ; ?p ?o } LIMIT 200")
    describe = quote(f"DESCRIBE <{BASE}id/actor/ofb>")
    select = quote("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?s ?label LIMIT 30")
    ask = quote("ASK { ?s ?p ?o }")
    rdf, results = "rdf", "results"
    return {
        "/id/<path:rest>": [Sample("/id/project/biodiversa-plus", rdf), Sample("/id/actor/ofb", rdf),
                            Sample("/id/offer/mangrove-restoration-twinning", rdf),
                            *(Sample(p, rdf) for p in report_paths),
                            Sample("/id/project/biodiversa-plus.trig", rdf), Sample("/id/project/biodiversa-plus.nq", rdf),
                            Sample("/id/project/no-such-project", "other")],
        "/vocab/<path:rest>": [Sample("/vocab/gbf/target/3", rdf), Sample("/vocab/modality", rdf),
                               Sample("/vocab/cbd/article/18.nt", rdf)],
        "/ontology": [Sample("/ontology", rdf)],
        "/ontology<any('.ttl', '.jsonld', '.nt', '.rdf', '.trig', '.nq'):suffix>": [Sample("/ontology.trig", rdf),
                                                                                    Sample("/ontology.rdf", rdf)],
        "/sparql": [Sample("/sparql", rdf), Sample("/sparql?query=" + construct, rdf),
                    Sample("/sparql?query=" + describe, rdf), Sample("/sparql?query=" + select, results),
                    Sample("/sparql?query=" + ask, results)],
        "/data": [Sample("/data?graph=" + quote(BASE + "graph/log"), rdf), Sample("/data?graph=" + quote(BASE + "graph/nothing"), "other")],
        "/.well-known/void": [Sample("/.well-known/void", rdf)],
        "/shapes": [Sample("/shapes", rdf)],
        "/shapes.ttl": [Sample("/shapes.ttl", rdf)],
        "/queries/<name>": [Sample("/queries/projects-per-gbf-target", results), Sample("/queries/no-such-query", "other")],
        # The change feeds are ActivityStreams JSON-LD whose context is remote (w3.org): JSON, not compared to Turtle.
        "/changes": [Sample("/changes", "other")],
        "/changes/<path:name>": [Sample("/changes/local", "other")],
        "/changes/<path:name>/page/<int:number>": [Sample("/changes/local/page/1", "other")],
        # Pages, JSON, site maps, files: they must never fail, whatever the client accepts.
        **{rule: [Sample(rule, "other")] for rule in (
            "/", "/actors", "/biobridge", "/cbd", "/commitments", "/gbf", "/graph", "/harvest", "/health", "/knowledge",
            "/metrics", "/moderation", "/moderation/duplicates", "/openapi.json", "/projects", "/queries", "/robots.txt",
            "/sitemap.xml", "/submit", "/validate", "/editor/login", "/dumps/", "/sparql/completions")},
        "/sparql/labels": [Sample("/sparql/labels?iri=" + quote("https://w3id.org/tscgraph/vocab/gbf/target/3"), "other")],
        "/class": [Sample("/class?iri=" + quote("https://w3id.org/tscgraph/ontology#Project"), "other")],
        "/resource": [Sample("/resource?iri=" + quote(BASE + "id/actor/ofb"), "other")],
        "/dumps/<name>": [Sample("/dumps/tscgraph.ttl.gz", "other")],
        "/harvest/<name>": [Sample("/harvest/nowhere", "other")],
        "/moderation/<submission_id>": [Sample("/moderation/x", "other")],
        "/moderation/<submission_id>/preview": [Sample("/moderation/x/preview", "other")],
        "/sitemaps/<int:number>.xml": [Sample("/sitemaps/1.xml", "other")],
        "/static/<path:filename>": [Sample("/static/style.css", "other")],
        "/submissions/<submission_id>": [Sample("/submissions/x", "other")],
        "/submit/<kind>": [Sample("/submit/project", "other")],
    }


@pytest.fixture(scope="module")
def get_rules(tmp_path_factory) -> set[str]:
    """The GET rules of the app's own url_map."""
    from server import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("rules")), role="writer")  # no query workers: no reads here
    try:
        return {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    finally:
        shutdown = app.extensions.get("tscgraph.shutdown")
        if shutdown is not None:
            shutdown()


@pytest.fixture(scope="module")
def samples(live_server, get_rules) -> dict[str, list[Sample]]:
    for name in ("tscgraph.nq.gz", "tscgraph.ttl.gz"):  # first: the VoID gives the size of a dump once it is built
        requests.get(f"{live_server}/dumps/{name}", timeout=120)
    table = sample_paths(live_server)
    for items in table.values():  # each answered once before the matrix (caches), so every answer is stable
        for sample in items:
            requests.get(live_server + sample.path, timeout=60)
    void_lines = lambda: len(requests.get(live_server + "/.well-known/void", timeout=30,  # noqa: E731
                                          headers={"Accept": "application/n-triples"}).text.splitlines())
    previous, deadline = -1, time.monotonic() + 20
    while (now := void_lines()) != previous and time.monotonic() < deadline:  # bounded: until the VoID holds still
        previous = now
        time.sleep(1)
    return table


def forced(sample: Sample) -> bool:
    """Whether a suffix (``.ttl``, ``.nq``…) forces the syntax: such a URL names one representation."""
    return re.search(r"\.(ttl|jsonld|nt|rdf|trig|nq)$", urlsplit(sample.path).path) is not None


def test_every_get_route_is_in_the_matrix(samples, get_rules):
    assert get_rules - set(samples) == set(), "routes the matrix does not try: add them to sample_paths()"
    assert set(samples) - get_rules == set(), "sample_paths() names routes the app no longer has"


# ------------------------------------------------------------------ reading answers back


def ranges(accept: str | None) -> list[tuple[str, float]] | None:
    """(type/subtype, q) of the well-formed elements of an Accept header; None if it has none (anything goes).

    A range with a charset we do not answer in (we answer in UTF-8) or a parameter we do not know names nothing; a header with bytes outside
    ASCII may be dropped on the way (it is then as if absent)."""
    if accept is None or not accept.isascii():
        return None
    token, quoted = r"[\w.+*!#$%&'^`|~-]+", r'"(?:[^"\\]|\\.)*"'
    out = []
    for element in re.findall(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+', accept):
        parts = [p.strip() for p in re.findall(r'(?:[^;"]|"(?:[^"\\]|\\.)*"?)+', element)]
        if not parts or not re.fullmatch(f"{token}/{token}", parts[0]) or parts[0].startswith("*/") and parts[0] != "*/*":
            continue
        media, q, ok = parts[0].lower(), 1.0, True
        for part in filter(None, parts[1:]):
            found = re.fullmatch(rf"({token})\s*=\s*({token}|{quoted})", part)
            if not found:
                ok = False
                break
            name, value = found.group(1).lower(), found.group(2).strip('"')
            if name == "q":
                ok = bool(re.fullmatch(r"0(\.\d*)?|1(\.0*)?|\.\d+", value))
                q = float(value) if ok else 0
                break
            if not (name == "charset" and value.lower() in ("utf-8", "utf8") or name == "profile"):
                media = "no/thing"  # a representation we do not make (another charset, an unknown parameter)
        if ok:
            out.append((media, q))
    return out or None


def accepted(media: str, accept: str | None) -> bool:
    """Whether the client accepts ``media``: the most specific range naming it (or an alias of it) has q > 0."""
    found = ranges(accept)
    if found is None:
        return True

    def weight(name: str, allow_wildcards: bool) -> float | None:
        best: tuple[int, float] | None = None
        for media_range, q in found:
            kind, sub = media_range.split("/")
            score = 2 if media_range == name else 1 if allow_wildcards and sub == "*" and name.startswith(kind + "/") \
                else 0 if allow_wildcards and media_range == "*/*" else -1
            if score >= 0 and (best is None or score > best[0] or (score == best[0] and q > best[1])):
                best = (score, q)
        return None if best is None else best[1]

    weights = [weight(media, True)] + [weight(alias, False) for alias, targets in ALIASES.items() if media in targets]
    return any(w is not None and w > 0 for w in weights)


def read_rdf(body: bytes, media: str, base: str) -> Graph:
    """The answer's triples; a dataset syntax must keep them all in the default graph (no graph names)."""
    if media in DATASET_SYNTAXES:
        dataset = Dataset()
        dataset.parse(data=body, format=RDF_SYNTAXES[media], publicID=base)
        named = [g.identifier for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID and len(g)]
        assert not named, f"{media} puts triples in named graphs {named[:3]}: a reader of the default graph loses them"
        return by_value(dataset.graph(DATASET_DEFAULT_GRAPH_ID))
    return by_value(Graph().parse(data=body, format=RDF_SYNTAXES[media], publicID=base))


def count_rows(body: bytes, media: str) -> int:
    """Rows of a SPARQL results document (1 for a boolean), read in the format it declares."""
    if media == "application/sparql-results+json":
        data = json.loads(body)
        return 1 if "boolean" in data else len(data["results"]["bindings"])
    if media == "application/sparql-results+xml":
        root = ET.fromstring(body)
        ns = "{http://www.w3.org/2005/sparql-results#}"
        return 1 if root.find(ns + "boolean") is not None else len(root.findall(f"{ns}results/{ns}result"))
    if media == "text/csv":
        return len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) - 1
    assert media == "text/tab-separated-values"
    return len(body.decode("utf-8").splitlines()) - 1


# ------------------------------------------------------------------ the matrix


@dataclass
class Answer:
    status: int
    media: str
    vary: str
    body: bytes


def fetch(url: str, accept: str | tuple[str, ...] | None) -> Answer:
    """One GET with exactly these Accept fields (none, one, or several), over a plain connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.putrequest("GET", parts.path + ("?" + parts.query if parts.query else ""))
        for value in ((accept,) if isinstance(accept, str) else accept or ()):
            connection.putheader("Accept", value.encode("latin-1"))
        connection.endheaders()
        response = connection.getresponse()
        return Answer(response.status, (response.getheader("Content-Type") or "").split(";")[0].strip().lower(),
                      response.getheader("Vary") or "", response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def matrix(live_server, samples) -> dict[tuple[str, str], Answer]:
    """Every sample × every Accept value (pages get the odd values and a few types), four at a time."""
    cells = []
    for items in samples.values():
        for sample in items:
            names = list(ACCEPTS) if sample.kind != "other" else \
                ["text/turtle", "application/n-quads", "application/json", "text/html", *CLIENT_ACCEPTS, *PAGE_ODDITIES]
            cells += [(sample.path, name) for name in names]
            cells += [(sample.path, f"duplicate fields {i}") for i in range(len(DUPLICATE_FIELDS))]
            cells.append((sample.path, "no Accept"))

    def run(cell):
        path, name = cell
        value = None if name == "no Accept" else DUPLICATE_FIELDS[int(name[-1])] if name.startswith("duplicate fields") \
            else ACCEPTS[name]
        return cell, fetch(live_server + path, value)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, cells))


def accept_value(name: str) -> str | None:
    if name == "no Accept":
        return None
    if name.startswith("duplicate fields"):
        return ", ".join(DUPLICATE_FIELDS[int(name[-1])])
    return ACCEPTS[name]


def test_no_answer_is_a_server_error(matrix):
    failed = sorted(f"{status} {path} [{name}]" for (path, name), a in matrix.items() if (status := a.status) >= 500)
    assert not failed, f"{len(failed)} of {len(matrix)} cells are 5xx:\n" + "\n".join(failed[:40])
    assert len(matrix) > 1500


def test_rdf_routes_answer_what_is_accepted_or_406_with_what_they_offer(matrix, samples):
    problems = []
    for items in samples.values():
        for sample in (s for s in items if s.kind != "other" and not forced(s)):
            for name in [*ACCEPTS, "no Accept", "duplicate fields 0", "duplicate fields 1"]:
                answer, accept = matrix[(sample.path, name)], accept_value(name)
                where = f"{sample.path} [{name}]"
                if "accept" not in answer.vary.lower():
                    problems.append(f"{where}: {answer.status} without Vary: Accept")
                if answer.status == 200 and not accepted(answer.media, accept):
                    problems.append(f"{where}: 200 in {answer.media}, which the client does not accept")
                elif answer.status == 406:
                    offered = re.findall(r"[a-z]+/[\w.+-]+", answer.body.decode("utf-8", "replace").split("available:")[-1])
                    assert offered, f"{where}: a 406 must say what is offered: {answer.body[:200]!r}"
                    acceptable = [m for m in offered if accepted(m, accept)]
                    if acceptable:
                        problems.append(f"{where}: 406 although the client accepts {acceptable}")
                elif answer.status != 200:
                    problems.append(f"{where}: {answer.status}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_each_rdf_syntax_offered_is_served(matrix, samples):
    """Asked alone, each RDF syntax is served as itself, or refused with a 406 that does not offer it."""
    problems = []
    for items in samples.values():
        for sample in (s for s in items if s.kind == "rdf" and not forced(s)):
            for media in RDF_SYNTAXES:
                answer = matrix[(sample.path, media)]
                if answer.status == 200 and answer.media != media:
                    problems.append(f"{sample.path} [{media}]: 200 in {answer.media}")
                if answer.status == 406 and media in answer.body.decode():
                    problems.append(f"{sample.path} [{media}]: 406 although it offers {media}")
                if answer.status not in (200, 406):
                    problems.append(f"{sample.path} [{media}]: {answer.status}")
    assert not problems, "\n".join(problems)


def test_every_rdf_answer_parses_as_declared_with_the_triples_of_the_turtle(matrix, samples, live_server):
    problems, checked, parsed = [], 0, {}
    for items in samples.values():
        for sample in (s for s in items if s.kind == "rdf"):
            answers = {name: a for (path, name), a in matrix.items() if path == sample.path and a.status == 200}
            turtle = matrix[(sample.path, "text/turtle")]
            if forced(sample):  # a suffix forces its syntax: compare with the Turtle suffix
                turtle = fetch(live_server + re.sub(r"\.(trig|nq|nt|rdf|jsonld)$", ".ttl", sample.path), None)
            assert turtle.status == 200 and turtle.media == "text/turtle", f"{sample.path}: no Turtle ({turtle.status})"
            expected = read_rdf(turtle.body, "text/turtle", live_server + sample.path)
            assert len(expected) > 0, f"{sample.path}: empty Turtle"
            for name, answer in answers.items():
                if answer.media == "text/html":
                    continue
                assert answer.media in RDF_SYNTAXES, f"{sample.path} [{name}]: 200 in {answer.media}"
                key = (sample.path, hashlib.sha256(answer.body).hexdigest())
                if key not in parsed:
                    try:
                        got = read_rdf(answer.body, answer.media, live_server + sample.path)
                    except Exception as exc:  # noqa: BLE001 - reported with its cell
                        parsed[key] = f"does not parse as {answer.media}: {exc}"
                    else:
                        parsed[key] = None if same_graph(got, expected) else \
                            f"{len(got)} triples in {answer.media}, {len(expected)} in Turtle, not the same graph"
                    checked += 1
                if parsed[key]:
                    problems.append(f"{sample.path} [{name}]: {parsed[key]}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])
    assert checked >= 6 * 10


def test_sparql_results_parse_as_declared_with_the_rows_of_the_json(matrix, samples):
    problems = []
    for items in samples.values():
        for sample in (s for s in items if s.kind == "results"):
            rows = count_rows(matrix[(sample.path, "application/sparql-results+json")].body, "application/sparql-results+json")
            for (path, name), answer in matrix.items():
                if path != sample.path or answer.status != 200 or answer.media == "text/html":
                    continue
                if answer.media not in RESULT_TYPES:
                    problems.append(f"{path} [{name}]: 200 in {answer.media}")
                    continue
                try:
                    got = count_rows(answer.body, answer.media)
                except Exception as exc:  # noqa: BLE001 - reported with its cell
                    problems.append(f"{path} [{name}]: does not parse as {answer.media}: {exc}")
                    continue
                if got != rows:
                    problems.append(f"{path} [{name}]: {got} rows in {answer.media}, {rows} in JSON")
    assert not problems, "\n".join(problems[:30])


def test_change_feeds_are_json_ld_with_their_context_whatever_is_asked(matrix, samples):
    for rule in ("/changes/<path:name>", "/changes/<path:name>/page/<int:number>"):
        for sample in samples[rule]:
            for (path, name), answer in matrix.items():
                if path == sample.path and answer.status == 200 and answer.media != "text/html":
                    assert json.loads(answer.body)["@context"] == "https://www.w3.org/ns/activitystreams", (path, name)


# ------------------------------------------------------------------ the parser itself (no server)


def test_the_most_specific_range_decides_as_in_rfc_9110():
    """RFC 9110 §12.5.1's example, on the representations we make (UTF-8, no other parameter)."""
    from graph.formats import parse_accept, quality

    ranges = parse_accept("text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, "
                          "*/*;q=0.5")
    assert [quality(ranges, m)[0] for m in ("text/plain", "text/html", "image/jpeg")] == [0.7, 0.3, 0.5]
    assert quality(parse_accept("text/turtle;charset=utf-8;q=0.2, text/*"), "text/turtle") == (0.2, 3)
    assert quality(parse_accept("text/turtle;charset=latin1"), "text/turtle") == (0.0, -1)
    assert parse_accept("") is None and parse_accept(";;, ,garbage, */html") is None and parse_accept(None) is None


@examples(300)
@given(accept=st.one_of(st.text(max_size=120), st.lists(st.sampled_from(
    ["text/turtle", "*/*", "q=0", ";", ",", '"', "=", "application/ld+json", "profile=\"a,b\"", "q=0.5", " ", "\t",
     "text/*", "charset=utf-8", "\\"]), max_size=20).map("".join)), form=st.sampled_from(["select", "ask", "graph"]))
def test_any_accept_header_gets_a_format_or_a_406_never_an_error(accept, form):
    from graph.formats import NotAcceptable, negotiate

    try:
        chosen = negotiate(form, accept, None, allow_html=True)
    except NotAcceptable as exc:
        assert "available:" in str(exc)
    else:
        assert chosen.media_type
