"""Oxigraph's server (``oxigraph serve``, the version of bench/peers.lock, in .venv-peers) as a federating client of
a real server on loopback: its SPARQL engine calls our /sparql with ``SERVICE`` — alone, and joined with its own
data — and its ``LOAD`` reads our record pages with its own Accept. It must get what we answer ourselves.
"""

from __future__ import annotations

import contextlib

import pytest
import requests
from rdflib import Graph

from bench.peers import oxigraph_serving, peer_versions
from tests.field_clients import by_value, our_select, our_turtle, same_graph, unavailable

TSC = "https://w3id.org/tscgraph/ontology#"


#: The two actors that lead the most projects, with their counts.
LEADING_ACTORS = f"""SELECT ?actor (COUNT(DISTINCT ?project) AS ?n) WHERE {{ ?project <{TSC}leadOrganisation> ?actor }}
GROUP BY ?actor ORDER BY DESC(?n) ?actor LIMIT 2"""


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory, live_server):
    """An empty, writable Oxigraph server in memory holding two actors of ours as its own data."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(oxigraph_serving(tmp_path_factory.mktemp("oxigraph"), timeout_s=60))
        except (RuntimeError, OSError) as exc:  # no .venv-peers and no way to make it
            unavailable(f"the Oxigraph server cannot be installed or started: {exc}")
        a = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        leads = [r["actor"] for r in our_select(live_server + "/sparql", LEADING_ACTORS)]
        wanted = "".join(f"<{actor}> {a} <urn:x:Wanted> .\n" for actor in leads)
        put = requests.post(server.base + "/store?default", data=wanted.encode(),
                            headers={"Content-Type": "application/n-triples"}, timeout=30)
        assert put.status_code in (200, 201, 204), put.text
        yield server


def federated(oxigraph, query: str) -> list[dict[str, str]]:
    answer = requests.post(oxigraph.url, data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                           timeout=60)
    assert answer.status_code == 200, answer.text[:2000]
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def test_the_peer_is_oxigraph_0_5(oxigraph):
    assert peer_versions()["oxigraph"].startswith("0.5.")


def test_oxigraph_counts_through_service_what_we_count(oxigraph, live_server):
    inner = f"?project a <{TSC}Project> ; <{TSC}contributesToTarget> ?target"
    ours = our_select(live_server + "/sparql",
                      f"SELECT ?target (COUNT(DISTINCT ?project) AS ?n) WHERE {{ {inner} }} GROUP BY ?target ORDER BY ?target")
    theirs = federated(oxigraph, f"SELECT ?target (COUNT(DISTINCT ?project) AS ?n) WHERE {{ "
                                 f"SERVICE <{live_server}/sparql> {{ {inner} }} }} GROUP BY ?target ORDER BY ?target")
    assert len(ours) > 5 and theirs == ours


def test_oxigraph_joins_its_data_with_ours(oxigraph, live_server):
    rows = federated(oxigraph, f"""SELECT ?actor (COUNT(DISTINCT ?project) AS ?led) WHERE {{
  ?actor a <urn:x:Wanted> .
  SERVICE <{live_server}/sparql> {{ ?project <{TSC}leadOrganisation> ?actor }}
}} GROUP BY ?actor ORDER BY ?actor""")
    ours = sorted(({"actor": r["actor"], "led": r["n"]} for r in our_select(live_server + "/sparql", LEADING_ACTORS)),
                  key=lambda r: r["actor"])
    assert len(rows) == 2 and rows == ours


@pytest.mark.parametrize("path", ["/id/project/biodiversa-plus", "/vocab/gbf/target/3"])
def test_oxigraph_loads_a_record_page_with_every_triple(oxigraph, live_server, path):
    graph = f"urn:x:page:{path}"
    update = requests.post(oxigraph.base + "/update", data={"update": f"LOAD <{live_server}{path}> INTO GRAPH <{graph}>"},
                           timeout=60)
    assert update.status_code in (200, 204), update.text[:2000]
    got = requests.post(oxigraph.url, data={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                        headers={"Accept": "application/n-triples"}, timeout=60)
    assert got.status_code == 200, got.text[:1000]
    assert same_graph(by_value(Graph().parse(data=got.text, format="nt")), our_turtle(live_server + path))
