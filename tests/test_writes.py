"""Write paths of the endpoint (SPARQL Update, Graph Store Protocol) on a real server, with real clients.

Every check of a write reads the server back (SPARQL or GET /data) and compares RDF, not text. Records
and graphs get fresh IRIs per test, so the tests do not depend on their order. A write that never
answers marks its server as wedged: the later writes to it then fail at once instead of each waiting.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import socket
import uuid
from contextlib import contextmanager
from urllib.error import URLError
from urllib.parse import urljoin

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from SPARQLWrapper import POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper

from bench.peers import store_server
from graph.settings import ROOT
from graph.validation import read_turtle_dir
from tests.backends import BACKENDS
from tests.conftest import (
    ADMIN_AUTH,
    ADMIN_TOKEN_HASH,
    AUTH,
    BASE,
    TEST_DATA,
    TOKEN,
    TOKEN_HASH,
    start_server,
    stop_server,
)
from web.auth import Access, routes_needing


@pytest.fixture(scope="module", params=BACKENDS)
def writable_server(request, tmp_path_factory):
    """A server whose store the tests may change (writes enabled with TOKEN, and ADMIN_TOKEN for the ontology),
    on each store backend."""
    work = tmp_path_factory.mktemp(f"writable-{request.param}")
    with store_server(request.param, work / "store-server") as store:
        # max_result_rows above the store's size: the union of every graph is read whole here
        server = start_server(work, update_tokens=f"{TOKEN_HASH},{ADMIN_TOKEN_HASH}", query_workers="2",
                              max_result_rows="100000", **store.settings)
        yield server
        stop_server(server)

LOCAL, ONTOLOGY = BASE + "graph/local", BASE + "graph/ontology"
CHANGES = BASE + "graph/changes"
OFB, BIODIVERSA = BASE + "id/actor/ofb", BASE + "id/project/biodiversa-plus"
CONSORTIUM = BASE + "id/actor/biodiversa-plus-consortium"  # Biodiversa+'s lead, as data/projects.ttl says
NS = {
    "tsc": "https://w3id.org/tscgraph/ontology#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/", "schema": "https://schema.org/", "xsd": "http://www.w3.org/2001/XMLSchema#",
}
SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in NS.items())
TTL_PREFIXES = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in NS.items())
NGO = "https://w3id.org/tscgraph/vocab/actor-type/ngo"
TARGET_24 = "https://w3id.org/tscgraph/vocab/gbf/target/24"
WRITE_TIMEOUT = 20
_wedged: set[str] = set()


# ------------------------------------------------------------------ data and clients


def new_iri(kind: str) -> str:
    return f"{BASE}id/{kind}/test-{uuid.uuid4().hex[:10]}"


def new_graph() -> str:
    return new_iri("x").replace("id/x/", "graph/harvest/")


def actor(iri: str, extra: str = "", typed: bool = True) -> str:
    """Triples (Turtle/SPARQL syntax, prefixed names) of an actor, conforming unless ``typed`` is False."""
    name = iri.rsplit("/", 1)[1]
    kind = f" ; tsc:actorType <{NGO}>" if typed else ""
    return f'<{iri}> a tsc:Actor ; skos:prefLabel "Actor {name}"@en , "Acteur {name}"@fr{kind}{extra} .\n'


def turtle(body: str) -> Graph:
    return Graph().parse(data=TTL_PREFIXES + body, format="turtle", publicID=BASE)


def bad_project(iri: str) -> str:
    """N-Triples of tests/data/cli/project-two-errors.ttl (cites GBF target 24, ends before it starts)."""
    text = (TEST_DATA / "cli" / "project-two-errors.ttl").read_text().replace("<id/project/test-bad>", f"<{iri}>")
    return Graph().parse(data=text, format="turtle", publicID=BASE).serialize(format="nt")


@contextmanager
def writing(url: str):
    if url in _wedged:
        pytest.fail(f"an earlier write to {url} never answered; the server no longer serves writes")
    try:
        yield
    except (requests.Timeout, TimeoutError, URLError) as exc:
        _wedged.add(url)
        pytest.fail(f"a write got no answer within {WRITE_TIMEOUT} s ({exc!r}): the server hangs after writing")


def send(url: str, method: str, path: str, **kw) -> requests.Response:
    with writing(url):
        return requests.request(method, url + path, timeout=WRITE_TIMEOUT, **kw)


def update(url: str, text: str, path: str = "/update", form: bool = False, headers=None, params=None):
    headers = {**AUTH, **(headers or {})}
    if form:
        return send(url, "POST", path, data={"update": SPARQL_PREFIXES + text}, headers=headers, params=params)
    headers.setdefault("Content-Type", "application/sparql-update")
    return send(url, "POST", path, data=(SPARQL_PREFIXES + text).encode(), headers=headers, params=params)


def gsp(url: str, method: str, graph: str | None, body: bytes | str | None = None, ctype: str = "text/turtle",
        auth: dict = AUTH, **kw):
    headers = {**auth, **({"Content-Type": ctype} if body is not None else {})}
    return send(url, method, "/data", params={"graph": graph} if graph else kw["params"], data=body, headers=headers)


def term(t: dict):
    if t["type"] == "uri":
        return URIRef(t["value"])
    return Literal(t["value"], lang=t.get("xml:lang"), datatype=t.get("datatype"))


def select(url: str, query: str) -> list[dict]:
    r = requests.get(url + "/sparql", params={"query": SPARQL_PREFIXES + query},
                     headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200, r.text
    return [{k: term(v) for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def sizes(url: str) -> dict[str, int]:
    """Triples per named graph: the state a refused write must leave as it was."""
    rows = select(url, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {str(r["g"]): int(r["n"]) for r in rows}


def fetch(url: str, graph: str | None, mime: str = "application/n-triples", fmt: str = "nt") -> Graph:
    params = {"graph": graph} if graph else {"default": ""}
    r = requests.get(url + "/data", params=params, headers={"Accept": mime}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith(mime) and "X-Tscgraph-Truncated" not in r.headers
    return Graph().parse(data=r.content, format=fmt, publicID=BASE)


def graphs_of(url: str, iri: str) -> set[str]:
    """The graphs that say something about ``iri``, but the record log (bookkeeping: when it was accepted)."""
    found = {str(r["g"]) for r in select(url, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}")}
    return found - {BASE + "graph/log"}


@functools.cache
def shape_message(shape: str, lang: str) -> str:
    """The message the shapes files give ``shape`` in ``lang``: what the report must say."""
    return next(str(m) for m in read_turtle_dir(ROOT / "shapes").objects(URIRef(shape), SH.message) if m.language == lang)


# ------------------------------------------------------------------ bearer tokens on every write route


def write_route_request(url: str, method: str, path: str, headers: dict, graph: str) -> requests.Response:
    """A write on ``(method, path)`` that would succeed with the right token (DELETE drops the local graph)."""
    data = f"INSERT DATA {{ GRAPH <{graph}> {{ {actor(new_iri('actor'))} }} }}"
    if (method, path) == ("POST", "/sparql"):
        return send(url, method, path, data={"update": SPARQL_PREFIXES + data}, headers=headers)
    if (method, path) == ("POST", "/update"):
        headers = {**headers, "Content-Type": "application/sparql-update"}
        return send(url, method, path, data=SPARQL_PREFIXES + data, headers=headers)
    if path == "/data" and method in ("PUT", "POST"):
        headers = {**headers, "Content-Type": "text/turtle"}
        return send(url, method, path, params={"graph": graph}, data=TTL_PREFIXES + actor(new_iri("actor")), headers=headers)
    if (method, path) == ("DELETE", "/data"):
        return send(url, method, path, params={"graph": LOCAL}, headers=headers)
    pytest.fail(f"WRITE_ROUTES has {method} {path} for a token: add a request for it here")


#: The routes that take a write token only (web/auth.py); tests/test_access.py walks the whole list.
TOKEN_ROUTES = routes_needing(Access.TOKEN)
BAD_CREDENTIALS = {
    "none": {},
    "wrong-token": {"Authorization": "Bearer not-the-" + TOKEN},
    "basic": {"Authorization": "Basic " + base64.b64encode(f"admin:{TOKEN}".encode()).decode()},
    "right-token-wrong-scheme": {"Authorization": "Basic " + TOKEN},
    "empty-bearer": {"Authorization": "Bearer "},
}


@pytest.mark.parametrize("route", TOKEN_ROUTES, ids=lambda r: f"{r.method} {r.rule}")
@pytest.mark.parametrize("credentials", BAD_CREDENTIALS, ids=str)
def test_write_routes_refuse_missing_or_wrong_credentials(writable_server, route, credentials):
    url, graph = writable_server.url, new_graph()
    before = sizes(url)
    r = write_route_request(url, route.method, route.rule, BAD_CREDENTIALS[credentials], graph)
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    if credentials == "wrong-token":
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert sizes(url) == before


@pytest.mark.parametrize("route", TOKEN_ROUTES, ids=lambda r: f"{r.method} {r.rule}")
@pytest.mark.parametrize("credentials", ["none", "token"])
def test_write_routes_are_forbidden_when_no_tokens_are_configured(live_server, route, credentials):
    before = sizes(live_server)
    r = write_route_request(live_server, route.method, route.rule, AUTH if credentials == "token" else {}, new_graph())
    assert r.status_code == 403 and "WWW-Authenticate" not in r.headers, r.text
    assert sizes(live_server) == before


# ------------------------------------------------------------------ SPARQL Update: accepted


def run_sparqlwrapper(url: str, text: str, request_method: str) -> dict:
    client = SPARQLWrapper(url + "/sparql", updateEndpoint=url + "/update")
    client.setMethod(POST)
    client.setRequestMethod(request_method)
    client.addCustomHttpHeader("Authorization", "Bearer " + TOKEN)
    client.setTimeout(WRITE_TIMEOUT)
    client.setQuery(SPARQL_PREFIXES + text)
    with writing(url):
        response = client.query().response
        assert response.status == 200
        return json.loads(response.read())


@pytest.mark.parametrize("client", ["form /sparql", "direct /sparql", "direct /update",
                                    "SPARQLWrapper urlencoded", "SPARQLWrapper direct"])
def test_insert_without_graph_lands_in_local_graph_and_is_queryable_at_once(writable_server, client):
    url, iri = writable_server.url, new_iri("actor")
    text = f"INSERT DATA {{ {actor(iri)} }}"
    if client.startswith("SPARQLWrapper"):
        body = run_sparqlwrapper(url, text, URLENCODED if client.endswith("urlencoded") else POSTDIRECTLY)
    else:
        r = update(url, text, path=client.split()[1], form=client.startswith("form"))
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json"), r.text
        body = r.json()
    assert body["changedGraphs"] == [LOCAL] and isinstance(body["warnings"], int)
    rows = select(url, f"SELECT ?g ?label WHERE {{ GRAPH ?g {{ <{iri}> a tsc:Actor ; skos:prefLabel ?label }} }}")
    assert {(str(r["g"]), r["label"].language) for r in rows} == {(LOCAL, "en"), (LOCAL, "fr")}


def test_delete_where_removes_the_matching_triples_only(writable_server):
    url, iri = writable_server.url, new_iri("actor")
    extra = ' ; skos:altLabel "A1" , "A2"'
    assert update(url, f"INSERT DATA {{ GRAPH <{LOCAL}> {{ {actor(iri, extra)} }} }}").status_code == 200
    assert len(select(url, f"SELECT ?a WHERE {{ <{iri}> skos:altLabel ?a }}")) == 2
    r = update(url, f"DELETE WHERE {{ GRAPH <{LOCAL}> {{ <{iri}> skos:altLabel ?a }} }}", path="/sparql", form=True)
    assert r.status_code == 200 and r.json()["changedGraphs"] == [LOCAL], r.text
    assert select(url, f"SELECT ?a WHERE {{ <{iri}> skos:altLabel ?a }}") == []
    assert len(select(url, f"SELECT ?l WHERE {{ <{iri}> skos:prefLabel ?l }}")) == 2


def test_update_of_a_new_named_graph_creates_it_and_nothing_else(writable_server):
    url, iri, graph = writable_server.url, new_iri("actor"), new_graph()
    before = sizes(url)
    r = update(url, f"INSERT DATA {{ GRAPH <{graph}> {{ {actor(iri)} }} }}")
    assert r.status_code == 200 and r.json()["changedGraphs"] == [graph], r.text
    assert isomorphic(fetch(url, graph), turtle(actor(iri)))
    after = sizes(url)
    changes = CHANGES
    assert after.pop(changes) == before.pop(changes, 0) + 6  # the graph's change feed: one Create, 6 triples
    assert after == {**before, graph: 4}  # type, two names, actor type
    assert graphs_of(url, iri) == {graph}
    created = select(url, f"PREFIX as: <https://www.w3.org/ns/activitystreams#> SELECT ?a WHERE {{ GRAPH <{changes}> "
                          f"{{ ?a a as:Create ; as:object <{iri}> ; as:target <{graph}> }} }}")
    assert len(created) == 1


def test_rdflib_sparql_update_store_writes_and_reads_a_graph(writable_server):
    url, graph, iri = writable_server.url, new_graph(), new_iri("actor")
    store = SPARQLUpdateStore(url + "/sparql", url + "/update", headers=dict(AUTH))
    remote = Graph(store, identifier=URIRef(graph))
    expected = turtle(actor(iri))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(WRITE_TIMEOUT)  # urllib under rdflib has no timeout of its own
    try:
        with writing(url):
            remote += expected  # one INSERT DATA { GRAPH <graph> { … } }, validated as a whole
        assert set(remote) == set(expected) and len(remote) == len(expected)
    finally:
        socket.setdefaulttimeout(previous)
    assert isomorphic(fetch(url, graph), expected)


# ------------------------------------------------------------------ SPARQL Update: refused, nothing written


def test_shape_breaking_insert_is_refused_with_the_report_in_each_form(writable_server):
    url, iri = writable_server.url, new_iri("project")
    text, before = f"INSERT DATA {{ GRAPH <{LOCAL}> {{ {bad_project(iri)} }} }}", sizes(url)
    for lang in ("en", "fr"):
        r = update(url, text, params={"lang": lang} if lang == "fr" else None)
        assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/json"), r.text
        report = r.json()
        assert report["conforms"] is False and report["violations"] == 2
        found = {(res["constraint"].rsplit("#", 1)[1], res["path"], res["value"]) for res in report["results"]}
        assert ("InConstraintComponent", "tsc:contributesToTarget", TARGET_24) in found
        assert any(c == "LessThanOrEqualsConstraintComponent" and p == "schema:startDate" for c, p, _ in found)
        for res in report["results"]:
            assert res["focusNode"] == iri and res["severity"] == "Violation"
            assert res["message"] == res["messages"][lang] == shape_message(res["sourceShape"], lang)
            assert res["messages"]["en"] != res["messages"]["fr"]
    r = update(url, text, headers={"Accept": "text/turtle"})
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    assert g.query("""ASK { ?r a sh:ValidationReport ; sh:conforms false ;
                            sh:result [ sh:focusNode ?f ; sh:value ?v ; sh:resultSeverity sh:Violation ] }""",
                   initNs={"sh": SH}, initBindings={"f": URIRef(iri), "v": URIRef(TARGET_24)}).askAnswer
    assert update(url, text, headers={"Accept": "text/plain"}).headers["Content-Type"].startswith("text/plain")
    assert sizes(url) == before and graphs_of(url, iri) == set()


@pytest.mark.parametrize("focus, text, path", [
    (OFB, f"DELETE WHERE {{ GRAPH <{LOCAL}> {{ <{OFB}> skos:prefLabel ?label }} }}", "skos:prefLabel"),
    (BIODIVERSA, f"DELETE DATA {{ GRAPH <{LOCAL}> {{ <{BIODIVERSA}> tsc:leadOrganisation <{CONSORTIUM}> }} }}",
     "tsc:leadOrganisation"),
], ids=["actor-name", "project-lead"])
def test_deleting_a_required_property_of_a_bundled_record_is_refused(writable_server, focus, text, path):
    url = writable_server.url
    query = f"SELECT ?o WHERE {{ GRAPH <{LOCAL}> {{ <{focus}> {path} ?o }} }}"
    before, values = sizes(url), select(url, query)
    assert values, "the bundled record lost its property before this test"
    r = update(url, text)
    assert r.status_code == 422, r.text
    assert {(res["focusNode"], res["path"], res["constraint"]) for res in r.json()["results"]} == {
        (focus, path, str(SH.MinCountConstraintComponent))}
    assert select(url, query) == values and sizes(url) == before


def test_update_mixing_valid_and_invalid_changes_writes_neither(writable_server):
    url, graph = writable_server.url, new_graph()
    good_local, good_new, bad = new_iri("actor"), new_iri("actor"), new_iri("project")
    before = sizes(url)
    r = update(url, f"INSERT DATA {{ GRAPH <{graph}> {{ {actor(good_new)} }} }} ;\n"
                    f"INSERT DATA {{ {actor(good_local)} }} ;\n"
                    f"INSERT DATA {{ {bad_project(bad)} }}")
    assert r.status_code == 422, r.text
    assert {res["focusNode"] for res in r.json()["results"]} == {bad}
    assert sizes(url) == before
    assert graphs_of(url, good_local) == graphs_of(url, good_new) == graphs_of(url, bad) == set()
    assert requests.get(url + "/data", params={"graph": graph}, timeout=30).status_code == 404


def test_writes_to_the_ontology_graph_are_validated_too(writable_server):
    """README: "if a changed graph would violate the shapes, 422 … and nothing is written" — any graph, the
    ontology's too (which takes an admin token: graph/auth.py)."""
    url, iri = writable_server.url, new_iri("actor")
    before = sizes(url)
    r = update(url, f"INSERT DATA {{ GRAPH <{ONTOLOGY}> {{ {actor(iri, typed=False)} }} }}", headers=ADMIN_AUTH)
    assert r.status_code == 422, r.text
    assert gsp(url, "POST", ONTOLOGY, TTL_PREFIXES + actor(iri, typed=False), auth=ADMIN_AUTH).status_code == 422
    assert sizes(url) == before and graphs_of(url, iri) == set()


@pytest.mark.parametrize("form", [False, True], ids=["direct", "form"])
def test_update_syntax_error_is_a_400_with_its_position_and_writes_nothing(writable_server, form):
    url, iri = writable_server.url, new_iri("actor")
    before = sizes(url)
    r = update(url, f"INSERT DATA {{ {actor(iri)} }} ;\nINSERT DATA {{ <{iri}> skos:altLabel ", form=form)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/plain")
    assert "syntax error" in r.text and re.search(r"\b\d+:\d+\b", r.text), r.text
    assert sizes(url) == before and graphs_of(url, iri) == set()


# ------------------------------------------------------------------ Graph Store Protocol


def test_gsp_put_creates_a_graph_readable_in_three_syntaxes(writable_server):
    url, graph, iri = writable_server.url, new_graph(), new_iri("actor")
    body = actor(iri, ' ; tsc:bioBridgeMember true ; schema:url <https://example.org/x> ; '
                      'dcterms:description "Desc"@en ; <https://example.org/ns#note> [ skos:notation "n1" ]')
    r = gsp(url, "PUT", graph, TTL_PREFIXES + body)
    assert r.status_code == 201, r.text
    assert requests.get(urljoin(url, r.headers["Location"]), headers={"Accept": "text/turtle"}, timeout=30).ok
    expected = turtle(body)
    for mime, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")):
        assert isomorphic(fetch(url, graph, mime, fmt), expected), mime
    head = requests.head(url + "/data", params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=30)
    assert head.status_code == 200 and head.content == b"" and head.headers["Content-Type"].startswith("text/turtle")


def test_gsp_put_replaces_and_post_merges(writable_server):
    url, graph = writable_server.url, new_graph()
    first, second, third = (new_iri("actor") for _ in range(3))
    assert gsp(url, "PUT", graph, TTL_PREFIXES + actor(first)).status_code == 201
    assert gsp(url, "PUT", graph, TTL_PREFIXES + actor(second)).status_code == 204
    assert isomorphic(fetch(url, graph), turtle(actor(second)))
    assert gsp(url, "POST", graph, TTL_PREFIXES + actor(third)).status_code == 204
    assert isomorphic(fetch(url, graph), turtle(actor(second) + actor(third)))
    assert graphs_of(url, first) == set()


def test_gsp_post_creates_a_missing_graph_and_delete_drops_it(writable_server):
    url, graph, iri = writable_server.url, new_graph(), new_iri("actor")
    assert gsp(url, "POST", graph, TTL_PREFIXES + actor(iri)).status_code == 201
    assert gsp(url, "DELETE", graph).status_code == 204
    assert requests.get(url + "/data", params={"graph": graph}, timeout=30).status_code == 404
    assert requests.head(url + "/data", params={"graph": graph}, timeout=30).status_code == 404
    assert gsp(url, "DELETE", graph).status_code == 404
    assert graphs_of(url, iri) == set() and graph not in sizes(url)


@pytest.mark.parametrize("mime, fmt", [("application/ld+json", "json-ld"), ("application/n-triples", "nt"),
                                       ("application/rdf+xml", "xml")])
def test_gsp_accepts_bodies_in_other_syntaxes(writable_server, mime, fmt):
    url, graph = writable_server.url, new_graph()
    first, second = turtle(actor(new_iri("actor"))), turtle(actor(new_iri("actor")))
    assert gsp(url, "PUT", graph, first.serialize(format=fmt, encoding="utf-8"), ctype=mime).status_code == 201
    assert gsp(url, "POST", graph, second.serialize(format=fmt, encoding="utf-8"), ctype=mime).status_code == 204
    assert isomorphic(fetch(url, graph), first + second)


def test_gsp_refuses_malformed_requests_and_writes_nothing(writable_server):
    url, graph = writable_server.url, new_graph()
    body, before = TTL_PREFIXES + actor(new_iri("actor")), sizes(url)
    assert gsp(url, "PUT", graph, body, ctype="text/csv").status_code == 415
    unreadable = (TEST_DATA / "cli" / "unreadable.ttl").read_bytes()
    assert gsp(url, "PUT", graph, unreadable).status_code == 400
    for method in ("PUT", "POST", "DELETE"):
        assert gsp(url, method, None, body if method != "DELETE" else None, params={"default": ""}).status_code == 400
        assert gsp(url, method, None, body, params={"graph": graph, "default": ""}).status_code == 400
        assert gsp(url, method, None, body, params={}).status_code == 400
        assert gsp(url, method, None, body, params={"graph": "not an IRI"}).status_code == 400
    assert requests.get(url + "/data", timeout=30).status_code == 400
    assert sizes(url) == before


def test_gsp_put_of_a_non_conforming_graph_keeps_the_previous_content(writable_server):
    url, graph, iri = writable_server.url, new_graph(), new_iri("actor")
    assert gsp(url, "PUT", graph, TTL_PREFIXES + actor(iri)).status_code == 201
    r = gsp(url, "PUT", graph, TTL_PREFIXES + actor(iri, typed=False))
    assert r.status_code == 422 and r.json()["results"][0]["path"] == "tsc:actorType", r.text
    assert isomorphic(fetch(url, graph), turtle(actor(iri)))


def test_gsp_post_that_breaks_the_merged_graph_keeps_the_previous_content(writable_server):
    url, graph, iri = writable_server.url, new_graph(), new_iri("actor")
    assert gsp(url, "PUT", graph, TTL_PREFIXES + actor(iri)).status_code == 201
    # alone the body conforms (no tsc:Actor in it); merged, the actor has two English names
    r = gsp(url, "POST", graph, f'<{iri}> <{NS["skos"]}prefLabel> "Second name"@en .', ctype="application/n-triples")
    assert r.status_code == 422, r.text
    assert [res["sourceShape"].rsplit("#", 1)[1] for res in r.json()["results"]] == ["Actor-prefLabel-uniqueLang"]
    assert isomorphic(fetch(url, graph), turtle(actor(iri)))


def test_gsp_default_graph_is_the_union_of_the_named_graphs(writable_server):
    url = writable_server.url
    union = fetch(url, None)
    for graph in (ONTOLOGY, LOCAL):
        row = select(url, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(isIRI(?s) && !isBlank(?o)) }} }} LIMIT 1")[0]
        assert (row["s"], row["p"], row["o"]) in union, graph


# ------------------------------------------------------------------ request size limit


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("small"), max_request_bytes="2000", update_tokens=TOKEN_HASH,
                          query_workers="1")
    yield server.url
    stop_server(server)


def test_bodies_above_max_request_bytes_get_413_and_write_nothing(small_server):
    url, iri, graph = small_server, new_iri("actor"), new_graph()
    padding = ' ; dcterms:description "' + "x" * 5000 + '"@en'
    before = sizes(url)
    assert update(url, f"INSERT DATA {{ {actor(iri, padding)} }}").status_code == 413
    assert update(url, f"INSERT DATA {{ {actor(iri, padding)} }}", path="/sparql", form=True).status_code == 413
    assert gsp(url, "PUT", graph, TTL_PREFIXES + actor(iri, padding)).status_code == 413
    assert sizes(url) == before and graphs_of(url, iri) == set()
    assert update(url, f"INSERT DATA {{ {actor(iri)} }}").status_code == 200  # the same, small enough
    assert graphs_of(url, iri) == {LOCAL}


# ------------------------------------------------------------------ the default graph of an update is the local graph


def test_delete_data_without_graph_acts_on_the_local_graph(writable_server):
    url = writable_server.url
    iri = new_iri("actor")
    record = actor(iri, extra=' ; skos:altLabel "TMP"')
    assert update(url, f"INSERT DATA {{ {record} }}").status_code == 200
    r = update(url, f'DELETE DATA {{ <{iri}> skos:altLabel "TMP" }}')
    assert r.status_code == 200 and r.json()["changedGraphs"] == [LOCAL]
    assert not select(url, f"SELECT ?l WHERE {{ <{iri}> skos:altLabel ?l }}")


def test_insert_where_without_graph_sees_the_local_data(writable_server):
    url = writable_server.url
    iri = new_iri("actor")
    update(url, f"INSERT DATA {{ {actor(iri)} }}")
    r = update(url, f'INSERT {{ ?a skos:altLabel "FOUND" }} WHERE {{ ?a skos:prefLabel "Actor {iri.rsplit("/", 1)[1]}"@en }}')
    assert r.status_code == 200 and r.json()["changedGraphs"] == [LOCAL]
    rows = select(url, f"SELECT ?l WHERE {{ <{iri}> skos:altLabel ?l }}")
    assert [str(r["l"]) for r in rows] == ["FOUND"]


def test_writing_the_local_graph_two_ways_at_once(writable_server, request):
    """The embedded store evaluates an update itself: the default graph is the local graph, however it is
    named. An external store runs it on a scratch copy, where the two cannot be told apart: refused there."""
    url, first, second = writable_server.url, new_iri("actor"), new_iri("actor")
    before = sizes(url)
    r = update(url, f"INSERT DATA {{ {actor(first)} }} ;\n"
                    f"INSERT DATA {{ GRAPH <{LOCAL}> {{ {actor(second)} }} }}")
    if request.node.callspec.params["writable_server"] == "embedded":
        assert r.status_code == 200 and r.json()["changedGraphs"] == [LOCAL], r.text
        assert len(select(url, f"SELECT * WHERE {{ GRAPH <{LOCAL}> {{ VALUES ?a {{ <{first}> <{second}> }} ?a a tsc:Actor }} }}")) == 2
    else:
        assert r.status_code == 400 and "one or the other" in r.text
        assert sizes(url) == before


def test_load_and_service_cannot_make_the_server_fetch_addresses(writable_server):
    url = writable_server.url
    before = sizes(url)
    r = update(url, "LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <https://chm.example.org/graph/x>")
    assert r.status_code == 400 and "LOAD is not allowed" in r.text
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    r = requests.get(url + "/sparql", params={"query": q}, timeout=30)
    assert r.status_code == 400 and "service_allowlist" in r.text
    r = requests.get(url + "/sparql", params={"query": 'SELECT * WHERE { ?s ?p "SERVICE <http://x/> and LOAD" }'}, timeout=30)
    assert r.status_code == 200  # the words inside a literal are not operations
    assert sizes(url) == before


def test_put_of_an_empty_graph_removes_it(writable_server):
    url = writable_server.url
    graph = new_graph()
    assert gsp(url, "PUT", graph, TTL_PREFIXES + actor(new_iri("actor"))).status_code == 201
    r = gsp(url, "PUT", graph, "")
    assert r.status_code == 204 and "Location" not in r.headers
    assert requests.get(url + "/data", params={"graph": graph}, timeout=30).status_code == 404


# ------------------------------------------------------------------ token scopes (issue 23, I2/I3), on each backend


def test_an_update_reads_no_private_graph_on_any_backend(writable_server):
    """The observed leak: an update copying every submitter's address out of the moderation graph into a public
    graph. It runs over the public graphs only, so it finds nothing and publishes nothing — on every store
    backend (each has its own scratch copy). The other doors and siblings: tests/test_hostile_clients.py."""
    url, leak, secret = writable_server.url, new_graph(), f"leak-{uuid.uuid4().hex[:8]}@example.org"
    sent = requests.post(url + "/submissions", data=TTL_PREFIXES + actor(new_iri("actor")), timeout=60, headers={
        "Content-Type": "text/turtle", "X-Submitter-Name": "Private Person", "X-Submitter-Email": secret})
    assert sent.status_code == 201, sent.text
    before = sizes(url)
    r = update(url, f"PREFIX foaf: <http://xmlns.com/foaf/0.1/> INSERT {{ GRAPH <{leak}> {{ ?s foaf:mbox ?m }} }} "
                    f"WHERE {{ GRAPH <{BASE}graph/moderation> {{ ?s foaf:mbox ?m }} }}")
    assert r.status_code == 200 and r.json()["changedGraphs"] == [], r.text
    assert sizes(url) == before
    assert requests.get(url + "/data", params={"graph": leak}, timeout=30).status_code == 404
    assert secret not in requests.get(url + "/data", params={"default": ""}, timeout=60).text
