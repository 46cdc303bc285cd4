"""Property-based tests of every HTTP entry point, against one real server on loopback with real clients.

For each door — RDF bodies and uploads in every syntax, the forms, SPARQL queries and updates, the Graph
Store Protocol, every listing page's query parameters, every route that takes an IRI, headers, oversized
bodies — Hypothesis sends bad input, and every answer must hold three properties:

* **no server error**: the status is below 500 — but the documented 503 of the query time limit;
* **a clear refusal**: a 4xx carries a message (a JSON ``error``, a text or an error page);
* **no hang**: the answer comes within :data:`ANSWER_WITHIN` seconds (the client's timeout fails the test);

and a refused write writes nothing: the public graphs' sizes are the same before and after, and the private
submissions in the store at the end are exactly those the server accepted (checked when the server stops).
Valid-looking input may be accepted (2xx): the properties are about what bad input must never do.

A second set proves that no JSON-LD ``@context`` (at the top, in a list, by ``@import``, scoped) and no SPARQL
``SERVICE`` (however written, to any spelling of a loopback address) makes the server connect to an address:
a listener owned by the test counts connections, and must count none.
"""

from __future__ import annotations

import importlib
import re
import socket
from itertools import product
from urllib.parse import quote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from rdflib import RDF, Graph, Literal, URIRef
from werkzeug.exceptions import HTTPException

from graph.rdfio import MEDIA_TYPES
from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from tests.bad_input import (
    CONTEXT_PLACES,
    SYNTAXES,
    VALID_DOCUMENTS,
    Listener,
    bad_rdf,
    bad_sparql,
    deep_jsonld,
    hidden_service,
    iri_like,
    jsonld_with_context,
    nasty_text,
    sparql_soup,
)
from tests.conftest import AUTH, BASE, TOKEN_HASH, csrf_of, start_server, stop_server
from tests.hypothesis_profiles import examples
from web.graphstore import BODY_FORMATS

#: A hang is an answer later than this (the server's own query limit is far shorter: QUERY_LIMIT).
ANSWER_WITHIN = 30
QUERY_LIMIT = 5
MAX_BYTES = 100_000
#: Input caps far below the defaults, so that generated documents reach them (#23: the budgets of /validate).
MAX_TRIPLES, MAX_LITERAL = 300, 2_000
SUBMITTER = {"X-Submitter-Name": "Fuzz Test", "X-Submitter-Email": "fuzz@example.org"}
REPORTS = ["application/json", "text/turtle", "application/sarif+json", "text/html", "*/*", "text/plain"]
#: Graphs the write properties may name: fresh ones, never the bundled data's (a PUT would replace it).
FUZZ_GRAPHS = st.integers(0, 10**6).map(lambda n: f"{BASE}graph/harvest/fuzz-{n}")


class Accepted:
    """What the server accepted as pending submissions (private graphs), to compare with the store at the end."""

    submissions = 0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # rate_limit far above the default: every example comes from this one client address, so the limiter
    # (tested on its own in test_abuse.py) would otherwise answer 429 to all but the first few POSTs.
    # query_time_limit short: a mutated query that happens to be expensive ends in its documented 503 quickly.
    tmp = tmp_path_factory.mktemp("fuzz-http")
    s = start_server(tmp, update_tokens=TOKEN_HASH, rate_limit="100000", max_request_bytes=str(MAX_BYTES),
                     query_time_limit=str(QUERY_LIMIT), query_workers="2", max_input_triples=str(MAX_TRIPLES),
                     max_literal_length=str(MAX_LITERAL))
    Accepted.submissions = 0
    yield s.url
    stop_server(s)
    with OxigraphStore(s.store_dir) as store:
        pending = [g for g in store.graph_names() if "/graph/submission/" in str(g)]
    assert len(pending) == Accepted.submissions, (
        f"{len(pending)} submission graphs in the store, {Accepted.submissions} accepted: a refused one was written")
    lines = s.log().splitlines()
    # A traceback is given with the lines that follow it (where it was raised, and what), so that a failure in CI
    # says which input broke what without a second run.
    errors = ["\n".join(lines[i:i + 40]) if "Traceback" in line else line for i, line in enumerate(lines)
              if re.search(r'"status": 50[0-24-9]', line) or "Traceback" in line]
    assert not errors, "the server logged server errors:\n" + "\n".join(errors[:5])


@pytest.fixture(scope="module")
def listener():
    with Listener() as address:
        yield address


# ------------------------------------------------------------------ the properties


def call(method: str, url: str, **kwargs) -> requests.Response:
    """One request on its own connection, closed once answered; a hang (no answer within ANSWER_WITHIN s) or a
    dropped connection fails the test."""
    try:
        with requests.Session() as session:
            return session.request(method, url, timeout=ANSWER_WITHIN, allow_redirects=False, **kwargs)
    except requests.Timeout:
        pytest.fail(f"{method} {url[:200]}: no answer within {ANSWER_WITHIN} s — the server hangs on this input")
    except requests.ConnectionError as exc:
        pytest.fail(f"{method} {url[:200]}: the server dropped the connection ({exc!r})")


def header_value(text: str) -> str:
    """``text`` as an HTTP client can send it in a header: Latin-1, no control characters, no edge spaces
    (requests refuses the rest before anything reaches the server)."""
    return re.sub(r"[\x00-\x1f\x7f]", "", text.encode("latin-1", "replace").decode("latin-1")).strip()


def message_of(response: requests.Response) -> str:
    """The message a refusal carries: a JSON body's ``error``, else the body's text."""
    if "json" in response.headers.get("Content-Type", ""):
        try:
            body = response.json()
        except ValueError:
            return response.text
        if isinstance(body, dict):  # an error, or a validation report (ours or SARIF) whose results say why
            results = body.get("results") or (body.get("runs") or [{}])[0].get("results") or []
            said = [r.get("message") for r in results if isinstance(r, dict)]
            return str(body.get("error") or body.get("message") or " ".join(map(str, filter(None, said))))
    return response.text


def answered_well(response: requests.Response, what: str = "") -> requests.Response:
    """No server error (but the query time limit's documented 503), and a 4xx says why."""
    status, head = response.status_code, f"{response.request.method} {response.url[:300]} {what}"
    documented = status == 503 and (response.text.startswith(("timeout:", "busy:"))
                                    or "time limit" in response.text or "busy" in response.text)
    assert status < 500 or documented, f"{head}\n→ {status}\n{response.text[:3000]}"
    if 400 <= status < 500 and response.request.method != "HEAD":
        assert message_of(response).strip(), f"{head}\n→ {status} without a message"
    return response


def sizes(url: str) -> dict[str, int]:
    """Triples per public graph: what a refused write must leave as it was."""
    r = call("GET", url + "/sparql", params={"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"},
             headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return {b["g"]["value"]: int(b["n"]["value"]) for b in r.json()["results"]["bindings"]}


def refused_writes_nothing(url: str, send) -> requests.Response:
    """``send()`` a write; when it is refused (4xx), nothing changed."""
    before = sizes(url)
    response = answered_well(send())
    if response.status_code >= 400:
        assert sizes(url) == before, f"refused with {response.status_code}, yet the store changed"
    return response


# ------------------------------------------------------------------ RDF in: the validation service, submissions


def seeds_of(syntax: str) -> str:
    """The syntax whose valid document is mutated for ``syntax`` (N3 reads Turtle)."""
    return "turtle" if syntax == "n3" else syntax


#: Every media type the server reads RDF from, from its own table: a syntax added there is fuzzed here too.
BODY_TYPES = sorted({**MEDIA_TYPES, **BODY_FORMATS}.items())


@pytest.mark.parametrize("media, syntax", BODY_TYPES, ids=[m for m, _s in BODY_TYPES])
@examples(15)
@given(data=st.data())
def test_validate_answers_bad_rdf_in_every_syntax_with_a_4xx_or_a_report(server, media, syntax, data):
    body = data.draw(bad_rdf(seeds_of(syntax)))
    media += data.draw(st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", ";;x"]))
    r = answered_well(call("POST", server + "/validate", data=body, params=data.draw(st.sampled_from(
        [{}, {"shapes": "project"}, {"format": "sarif"}, {"lang": "fr"}])),
        headers={"Content-Type": media, "Accept": data.draw(st.sampled_from(REPORTS))}))
    assert r.status_code in (200, 400, 406, 415), r.status_code


@examples(40)
@given(body=st.one_of(deep_jsonld(), st.sampled_from(list(VALID_DOCUMENTS.values()))),
       media=st.one_of(st.text(max_size=40), st.sampled_from([
           "text/plain", "", "application/json", "application/ld+json; profile=x", "text/n3", "multipart/form-data",
           "application/x-www-form-urlencoded", "text/turtle; charset=utf-16", "application/octet-stream", "*/*"])))
def test_validate_answers_any_content_type_and_deep_nesting(server, body, media):
    headers = {"Content-Type": header_value(media), "Accept": "application/json"}
    answered_well(call("POST", server + "/validate", data=body, headers=headers))


@examples(25)
@given(triples=st.integers(MAX_TRIPLES - 20, MAX_TRIPLES + 20), literal=st.integers(MAX_LITERAL - 50, MAX_LITERAL + 50),
       syntax=st.sampled_from(["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]),
       door=st.sampled_from(["/validate", "/submissions"]))
def test_documents_at_the_input_caps_are_validated_or_413(server, triples, literal, syntax, door):
    """Around the input caps, in every syntax and on both doors: within them a document is read (a report, or
    a submission refused by the shapes), past either cap it is a 413 that names the cap, never a 5xx."""
    graph = Graph()
    subject = URIRef(BASE + "id/actor/fuzz-caps")
    graph.add((subject, RDF.type, URIRef("https://w3id.org/tscgraph/ontology#Actor")))
    graph.add((subject, URIRef("http://purl.org/dc/terms/description"), Literal("d" * literal)))
    for n in range(triples - 2):
        graph.add((subject, URIRef("http://example.org/p"), Literal(n)))
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
           "application/rdf+xml": "xml"}[syntax]
    body = graph.serialize(format=fmt, encoding="utf-8")
    if len(body) > MAX_BYTES:
        return
    r = answered_well(call("POST", server + door, data=body,
                           headers={"Content-Type": syntax, "Accept": "application/json", **SUBMITTER}))
    over = triples > MAX_TRIPLES or literal > MAX_LITERAL
    assert (r.status_code == 413) == over, (triples, literal, r.status_code, r.text[:300])
    if over:
        assert ("triples" if triples > MAX_TRIPLES else "literal") in r.json()["error"]
    if r.status_code == 201:
        Accepted.submissions += 1


@examples(40)
@given(data=st.data())
def test_validate_answers_bad_uploads(server, data):
    syntax = data.draw(st.sampled_from(list(SYNTAXES)))
    name = data.draw(st.one_of(st.sampled_from([f"data.{SYNTAXES[syntax][1]}", "data", "data.txt", "", "../../x.ttl",
                                                "a.TTL", "é.jsonld", "x" * 300 + ".nt"]), nasty_text(30)))
    fields = data.draw(st.dictionaries(st.sampled_from(["format", "shapes", "data", "x"]), nasty_text(20), max_size=3))
    files = {"file": (name, data.draw(bad_rdf(syntax)), data.draw(st.sampled_from(["text/turtle", "x/y", ""])))}
    answered_well(call("POST", server + "/validate", files=files, data=fields, headers={"Accept": "application/json"}))


@pytest.fixture(scope="module")
def browser_session(server):
    """One browser-like session with its CSRF token (the page's form is checked, API calls are not)."""
    session = requests.Session()
    token = csrf_of(session.get(server + "/validate", timeout=ANSWER_WITHIN).text)
    return session, token


@examples(40)
@given(data=st.data())
def test_the_validation_page_answers_any_pasted_text(server, browser_session, data):
    session, token = browser_session
    form = {"csrf_token": data.draw(st.sampled_from([token, token, "", "forged"])),
            "data": data.draw(st.one_of(nasty_text(300), bad_rdf("turtle").map(lambda b: b.decode("utf-8", "replace")))),
            "shapes": data.draw(st.sampled_from(["all", "project", "", "nonsense", "../x"])),
            "format": data.draw(st.sampled_from(["", "turtle", "json-ld", "nt", "bogus"]))}
    try:
        r = session.post(server + "/validate", data=form, timeout=ANSWER_WITHIN, allow_redirects=False)
    except requests.Timeout:
        pytest.fail(f"no answer within {ANSWER_WITHIN} s")
    answered_well(r)
    if form["csrf_token"] != token:
        assert r.status_code == 400


@examples(40)
@given(data=st.data())
def test_machine_submissions_refuse_bad_input_and_write_nothing(server, data):
    media, syntax = data.draw(st.sampled_from(BODY_TYPES))
    headers = {"Content-Type": media, "Accept": data.draw(st.sampled_from(REPORTS))}
    submitter = data.draw(st.sampled_from(["good", "good", "none", "fuzzed"]))
    if submitter == "good":
        headers.update(SUBMITTER)
    elif submitter == "fuzzed":
        text = st.text(max_size=300).map(header_value)
        headers.update({"X-Submitter-Name": data.draw(text), "X-Submitter-Email": data.draw(text)})
    body = data.draw(bad_rdf(seeds_of(syntax)))
    r = refused_writes_nothing(server, lambda: call("POST", server + "/submissions", data=body, headers=headers))
    if r.status_code == 201:
        Accepted.submissions += 1


# ------------------------------------------------------------------ the submission forms


def form_fields(server: str, kind: str) -> list[str]:
    page = call("GET", f"{server}/submit/{kind}").text
    return sorted(set(re.findall(r'name="([^"]+)"', page)) - {"csrf_token"})


@pytest.fixture(scope="module")
def forms(server):
    session = requests.Session()
    token = csrf_of(session.get(server + "/submit/project", timeout=ANSWER_WITHIN).text)
    kinds = ["project", "organisation", "offer", "request", "knowledge"]
    return session, token, {kind: form_fields(server, kind) for kind in kinds}


@examples(60)
@given(data=st.data())
def test_submission_forms_answer_any_field_values_and_write_nothing_refused(server, forms, data):
    session, token, fields = forms
    kind = data.draw(st.sampled_from(sorted(fields)))
    chosen = data.draw(st.lists(st.sampled_from(fields[kind] + ["unknown-field", "edit"]), max_size=12, unique=True))
    form = [(name, value) for name in chosen
            for value in data.draw(st.lists(nasty_text(80), min_size=1, max_size=2))]
    form.append(("csrf_token", token))
    if data.draw(st.booleans()):
        form += [("submitter-name", "Fuzz"), ("submitter-email", "fuzz@example.org")]

    def send() -> requests.Response:
        try:
            return session.post(f"{server}/submit/{kind}", data=form, timeout=ANSWER_WITHIN, allow_redirects=False)
        except requests.Timeout:
            pytest.fail(f"no answer within {ANSWER_WITHIN} s")

    r = refused_writes_nothing(server, send)
    if r.status_code == 303:
        Accepted.submissions += 1
    assert r.status_code in (200, 303, 400, 404, 422, 413), r.status_code


@examples(25)
@given(kind=st.one_of(st.sampled_from(["project", "organisation"]), nasty_text(20)), edit=iri_like())
def test_a_form_s_kind_and_edit_parameter_are_checked(server, kind, edit):
    answered_well(call("GET", f"{server}/submit/{quote(kind, safe='')}", params={"edit": edit}))


@examples(25)
@given(login=nasty_text(60), password=nasty_text(60))
def test_editor_sign_in_answers_any_login_and_password(server, login, password):
    session = requests.Session()
    token = csrf_of(session.get(server + "/editor/login", timeout=ANSWER_WITHIN).text)
    r = session.post(server + "/editor/login", data={"csrf_token": token, "login": login, "password": password},
                     timeout=ANSWER_WITHIN, allow_redirects=False)
    assert answered_well(r).status_code in (400, 401, 403), r.status_code


# ------------------------------------------------------------------ SPARQL queries


@examples(75)
@given(data=st.data())
def test_sparql_answers_any_query_text(server, data):
    query = data.draw(bad_sparql())
    how = data.draw(st.sampled_from(["get", "form", "direct"]))
    params = data.draw(st.dictionaries(st.sampled_from(["format", "default-graph-uri", "named-graph-uri"]),
                                       st.one_of(iri_like(), st.sampled_from(["json", "xml", "csv", "html", "turtle"])),
                                       max_size=2))
    accept = data.draw(st.sampled_from(["*/*", "text/html", "application/sparql-results+json", "text/turtle", "x/y",
                                        "application/json;q=0", ""]))
    if how == "get":
        r = call("GET", server + "/sparql", params={**params, "query": query}, headers={"Accept": accept})
    elif how == "form":
        r = call("POST", server + "/sparql", data={**params, "query": query}, headers={"Accept": accept})
    else:
        r = call("POST", server + "/sparql", params=params, data=query.encode("utf-8", "surrogatepass"),
                 headers={"Content-Type": "application/sparql-query", "Accept": accept})
    answered_well(r, query[:500])


@examples(40)
@given(body=st.binary(max_size=200), media=st.sampled_from(["application/sparql-query", "application/sparql-update",
                                                             "application/x-www-form-urlencoded", "text/plain", ""]))
def test_sparql_answers_raw_bytes_in_any_encoding(server, body, media):
    """Invalid UTF-8 and random bytes as a query, an update (with the token: it reaches the parser) or a form."""
    refused_writes_nothing(server, lambda: call("POST", server + "/sparql", data=body,
                                                headers={"Content-Type": media, **AUTH}))


@examples(50)
@given(name=st.sampled_from(sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))),
       params=st.dictionaries(st.one_of(st.sampled_from(["lang", "format", "target", "actor", "project", "iri",
                                                         "limit", "offset", "year"]), nasty_text(10)),
                              nasty_text(40), max_size=3))
def test_named_queries_answer_any_parameters(server, name, params):
    answered_well(call("GET", f"{server}/queries/{name}", params=params))


# ------------------------------------------------------------------ pages, their parameters, IRIs, headers

LISTINGS = ["/", "/projects", "/actors", "/biobridge", "/knowledge", "/commitments", "/gbf", "/cbd", "/graph",
            "/class", "/resource", "/changes", "/queries", "/harvest", "/moderation", "/moderation/duplicates",
            "/dumps/", "/shapes", "/sparql", "/validate", "/submit", "/sitemap.xml", "/.well-known/void",
            "/openapi.json", "/ontology", "/ontology.ttl", "/shapes.ttl", "/data", "/metrics", "/health", "/robots.txt",
            "/sparql/completions", "/sparql/labels"]
PARAMETERS = ["q", "sort", "page", "format", "lang", "target", "article", "territory", "modality", "funder", "status",
              "year", "type", "kind", "member", "expertise", "place", "conformance", "chart", "iri", "graph",
              "default", "status", "next", "edit", "record", "x"]
RAW_VALUES = ["%FF%FE", "%00", "%C3%28", "%E9t%E9", "a%20b", "%", "%%", "%2F..%2F", "1e999", "-1", "0", "99999999999999999999"]


@examples(100)
@given(path=st.sampled_from(LISTINGS), data=st.data())
def test_every_page_answers_any_query_parameters(server, path, data):
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(PARAMETERS) | nasty_text(8), nasty_text(60)), max_size=4))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    raw = data.draw(st.lists(st.tuples(st.sampled_from(PARAMETERS), st.sampled_from(RAW_VALUES)), max_size=2))
    query = "&".join(filter(None, [query, *(f"{k}={v}" for k, v in raw)]))
    accept = data.draw(st.sampled_from(["text/html", "application/json", "*/*", "text/turtle", "text/csv"]))
    answered_well(call("GET", f"{server}{path}?{query}", headers={"Accept": accept}))


IRI_ROUTES = ["/id/{}", "/vocab/{}", "/id/project/{}.ttl", "/id/{}.jsonld", "/resource?iri={}", "/class?iri={}",
              "/data?graph={}", "/submit/project?edit={}", "/changes/{}", "/changes/local/page/{}", "/harvest/{}",
              "/submissions/{}", "/queries/{}", "/dumps/{}", "/sitemaps/{}.xml", "/moderation/{}",
              "/moderation/x/preview?record={}",
              "/sparql?default-graph-uri={}&query=ASK%7B%7D", "/sparql?named-graph-uri={}&query=ASK%7B%7D"]


@examples(100)
@given(route=st.sampled_from(IRI_ROUTES), iri=st.one_of(iri_like(), st.sampled_from(RAW_VALUES)),
       method=st.sampled_from(["GET", "GET", "HEAD"]),
       accept=st.sampled_from(["text/html", "text/turtle", "application/ld+json", "x/y", "*/*;q=0"]))
def test_every_route_that_takes_an_iri_answers_any_iri(server, route, iri, method, accept):
    value = iri if iri in RAW_VALUES else quote(iri, safe="" if "?" in route else "/")
    answered_well(call(method, server + route.format(value), headers={"Accept": accept}), repr(iri))


@examples(50)
@given(path=st.sampled_from(["/", "/projects", "/id/project/biodiversa-plus", "/sparql", "/validate", "/gbf"]),
       accept=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
       language=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
       cookie=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E).filter(lambda c: c not in ";,"), max_size=20))
def test_every_page_answers_any_accept_language_and_cookie(server, path, accept, language, cookie):
    headers = {"Accept": header_value(accept), "Accept-Language": header_value(language),
               "Cookie": f"lang={cookie}; tscgraph_session={cookie}"}
    answered_well(call("GET", server + path, headers=headers))


# ------------------------------------------------------------------ bodies above max_request_bytes

FORM = "application/x-www-form-urlencoded"
GSP_GRAPH = "?graph=" + BASE + "graph/harvest/big"
#: Every route that takes a body, and how it refuses one too large: 413, or — for the editors' routes, which this
#: client has no session for — the 403/404 it gives before reading any body.
TOO_LARGE, EDITORS_ONLY = {413}, {403, 404, 413}
POST_ROUTES = [
    ("POST", "/validate", "text/turtle", TOO_LARGE), ("POST", "/submissions", "text/turtle", TOO_LARGE),
    ("POST", "/sparql", FORM, TOO_LARGE), ("POST", "/sparql", "application/sparql-query", TOO_LARGE),
    ("POST", "/update", "application/sparql-update", TOO_LARGE), ("PUT", "/data" + GSP_GRAPH, "text/turtle", TOO_LARGE),
    ("POST", "/data" + GSP_GRAPH, "text/turtle", TOO_LARGE), ("POST", "/submit/project", FORM, TOO_LARGE),
    ("POST", "/editor/login", FORM, TOO_LARGE), ("POST", "/editor/logout", FORM, EDITORS_ONLY),
    ("POST", "/moderation/x/approve", FORM, EDITORS_ONLY), ("POST", "/moderation/x/reject", FORM, EDITORS_ONLY),
    ("POST", "/moderation/duplicates/confirm", FORM, EDITORS_ONLY),
    ("POST", "/moderation/duplicates/dismiss", FORM, EDITORS_ONLY), ("POST", "/harvest/x/check", FORM, EDITORS_ONLY),
]


def send_and_hang_up(url: str, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """(status, body) of a raw HTTP/1.1 request whose client stops sending and hangs up once its body is out —
    or once the server stops reading it. (requests keeps the socket open: gunicorn 27, which closes a connection
    whose body it did not read "gracefully", then waits up to 2 s for that client in its main loop, serving no
    one else meanwhile.)"""
    host, port = url.split("://", 1)[1].split(":")
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection((host, int(port)), timeout=ANSWER_WITHIN) as sock:
        try:
            sock.sendall(head.encode("latin-1") + body)
        except OSError:  # the server answered and closed before the body was all sent: read what it said
            pass
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            pytest.fail(f"{method} {path}: no answer within {ANSWER_WITHIN} s")
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), f"{method} {path}: no HTTP answer ({answer[:200]!r})"
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def test_bodies_above_max_request_bytes_get_413_on_every_route_and_write_nothing(server):
    before = sizes(server)
    for (method, path, media, refusals), extra in product(POST_ROUTES, (1, 3 * MAX_BYTES)):
        body = b"x=" + b"a" * (MAX_BYTES + extra)
        status, text = send_and_hang_up(server, method, path, {"Content-Type": media, **AUTH, **SUBMITTER}, body)
        assert status in refusals and text.strip(), (method, path, extra, status, text[:300])
    assert sizes(server) == before


# ------------------------------------------------------------------ no address is ever reached


@examples(50)
@given(data=st.data())
def test_json_ld_remote_contexts_are_refused_and_never_fetched(server, listener, data):
    target = data.draw(st.sampled_from(listener.addresses("/context.jsonld")))
    place = data.draw(st.sampled_from(CONTEXT_PLACES))
    body = jsonld_with_context(target, place)
    door = data.draw(st.sampled_from(["validate", "upload", "submissions", "gsp"]))
    headers = {"Content-Type": "application/ld+json", "Accept": "application/json"}
    if door == "validate":
        r = call("POST", server + "/validate", data=body, headers=headers)
    elif door == "upload":
        r = call("POST", server + "/validate", files={"file": ("doc.jsonld", body, "application/ld+json")},
                 headers={"Accept": "application/json"})
    elif door == "submissions":
        r = refused_writes_nothing(server, lambda: call("POST", server + "/submissions", data=body,
                                                        headers={**headers, **SUBMITTER}))
    else:
        graph = f"{BASE}graph/harvest/ssrf-{data.draw(st.integers(0, 10**6))}"
        r = refused_writes_nothing(server, lambda: call("PUT", server + "/data", params={"graph": graph}, data=body,
                                                        headers={**headers, **AUTH}))
    answered_well(r, f"{door} {place} {target}")
    assert r.status_code == 400 and "context" in message_of(r), (door, place, r.status_code, r.text[:500])
    assert listener.connections == [], f"the server connected to {target} ({door}, {place})"


@examples(25)
@given(data=st.data())
def test_xml_entities_doctypes_and_owl_imports_never_reach_an_address(server, listener, data):
    """The other ways a document can name an address to load: an XML DOCTYPE or external entity, and an
    ``owl:imports`` (the validator must not follow it)."""
    target = data.draw(st.sampled_from(listener.addresses("/entity")))
    rdf = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    media, body = data.draw(st.sampled_from([
        ("application/rdf+xml", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "{target}"><rdf:RDF {rdf}/>'),
        ("application/rdf+xml", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{target}">]><rdf:RDF {rdf}>'
                                '<rdf:Description rdf:about="http://a/"><rdf:value>&e;</rdf:value></rdf:Description></rdf:RDF>'),
        ("application/rdf+xml", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{target}"> %p;]><rdf:RDF {rdf}/>'),
        ("text/turtle", f"<{BASE}id/x> <http://www.w3.org/2002/07/owl#imports> <{target}> ."),
    ]))
    answered_well(call("POST", server + "/validate", data=body.encode(), headers={"Content-Type": media}))
    assert listener.connections == [], f"a document made the server connect to {target}:\n{body}"


@examples(100)
@given(data=st.data())
def test_service_to_any_address_is_refused_and_never_called(server, listener, data):
    target = data.draw(st.sampled_from(listener.addresses("/sparql")))
    query = data.draw(hidden_service(target) | sparql_soup().map(lambda t: f"SELECT * WHERE {{ SERVICE <{target}> {{ {t} }} }}"))
    door = data.draw(st.sampled_from(["get", "form", "update"]))
    if door == "get":
        r = call("GET", server + "/sparql", params={"query": query})
    elif door == "form":
        r = call("POST", server + "/sparql", data={"query": query})
    else:
        update = re.sub(r"SELECT \* WHERE", "INSERT { ?s ?p ?o } WHERE", query, count=1)
        r = refused_writes_nothing(server, lambda: call("POST", server + "/update", data=update.encode(),
                                                        headers={"Content-Type": "application/sparql-update", **AUTH}))
    answered_well(r, query)
    assert r.status_code == 400, (door, r.status_code, query, r.text[:300])
    assert listener.connections == [], f"a SERVICE reached {target}:\n{query}"


@examples(25)
@given(data=st.data())
def test_load_from_any_address_is_refused_and_never_fetched(server, listener, data):
    target = data.draw(st.sampled_from(listener.addresses("/data.ttl")))
    before = data.draw(st.sampled_from(["", "INSERT DATA { <http://a/#> <http://a/p> <http://a/o> } ; ", "# c\r",
                                        "PREFIX s: <http://www.w3.org/2004/02/skos/core#> "]))
    update = f"{before}{data.draw(st.sampled_from(['LOAD ', 'load silent ', 'LOAD']))}<{target}> INTO GRAPH <{BASE}graph/x>"
    r = refused_writes_nothing(server, lambda: call("POST", server + "/update", data=update.encode(),
                                                    headers={"Content-Type": "application/sparql-update", **AUTH}))
    assert r.status_code == 400 and "LOAD" in r.text, (r.status_code, update)
    assert listener.connections == [], f"a LOAD reached {target}"


# ------------------------------------------------------------------ writes (last: an accepted one changes the store)


@examples(50)
@given(data=st.data())
def test_graph_store_writes_refuse_bad_input_and_write_nothing(server, data):
    method = data.draw(st.sampled_from(["PUT", "POST", "PUT", "DELETE"]))
    media, syntax = data.draw(st.sampled_from(BODY_TYPES))
    graph = data.draw(st.one_of(FUZZ_GRAPHS, FUZZ_GRAPHS, iri_like().filter(lambda i: not i.startswith(BASE + "graph/"))))
    media = data.draw(st.sampled_from([media] * 3 + ["text/csv", "", "application/octet-stream"]))
    body = data.draw(bad_rdf(seeds_of(syntax))) if method != "DELETE" else b""
    credentials = data.draw(st.sampled_from([AUTH, AUTH, AUTH, {}, {"Authorization": "Bearer nope"}]))
    r = refused_writes_nothing(server, lambda: call(method, server + "/data", params={"graph": graph}, data=body,
                                                    headers={"Content-Type": media, **credentials}))
    if credentials is not AUTH:
        assert r.status_code in (400, 401, 403, 414), r.status_code  # 414: gunicorn's limit on the request line


UPDATE_WORDS = ["INSERT DATA", "DELETE DATA", "DELETE WHERE", "INSERT", "DELETE", "WHERE", "WITH", "USING", "GRAPH",
                "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "TO", "SILENT", "DEFAULT", "NAMED", ";",
                f"<{BASE}graph/harvest/fuzz-u>", "<http://a/s> <http://a/p> 'x'", "?s ?p ?o", "{", "}"]


@examples(50)
@given(data=st.data())
def test_sparql_updates_refuse_bad_input_and_write_nothing(server, data):
    update = data.draw(st.one_of(bad_sparql(), st.lists(st.sampled_from(UPDATE_WORDS), max_size=12).map(" ".join)))
    credentials = data.draw(st.sampled_from([AUTH, AUTH, {}]))
    if data.draw(st.booleans()):
        send = lambda: call("POST", server + "/sparql", data={"update": update}, headers=credentials)  # noqa: E731
    else:
        send = lambda: call("POST", server + "/update", data=update.encode("utf-8", "surrogatepass"),  # noqa: E731
                            headers={"Content-Type": "application/sparql-update", **credentials})
    r = refused_writes_nothing(server, send)
    if not credentials:
        assert r.status_code in (400, 401, 403, 415), r.status_code


def test_every_route_of_the_app_gets_bad_input():
    """Guard the fuzz set itself: a route added to the app must be added to one of the lists above."""
    from flask import Flask

    from server import BLUEPRINTS

    app = Flask("routes")  # the blueprints alone: their rules, without a store
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    urls = app.url_map.bind("localhost")
    paths = LISTINGS + [route.format("1") for route in IRI_ROUTES] + [route[1] for route in POST_ROUTES]
    reached = set()
    for path, method in product(paths, ("GET", "POST", "PUT", "DELETE")):
        try:
            reached.add(urls.match(path.split("?")[0], method=method)[0])
        except HTTPException:
            continue
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - reached - {"static"})
    assert missing == [], f"endpoints no fuzz property sends bad input to: {missing}"


# ------------------------------------------------------------------ the bugs these properties found, as plain examples


def test_an_n3_body_is_validated_not_a_server_error(server):
    r = call("POST", server + "/validate", data=b"<http://a/s> <http://a/p> <http://a/o> .",
             headers={"Content-Type": "text/n3", "Accept": "application/json"})
    assert r.status_code == 200 and r.json()["conforms"] is True, r.text[:300]


@pytest.mark.parametrize("path, status", [
    ("/id/https%3A//chm.example.org/id/%22", 404),          # a path that makes no IRI names nothing
    ("/id/project/https%3A//chm.example.org/id/%22.ttl", 404),
    ("/submit/project?edit=http://%1B", 400),
    ("/projects?target=://", 400),
    ("/actors?type=http://a/%0A", 400),
    ("/data?graph=http://a/%0A", 400),
    ("/sparql?query=ASK%7B%7D&default-graph-uri=http://a%20b", 400),
    ("/queries/partner-network?actor=http://a/%0A", 400),
    ("/resource?iri=http://a/%0Ab", 400),
])
def test_a_parameter_or_path_that_is_no_iri_is_a_4xx_not_a_server_error(server, path, status):
    r = call("GET", server + path, headers={"Accept": "text/html"})
    assert r.status_code == status and message_of(r).strip(), (path, r.status_code, r.text[:300])


def test_a_service_hidden_after_an_iri_with_a_hash_is_refused_over_http(server, listener):
    query = (f"PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT * WHERE {{ ?s ?p ?o "
             f"SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?a ?b ?c }} }}")
    r = call("GET", server + "/sparql", params={"query": query})
    assert r.status_code == 400 and "service_allowlist" in r.text
    assert listener.connections == []


def test_a_form_field_that_is_no_iri_is_shown_as_a_violation_not_a_server_error(server, forms):
    session, token, _fields = forms
    data = {"dcterms-title.en": "Fuzz regression", "dcterms-title.fr": "Régression", "schema-startDate": "2024-01-15",
            "tsc-contributesToTarget": "https://w3id.org/tscgraph/vocab/gbf/target/3",
            "tsc-leadOrganisation": "https://chm.example.org/id/actor/ofb", "schema-url": "http://a/%zz",
            "submitter-name": "Fuzz", "submitter-email": "fuzz@example.org", "csrf_token": token}
    r = refused_writes_nothing(server, lambda: session.post(f"{server}/submit/project", data=data,
                                                            timeout=ANSWER_WITHIN, allow_redirects=False))
    assert r.status_code == 422 and "not a valid IRI" in r.text, r.status_code
