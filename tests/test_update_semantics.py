"""SPARQL 1.1 Update as the standard says, through tscgraph's write path (issue 24's write-side causes, fixed in
the form issue 18's incremental writes keep): the update's default graph is the local graph, ``NAMED`` every
other public graph, ``ALL`` both; none of them reaches a private graph; terms reach the store as the client
wrote them; a blank node may be shared across graphs in one operation. The W3C update suites run in
tests/w3c/; these are the regression tests of each cause, on a server of their own."""

from __future__ import annotations

import uuid

import pytest
import requests

from graph.store.oxigraph import OxigraphStore
from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN_HASH, AUTH, BASE, TOKEN_HASH, start_server, stop_server

LOCAL, MODERATION = BASE + "graph/local", BASE + "graph/moderation"
EX = "http://example.org/ns#"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("update-semantics"),
                          update_tokens=f"{TOKEN_HASH},{ADMIN_TOKEN_HASH}")
    yield server
    stop_server(server)


def update(server, text: str, auth=AUTH) -> requests.Response:
    return requests.post(server.url + "/update", data=text.encode(), timeout=60,
                         headers={**auth, "Content-Type": "application/sparql-update"})


def rows(server, query: str) -> list[dict[str, str]]:
    r = requests.get(server.url + "/sparql", params={"query": query}, timeout=30,
                     headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def count(server, graph: str) -> int:
    return int(rows(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"])


def new_graph() -> str:
    return f"{BASE}graph/test-{uuid.uuid4().hex[:8]}"


def test_literals_reach_the_store_as_written(server):
    """Cause 3: a date's timezone, a double's spelling (rdflib writes "2100.0") and a dateTime's Z survive INSERT DATA and a Graph Store
    PUT (they used to pass through rdflib, which re-spells them)."""
    g1, g2 = new_graph(), new_graph()
    terms = ['"2006-08-23Z"^^<http://www.w3.org/2001/XMLSchema#date>',
             '"2100"^^<http://www.w3.org/2001/XMLSchema#double>',
             '"2006-08-23T10:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>']
    body = "".join(f"<{EX}s> <{EX}p{i}> {t} .\n" for i, t in enumerate(terms))
    assert update(server, f"INSERT DATA {{ GRAPH <{g1}> {{ {body} }} }}").status_code == 200
    r = requests.put(server.url + "/data", params={"graph": g2}, data=body.encode(), timeout=60,
                     headers={**AUTH, "Content-Type": "application/n-triples"})
    assert r.status_code == 201, r.text
    for graph in (g1, g2):
        found = rows(server, f"SELECT ?p (STR(?o) AS ?lexical) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ORDER BY ?p")
        assert [row["lexical"] for row in found] == ["2006-08-23Z", "2100", "2006-08-23T10:00:00Z"], graph


def test_one_blank_node_in_two_graphs_in_one_operation(server):
    """Cause 10: valid SPARQL that used to answer 500; the two graphs share the node."""
    g1, g2 = new_graph(), new_graph()
    r = update(server, f"INSERT DATA {{ GRAPH <{g1}> {{ _:b <{EX}p> <{EX}o> }} GRAPH <{g2}> {{ _:b <{EX}p> <{EX}o> }} }}")
    assert r.status_code == 200 and sorted(r.json()["changedGraphs"]) == sorted([g1, g2]), r.text
    shared = rows(server, f"SELECT ?b WHERE {{ GRAPH <{g1}> {{ ?b <{EX}p> <{EX}o> }} GRAPH <{g2}> {{ ?b <{EX}p> <{EX}o> }} }}")
    assert len(shared) == 1


def test_each_document_written_has_blank_nodes_of_its_own(server):
    """Two Graph Store bodies that both say ``_:x`` never share a node (a document's labels are its own, RDF 1.1
    §3.5); the engine keeps the label it reads, so the write path gives each body fresh ones. Found by the W3C
    tests run on data written through the Graph Store (dawg-graph-09)."""
    g1, g2 = new_graph(), new_graph()
    for graph in (g1, g2):
        r = requests.put(server.url + "/data", params={"graph": graph}, timeout=60, data=f"_:x <{EX}p> \"1\" .".encode(),
                         headers={**AUTH, "Content-Type": "application/n-triples"})
        assert r.status_code == 201, r.text
    r = requests.post(server.url + "/data", params={"graph": g1}, timeout=60, data=f"_:x <{EX}p> \"2\" .".encode(),
                      headers={**AUTH, "Content-Type": "text/turtle"})
    assert r.status_code == 204, r.text
    assert not rows(server, f"SELECT ?b WHERE {{ GRAPH <{g1}> {{ ?b <{EX}p> ?o }} GRAPH <{g2}> {{ ?b <{EX}p> ?o }} }}")
    assert len(rows(server, f"SELECT DISTINCT ?b WHERE {{ GRAPH <{g1}> {{ ?b <{EX}p> ?o }} }}")) == 2


def test_named_leaves_the_local_graph_and_default_is_only_the_local_graph(server):
    """Cause 8: CLEAR NAMED empties the other graphs, never the update's own default graph (the local graph,
    the curated data); CLEAR DEFAULT empties the local graph only. Each needs the admin scope (it reaches the
    ontology); a write token is refused with nothing written."""
    graph = new_graph()
    assert update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}s> <{EX}p> 1 }} }}").status_code == 200
    local = count(server, LOCAL)
    assert local > 1000
    refused = update(server, "CLEAR NAMED")
    assert refused.status_code == 403 and "nothing was written" in refused.text, refused.text
    assert count(server, graph) == 1
    r = update(server, "CLEAR NAMED", ADMIN_AUTH)
    assert r.status_code == 200, r.text
    assert graph in r.json()["changedGraphs"] and LOCAL not in r.json()["changedGraphs"]
    assert count(server, graph) == 0 and count(server, LOCAL) == local
    assert update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}s> <{EX}p> 2 }} }}").status_code == 200
    r = update(server, "CLEAR DEFAULT", ADMIN_AUTH)
    assert r.status_code == 200 and r.json()["changedGraphs"] == [LOCAL], r.text
    assert count(server, LOCAL) == 0 and count(server, graph) == 1


def test_a_graph_of_our_own_machinery_is_not_writable(server):
    r = update(server, f"INSERT DATA {{ GRAPH <urn:tscgraph:no-graph> {{ <{EX}s> <{EX}p> 1 }} }}", ADMIN_AUTH)
    assert r.status_code == 400 and "nothing was written" in r.text, r.text


def test_all_empties_every_public_graph_and_no_private_one(server):
    """(Last: it stops the server.) Cause 7: CLEAR ALL and DROP ALL used to be refused as ambiguous. They empty the local graph and every other
    public graph; a submission waiting for an editor (a private graph) is still there, read from the store."""
    name = uuid.uuid4().hex[:6]
    sent = requests.post(server.url + "/submissions", timeout=60, headers={
        "Content-Type": "text/turtle", "X-Submitter-Name": "A Person", "X-Submitter-Email": "person@example.org"},
        data=f"""<{BASE}id/actor/example-{name}> a <https://w3id.org/tscgraph/ontology#Actor> ;
            <http://www.w3.org/2004/02/skos/core#prefLabel> "Example {name}"@en , "Exemple {name}"@fr ;
            <https://w3id.org/tscgraph/ontology#actorType> <https://w3id.org/tscgraph/vocab/actor-type/ngo> .""")
    assert sent.status_code == 201, sent.text
    graph = new_graph()
    assert update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}s> <{EX}p> 1 }} }}").status_code == 200
    for text in ("CLEAR ALL", "DROP ALL"):
        r = update(server, text, ADMIN_AUTH)
        assert r.status_code == 200, r.text
        left = rows(server, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        assert [row["g"] for row in left if not row["g"].endswith("/graph/changes")] == [], left
        assert update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}s> <{EX}p> 1 }} }}").status_code == 200
    stop_server(server)
    store = OxigraphStore(server.store_dir, read_only=True)
    private = [g for g in map(str, store.graph_names()) if g == MODERATION or "/graph/submission/" in g]
    assert MODERATION in private and any("/graph/submission/" in g for g in private), private
    assert store.count(MODERATION) > 0
