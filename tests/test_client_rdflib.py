"""rdflib's own remote stores as clients of a real server on loopback: ``SPARQLStore`` (a read-only Graph over
/sparql: SELECT, ASK, CONSTRUCT, triple patterns, counts, the named graphs, by GET and by POST, in its XML and JSON
result formats) and ``SPARQLUpdateStore`` (the same Graph, written through /update with a bearer token: adds
and removes land in our store and read back).
"""

from __future__ import annotations

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore

from tests.conftest import AUTH, BASE
from tests.field_clients import by_value, our_select, our_turtle

TSC = "https://w3id.org/tscgraph/ontology#"
OFB = URIRef(BASE + "id/actor/ofb")


@pytest.fixture(params=[("GET", "xml"), ("POST", "xml"), ("POST_FORM", "json")], ids=lambda p: f"{p[0]}-{p[1]}")
def remote(request, live_server) -> Graph:
    method, results = request.param
    return Graph(store=SPARQLStore(live_server + "/sparql", method=method, returnFormat=results))


def test_sparqlstore_selects_and_asks(remote, live_server):
    query = f"SELECT ?t (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p <{TSC}contributesToTarget> ?t }} GROUP BY ?t ORDER BY ?t"
    rows = [(str(r.t), int(r.n)) for r in remote.query(query)]
    assert rows == [(r["t"], int(r["n"])) for r in our_select(live_server + "/sparql", query)] and len(rows) > 5
    assert remote.query(f"ASK {{ <{OFB}> a <{TSC}Actor> }}").askAnswer is True


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlstore_constructs_and_reads_triple_patterns(method, live_server):
    remote = Graph(store=SPARQLStore(live_server + "/sparql", method=method))  # rdflib's default: XML
    mine = {t for t in our_turtle(live_server + "/id/actor/ofb") if t[0] == OFB}
    construct = remote.query(f"CONSTRUCT {{ <{OFB}> ?p ?o }} WHERE {{ <{OFB}> ?p ?o }}").graph
    assert set(by_value(construct)) == mine
    assert set(by_value(remote.triples((OFB, None, None)))) == mine
    assert (OFB, RDF.type, URIRef(TSC + "Actor")) in remote
    assert len(list(remote.objects(OFB, SKOS.prefLabel))) >= 1


def test_a_construct_in_rdflibs_json_mode_is_406_naming_what_is_offered(live_server):
    """In its JSON mode rdflib accepts only SPARQL results JSON, in which no graph is written: a CONSTRUCT gets a
    406 naming the RDF syntaxes (RFC 9110), not an answer the client did not ask for."""
    accept = SPARQLStore(live_server + "/sparql", returnFormat="json").response_mime_types()
    answer = requests.post(live_server + "/sparql", data={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
                           headers={"Accept": accept}, timeout=30)
    assert answer.status_code == 406 and "text/turtle" in answer.text and "Accept" in answer.headers["Vary"]


def test_sparqlstore_lists_the_named_graphs_and_counts(live_server):
    names = {str(getattr(g, "identifier", g)) for g in SPARQLStore(live_server + "/sparql").contexts()}
    assert {BASE + "graph/local", BASE + "graph/ontology"} <= names
    local = Graph(store=SPARQLStore(live_server + "/sparql"), identifier=URIRef(BASE + "graph/local"))
    count = int(our_select(live_server + "/sparql",
                           f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/local> {{ ?s ?p ?o }} }}")[0]["n"])
    assert len(local) == count > 100


def test_sparqlupdatestore_adds_and_removes_through_update(writable_server):
    url = writable_server.url
    store = SPARQLUpdateStore(url + "/sparql", url + "/update", headers=dict(AUTH), autocommit=True)
    graph = Graph(store=store, identifier=URIRef(BASE + "graph/local"))
    label = Literal("OFB, written by rdflib's SPARQLUpdateStore", lang="en")
    graph.add((OFB, SKOS.altLabel, label))
    assert (OFB, SKOS.altLabel, label) in graph
    assert (OFB, SKOS.altLabel, label) in Graph().parse(data=our_turtle(url + "/id/actor/ofb").serialize(), format="turtle")
    graph.remove((OFB, SKOS.altLabel, label))
    assert (OFB, SKOS.altLabel, label) not in graph
    after = our_turtle(url + "/id/actor/ofb")
    assert (OFB, SKOS.altLabel, label) not in after and (OFB, RDF.type, URIRef(TSC + "Actor")) in after


def test_sparqlupdatestore_without_a_token_is_refused(writable_server):
    url = writable_server.url
    graph = Graph(store=SPARQLUpdateStore(url + "/sparql", url + "/update", autocommit=True),
                  identifier=URIRef(BASE + "graph/local"))
    with pytest.raises(Exception, match="401"):
        graph.add((OFB, SKOS.altLabel, Literal("no token")))
    assert (OFB, SKOS.altLabel, Literal("no token")) not in our_turtle(url + "/id/actor/ofb")
