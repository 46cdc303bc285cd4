"""Answers that say what they read outlive the writes that changed none of it (serving/rsgi.py Front.carried): a
record's RDF after a write about another record is the cached answer, its ETag held; after a write about the
record itself, computed anew. Real parts: ``tscgraph serve`` on loopback, writes through its reader."""

from __future__ import annotations

import json

import pytest
import requests

from graph.changekeys import Change, predicate_key
from serving import httpcache
from serving.httpcache import ResponseCache
from serving.rsgi import Front
from tests.conftest import AUTH, BASE, TOKEN_HASH, start_server, stop_server

OFB = "/id/actor/ofb"
TURTLE = {"Accept": "text/turtle"}
PREFIX = "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"


def computed(server, path: str) -> int:
    """How many requests for ``path`` the application answered (a cache's answers log ``"cache": "hit"``)."""
    count = 0
    for line in server.log().splitlines():
        if line.startswith("{") and '"path"' in line:
            entry = json.loads(line)
            count += entry.get("path") == path and "cache" not in entry
    return count


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("carried"), update_tokens=TOKEN_HASH)
    yield srv
    stop_server(srv)


def update(server, text: str) -> None:
    answer = requests.post(server.url + "/update", data=(PREFIX + text).encode(), timeout=60,
                           headers={**AUTH, "Content-Type": "application/sparql-update"})
    assert answer.status_code == 200, answer.text


def test_a_records_rdf_outlives_a_write_about_another_record_and_not_one_about_itself(server):
    first = requests.get(server.url + OFB, headers=TURTLE, timeout=30)
    assert first.status_code == 200 and "X-Tscgraph-Reads" not in first.headers  # internal: never sent
    update(server, f'INSERT DATA {{ GRAPH <{BASE}graph/local> {{ <{BASE}id/actor/carried-test> a tsc:Actor ; '
                   'skos:prefLabel "Example: an unrelated actor"@en ; '
                   'tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/ngo> } }')
    kept = requests.get(server.url + OFB, headers=TURTLE, timeout=30)
    assert (kept.status_code, kept.content, kept.headers["ETag"]) == (200, first.content, first.headers["ETag"])
    assert computed(server, OFB) == 1  # the first request only: the write did not touch what the answer read
    again = requests.get(server.url + OFB, headers={**TURTLE, "If-None-Match": first.headers["ETag"]}, timeout=30)
    assert again.status_code == 304
    # a write about the record itself: computed anew, and it says so
    update(server, f'INSERT DATA {{ GRAPH <{BASE}graph/local> {{ <{BASE}id/actor/ofb> skos:altLabel '
                   '"Example: an alias written by the test"@en } }')
    after = requests.get(server.url + OFB, headers=TURTLE, timeout=30)
    assert after.status_code == 200 and "an alias written by the test" in after.text
    assert after.headers["ETag"] != first.headers["ETag"] and computed(server, OFB) == 2


def test_a_linked_terms_new_label_is_a_change_to_the_answer(server):
    """The description holds the labels of what the record points to: a label given to one of them is read."""
    page = requests.get(server.url + OFB, headers={"Accept": "application/n-triples"}, timeout=30)
    assert page.status_code == 200
    linked = sorted({line.split()[2].strip("<>") for line in page.text.splitlines()
                     if line.startswith(f"<{BASE}id/actor/ofb>") and line.split()[2].startswith("<https://w3id.org/")})
    assert linked, page.text
    update(server, f'INSERT DATA {{ GRAPH <{BASE}graph/local> {{ <{linked[0]}> skos:prefLabel '
                   '"Example: a label written by the test"@es } }')
    after = requests.get(server.url + OFB, headers={"Accept": "application/n-triples"}, timeout=30)
    assert "a label written by the test" in after.text


def test_an_answer_that_did_not_say_what_it_read_is_not_carried():
    """Only answers with their reads: the others are computed again after every public write."""
    cache = ResponseCache(1 << 20)
    change = Change({predicate_key("https://example.org/p"): frozenset({"https://example.org/other"})})
    front = Front(forwards=lambda *a: False, forwarder=None, cache=cache, public_state=lambda: "r:2",  # type: ignore[arg-type]
                  changes=lambda: [("r:1", change)])
    cache.put("r:1", ("/a",), 200, [], b"a")
    cache.put("r:1", ("/b",), 200, [], b"b", reads=(frozenset({"https://example.org/b"}), frozenset()))
    cache.put("r:1", ("/c",), 200, [], b"c", reads=(frozenset({"https://example.org/other"}), frozenset()))
    cache.put("r:1", ("/d",), 200, [], b"d", reads=(frozenset({"https://example.org/d"}),
                                                  frozenset({predicate_key("https://example.org/p")})))
    assert front.cached("r:2", ("/a",)) is None
    assert front.cached("r:2", ("/b",)).body == b"b" and cache.get("r:2", ("/b",)) is not None  # type: ignore[union-attr]
    assert front.cached("r:2", ("/c",)) is None  # the subject it read changed
    assert front.cached("r:2", ("/d",)) is None  # a key it read anywhere changed
    unknown = Front(forwards=lambda *a: False, forwarder=None, cache=cache, public_state=lambda: "r:3",  # type: ignore[arg-type]
                    changes=lambda: [("r:1", None)])
    assert unknown.cached("r:3", ("/b",)) is None
    assert httpcache.parse_reads('{"s": ["x"], "k": []}') == (frozenset({"x"}), frozenset())
    assert httpcache.parse_reads("not json") is None and httpcache.parse_reads(None) is None


def test_the_readers_share_what_an_answer_read(tmp_path):
    from serving.sharedanswers import SharedAnswers

    one, two = SharedAnswers(tmp_path, 1 << 20), SharedAnswers(tmp_path, 1 << 20)
    reads = (frozenset({"https://example.org/b"}), frozenset({predicate_key("https://example.org/p")}))
    one.follow("r:1", None)
    one.put("r:1", ("/b",), httpcache.Entry(200, [], b"b", httpcache.strong_etag(b"b"), reads=reads))
    one.put("r:1", ("/a",), httpcache.Entry(200, [], b"a", httpcache.strong_etag(b"a")))
    assert two.get("r:1", ("/b",)).reads == reads and two.get("r:1", ("/a",)).reads is None  # type: ignore[union-attr]
