"""Abuse and bad input on the validation service and machine submissions: too large (413), unreadable
(400 naming the line), script injection (shown as text), a browser form without its CSRF token (400),
too many requests (429 with Retry-After), violations and a missing submitter — nothing written on any
failure (public triple counts, through /graph and /sparql, before and after)."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import TESTS, start_server, stop_server

VALID = (TESTS / "shapes" / "ProjectShape-valid-01.ttl").read_bytes()
INVALID = (TESTS / "shapes" / "ProjectShape-invalid-01.ttl").read_bytes()
SUBMITTER = {"X-Submitter-Name": "Ana Test", "X-Submitter-Email": "ana@example.org"}
TURTLE = {"Content-Type": "text/turtle", "Accept": "application/json"}
MAX_BYTES = 50_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("abuse"), rate_limit="1000", max_request_bytes=str(MAX_BYTES))
    yield s.url
    stop_server(s)


def counts(url: str) -> tuple[int, int]:
    """(triples in /graph's JSON, triples counted by SPARQL): what the public sees of the store."""
    graph = requests.get(url + "/graph", params={"format": "json"}, timeout=30).json()["triples"]
    sparql = requests.get(url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
    return graph, int(sparql["results"]["bindings"][0]["n"]["value"])


def test_oversized_body_is_413_and_nothing_written(server):
    before = counts(server)
    big = VALID + b"\n# " + b"x" * (MAX_BYTES + 10) + b"\n"
    for path in ("/validate", "/submissions"):
        r = requests.post(server + path, data=big, headers={**TURTLE, **SUBMITTER}, timeout=60)
        assert r.status_code == 413, (path, r.status_code)
    assert counts(server) == before


def test_malformed_turtle_is_400_naming_the_line(server):
    bad = b'@prefix dcterms: <http://purl.org/dc/terms/> .\n<id/project/x> dcterms:title "a" .\n<id/project/x> dcterms:title "b\n'
    r = requests.post(server + "/validate", data=bad, headers=TURTLE, timeout=30)
    assert r.status_code == 400
    assert r.json()["line"] == 3 and "line 3" in r.json()["error"]
    nt = b"<http://a.example/s> <http://a.example/p> <http://a.example/o> .\n<http://a.example/s> <http://a.example/p> .\n"
    r = requests.post(server + "/validate", data=nt, headers={**TURTLE, "Content-Type": "application/n-triples"}, timeout=30)
    assert r.status_code == 400 and r.json()["line"] == 2 and "(line 2)" in r.json()["error"]


def test_script_injection_is_shown_as_text(server):
    data = VALID.replace(b'"Example: Restoring coastal wetlands"@en', b'"<script>alert(1)</script>"')
    assert data != VALID
    r = requests.post(server + "/validate", data=data, headers={**TURTLE, "Accept": "text/html"}, timeout=30)
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_browser_form_without_csrf_is_400(server):
    r = requests.post(server + "/validate", data={"data": VALID.decode()}, timeout=30)  # url-encoded, no token
    assert r.status_code == 400 and "CSRF" in r.text
    session = requests.Session()
    session.get(server + "/validate", timeout=30)  # a session cookie, then a forged multipart without the token
    r = session.post(server + "/validate", files={"file": ("x.ttl", VALID, "text/turtle")}, timeout=30)
    assert r.status_code == 400


def test_submission_with_violations_is_422_and_nothing_written(server):
    before = counts(server)
    r = requests.post(server + "/submissions", data=INVALID, headers={**TURTLE, **SUBMITTER}, timeout=60)
    assert r.status_code == 422
    assert r.json()["conforms"] is False
    r = requests.post(server + "/submissions", data=INVALID, timeout=60,
                      headers={**TURTLE, **SUBMITTER, "Accept": "application/sarif+json"})
    assert r.status_code == 422 and r.json()["runs"][0]["results"]
    assert counts(server) == before


def test_submission_without_submitter_is_400(server):
    before = counts(server)
    r = requests.post(server + "/submissions", data=VALID, headers=TURTLE, timeout=30)
    assert r.status_code == 400 and "X-Submitter-Email" in r.json()["error"]
    r = requests.post(server + "/submissions", data=VALID, headers={**TURTLE, "X-Submitter-Name": "Ana",
                                                                    "X-Submitter-Email": "not-an-address"}, timeout=30)
    assert r.status_code == 400
    assert counts(server) == before


def test_submission_is_201_pending_and_private(server):
    before = counts(server)
    r = requests.post(server + "/submissions", data=VALID, headers={**TURTLE, **SUBMITTER}, timeout=60)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["Location"] == f"/submissions/{body['id']}" and body["status"] == "pending"
    assert body["status_url"].endswith(r.headers["Location"])
    assert requests.get(server + r.headers["Location"], timeout=30).status_code == 200
    assert counts(server) == before  # pending: private until approved


def test_rate_limit_is_429_with_retry_after(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("ratelimit"), rate_limit="3")
    try:
        answers = [requests.post(s.url + "/validate", data=VALID, headers=TURTLE, timeout=30) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
    finally:
        stop_server(s)
