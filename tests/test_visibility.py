"""Private graphs stay private: pending submissions and moderation records are invisible to every public read."""

from __future__ import annotations

import gzip

import requests

from tests.conftest import BASE
from tests.test_writes import TTL_PREFIXES, actor, new_iri, select

BROWSER = {"Accept": "text/html"}


def submit(url: str, body: str, email: str) -> str:
    """Send ``body`` as a pending submission (no token reaches private graphs: graph/auth.py); its graph."""
    sent = requests.post(url + "/submissions", data=(TTL_PREFIXES + body).encode(), timeout=60, headers={
        "Content-Type": "text/turtle", "X-Submitter-Name": "Someone", "X-Submitter-Email": email})
    assert sent.status_code == 201, sent.text
    return BASE + "graph/submission/" + sent.headers["Location"].rsplit("/", 1)[1]


def test_a_pending_submission_is_invisible_to_every_public_read(writable_server):
    url = writable_server.url
    secret = new_iri("actor")
    graph = submit(url, actor(secret), "someone@example.org")
    moderation = BASE + "graph/moderation"
    # SPARQL: neither the union nor GRAPH ?g, nor an explicit dataset
    assert select(url, f"SELECT ?p WHERE {{ <{secret}> ?p ?o }}") == []
    graphs = {str(r["g"]) for r in select(url, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graph not in graphs and moderation not in graphs and BASE + "graph/local" in graphs
    asked = requests.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": graph},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert asked.status_code == 400 and "no public graph" in asked.text
    # Graph Store Protocol, dereferencing, pages, dumps, statistics
    assert requests.get(url + "/data", params={"graph": graph}, timeout=30).status_code == 404
    assert requests.get(url + "/data", params={"graph": moderation}, timeout=30).status_code == 404
    assert "someone@example.org" not in requests.get(url + "/data", params={"default": ""}, timeout=30).text
    assert requests.get(url + secret[len(BASE) - 1:], headers=BROWSER, timeout=30).status_code == 404
    assert secret not in requests.get(url + "/actors", params={"format": "json"}, timeout=30).text
    stats = requests.get(url + "/graph", params={"format": "json"}, timeout=30).json()
    assert graph not in {g["graph"] for g in stats["graphs"]}
    dump = gzip.decompress(requests.get(url + "/dumps/tscgraph.nq.gz", timeout=120).content).decode()
    assert secret not in dump and "someone@example.org" not in dump
