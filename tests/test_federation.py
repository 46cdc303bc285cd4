"""Federation between real clearing-house nodes on loopback.

Node B is a tscgraph server over the bundled data (its own base IRI). Node A is a tscgraph store that
harvests B with the real ``tscgraph harvest`` CLI (B's ``/sparql``, a record page in Turtle and B's
N-Quads dump), then serves with B, a raw Oxigraph server (a foreign endpoint) and a silent socket on
its ``service_allowlist``. The tests query A: the harvested graph, the harvest provenance, SERVICE
queries spanning A and B or A and Oxigraph, the canned federated query, the allow-list and the time
limit. Every server listens on 127.0.0.1, every wait is bounded, everything is stopped at the end.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time

import pytest
import requests

from bench.peers import oxigraph_serving, post_file
from graph.settings import ROOT
from tests.conftest import BIN, cli_env, start_server, stop_server

A_BASE = "https://chm.example.org/"
B_BASE = "https://chm-b.example.org/"
TSC = "https://w3id.org/tscgraph/ontology#"
PREFIXES = f"PREFIX tsc: <{TSC}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
PLACEHOLDER = "<https://partner.invalid/sparql>"
CANNED = "federated-projects-per-target"
TIME_LIMIT = 8.0
#: The foreign endpoint's data: two projects, on GBF targets 3 and 20, in Oxigraph's default graph.
FOREIGN_TTL = f"""@prefix tsc: <{TSC}> .
@prefix target: <https://w3id.org/tscgraph/vocab/gbf/target/> .
<https://foreign.example.net/p/1> a tsc:Project ; tsc:contributesToTarget target:3 .
<https://foreign.example.net/p/2> a tsc:Project ; tsc:contributesToTarget target:20 , target:3 .
"""


def select(endpoint: str, query: str, timeout: float = 60) -> list[dict[str, str]]:
    answer = requests.post(endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                           timeout=timeout)
    assert answer.status_code == 200, answer.text[:2000]
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def per_target(rows: list[dict[str, str]], count: str) -> dict[str, int]:
    return {row["target"]: int(row[count]) for row in rows}


PROJECTS_PER_TARGET = (PREFIXES + "SELECT ?target (COUNT(DISTINCT ?p) AS ?n) WHERE { %s } GROUP BY ?target")


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    started: list = []
    silent = socket.socket()
    peers = contextlib.ExitStack()
    try:
        # The foreign endpoint: Oxigraph's own server (.venv-peers, installed as the benchmarks do), in memory.
        work = tmp_path_factory.mktemp("oxigraph")
        oxi = peers.enter_context(oxigraph_serving(work, timeout_s=60))
        (work / "foreign.ttl").write_text(FOREIGN_TTL, encoding="utf-8")
        post_file(oxi.base + "/store?default", work / "foreign.ttl", None)

        # Node B: bundled data under its own base IRI.
        node_b = start_server(tmp_path_factory.mktemp("node-b"), base_iri=B_BASE)
        started.append(node_b)
        b_sparql = node_b.url + "/sparql"
        project = select(b_sparql, PREFIXES + "SELECT ?p WHERE { ?p a tsc:Project } ORDER BY ?p LIMIT 1")[0]["p"]
        page = node_b.url + "/" + project[len(B_BASE):] + ".ttl"

        # A partner that accepts connections and never answers.
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"

        # Node A: setup, harvest B with the real CLI, then serve.
        tmp_a = tmp_path_factory.mktemp("node-a")
        sources = tmp_a / "sources.toml"
        # Node B is on loopback: each source allows private addresses (a partner on the internet would not).
        sources.write_text(
            f'[[source]]\nname = "b"\nkind = "sparql"\nurl = "{b_sparql}"\nschedule = "24h"\n'
            'allow_private_addresses = true\n\n'
            f'[[source]]\nname = "b-page"\nkind = "rdf"\nurl = "{page}"\nallow_private_addresses = true\n\n'
            f'[[source]]\nname = "b-dump"\nkind = "rdf"\nurl = "{node_b.url}/dumps/tscgraph.nq.gz"\n'
            'allow_private_addresses = true\n', encoding="utf-8")
        env = cli_env(tmp_a / "store")
        subprocess.run([str(BIN / "tscgraph"), "setup"], env=env, check=True, capture_output=True, timeout=300)
        harvest = subprocess.run([str(BIN / "tscgraph"), "harvest", "--sources-file", str(sources)], env=env,
                                 capture_output=True, text=True, timeout=600)
        # A copy of the canned federated query, its placeholder replaced by B's endpoint, as an operator does.
        queries = tmp_a / "queries"
        queries.mkdir()
        text = (ROOT / "queries" / f"{CANNED}.rq").read_text(encoding="utf-8")
        (queries / f"{CANNED}.rq").write_text(text.replace(PLACEHOLDER, f"<{b_sparql}>"), encoding="utf-8")
        node_a = start_server(tmp_a, service_allowlist=f"{b_sparql},{oxi.url},{silent_url}",
                              queries_dir=str(queries), query_time_limit=str(TIME_LIMIT), query_workers="2")
        started.append(node_a)
        yield {"a": node_a.url + "/sparql", "a_url": node_a.url, "b": b_sparql, "oxigraph": oxi.url,
               "silent": silent_url, "harvest": harvest, "page": page, "project": project}
    finally:
        for server in reversed(started):
            stop_server(server)
        peers.close()
        silent.close()


def test_node_a_harvested_node_b_over_sparql(nodes):
    assert "b: ok" in nodes["harvest"].stderr, nodes["harvest"].stderr[-3000:]
    at_b = select(nodes["b"], PREFIXES + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a tsc:Project }")
    at_a = select(nodes["a"], PREFIXES + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { "
                  f"GRAPH <{A_BASE}graph/harvest/b> {{ ?p a tsc:Project FILTER(STRSTARTS(STR(?p), \"{B_BASE}\")) }} }}")
    assert int(at_a[0]["n"]) == int(at_b[0]["n"]) > 0


def test_node_b_s_bookkeeping_is_not_harvested(nodes):
    """B's record-log dates and conformance verdicts come with its records over SPARQL; A keeps its own."""
    for predicate in ("http://purl.org/dc/terms/dateAccepted", TSC + "conformance"):
        at_b = select(nodes["b"], f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{predicate}> ?o }}")
        at_a = select(nodes["a"], f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{A_BASE}graph/harvest/b> {{ ?s <{predicate}> ?o }} }}")
        assert int(at_b[0]["n"]) > 0 and int(at_a[0]["n"]) == 0, predicate


def test_a_record_page_of_node_b_is_harvested(nodes):
    assert "b-page: ok" in nodes["harvest"].stderr, nodes["harvest"].stderr[-3000:]
    answer = requests.post(nodes["a"], data={"query": PREFIXES + f"ASK {{ GRAPH <{A_BASE}graph/harvest/b-page> "
                                             f"{{ <{nodes['project']}> a tsc:Project }} }}"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.json()["boolean"] is True


def test_the_dump_of_node_b_is_harvested(nodes):
    rows = select(nodes["a"], "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#> "
                  f"SELECT ?outcome WHERE {{ GRAPH <{A_BASE}graph/harvest-log> {{ ?run prov:used "
                  f"<{A_BASE}id/harvest-source/b-dump> ; dcterms:type ?outcome }} }}")
    assert [r["outcome"] for r in rows] == ["ok"]


def test_the_harvest_provenance_is_queried_at_node_a(nodes):
    rows = select(nodes["a"], """
        PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX void: <http://rdfs.org/ns/void#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?run ?outcome ?url ?kind ?schedule ?records ?triples ?graph ?agent WHERE {
          GRAPH <%sgraph/harvest-log> {
            ?run a prov:Activity ; prov:used ?source ; dcterms:type ?outcome ; prov:wasAssociatedWith ?agent ;
                 prov:startedAtTime ?start ; prov:endedAtTime ?end ; prov:generated ?part .
            ?source rdfs:label "b" ; dcterms:source ?url ; dcterms:type ?kind ; dcterms:accrualPeriodicity ?schedule .
            ?part void:entities ?records ; void:triples ?triples ; dcterms:isPartOf ?graph .
            FILTER(?graph = <%sgraph/harvest/b>)
          } }""" % (A_BASE, A_BASE))
    assert len(rows) == 1
    run = rows[0]
    assert (run["outcome"], run["url"], run["kind"], run["schedule"]) == ("ok", nodes["b"], "sparql", "24h")
    assert run["agent"] == A_BASE + "id/agent/tscgraph-harvester"
    counted = select(nodes["a"], f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{A_BASE}graph/harvest/b> {{ ?s ?p ?o }} }}")
    assert int(run["triples"]) == int(counted[0]["n"]) > 0 and int(run["records"]) > 0


def test_a_service_query_spans_node_a_and_node_b(nodes):
    here = f"GRAPH <{A_BASE}graph/local> {{ ?p a tsc:Project ; tsc:contributesToTarget ?target }}"
    there = "?p a tsc:Project ; tsc:contributesToTarget ?target"
    federated = select(nodes["a"], PREFIXES + f"""
        SELECT ?target ?here ?there WHERE {{
          {{ SELECT ?target (COUNT(DISTINCT ?p) AS ?here) WHERE {{ {here} }} GROUP BY ?target }}
          SERVICE <{nodes['b']}> {{ SELECT ?target (COUNT(DISTINCT ?p) AS ?there) WHERE {{ {there} }} GROUP BY ?target }}
        }}""")
    local_a = per_target(select(nodes["a"], PROJECTS_PER_TARGET % here), "n")
    local_b = per_target(select(nodes["b"], PROJECTS_PER_TARGET % there), "n")
    expected = {t: (local_a[t], local_b[t]) for t in local_a.keys() & local_b.keys()}
    assert expected and {r["target"]: (int(r["here"]), int(r["there"])) for r in federated} == expected


def test_the_canned_federated_query_answers_for_both_nodes(nodes):
    answer = requests.get(f"{nodes['a_url']}/queries/{CANNED}", params={"lang": "fr"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.status_code == 200, answer.text[:2000]
    rows = [{k: v["value"] for k, v in r.items()} for r in answer.json()["results"]["bindings"]]
    assert len(rows) == 23 and all(r["label"] and r["lang"] == "fr" for r in rows)
    here = f"GRAPH <{A_BASE}graph/local> {{ ?p a tsc:Project ; tsc:contributesToTarget ?target }}"
    there = "?p a tsc:Project ; tsc:contributesToTarget ?target"
    local_a = per_target(select(nodes["a"], PROJECTS_PER_TARGET % here), "n")
    local_b = per_target(select(nodes["b"], PROJECTS_PER_TARGET % there), "n")
    assert {r["target"]: int(r["here"]) for r in rows} == {r["target"]: local_a.get(r["target"], 0) for r in rows}
    assert {r["target"]: int(r["there"]) for r in rows} == {r["target"]: local_b.get(r["target"], 0) for r in rows}
    assert sum(local_b.values()) > 0


def test_a_service_query_reaches_a_foreign_oxigraph_endpoint(nodes):
    # DISTINCT: node A also holds node B's dump, so the vocabularies' triples are there twice in the union
    rows = select(nodes["a"], PREFIXES + f"""
        SELECT DISTINCT ?project ?number WHERE {{
          SERVICE <{nodes['oxigraph']}> {{ ?project a tsc:Project ; tsc:contributesToTarget ?target }}
          ?target tsc:targetNumber ?number .
        }} ORDER BY ?project ?number""")
    assert [(r["project"].rsplit("/", 1)[1], int(r["number"])) for r in rows] == [("1", 3), ("2", 3), ("2", 20)]


def test_a_service_outside_the_allow_list_is_refused(nodes):
    for endpoint in ("http://127.0.0.1:9/sparql", nodes["b"] + "?x", nodes["oxigraph"] + "/"):
        answer = requests.post(nodes["a"], data={"query": f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"},
                               timeout=60)
        assert answer.status_code == 400 and "service_allowlist" in answer.text, endpoint
    answer = requests.post(nodes["a"], data={"query": "SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }"}, timeout=60)
    assert answer.status_code == 400


def test_a_silent_partner_ends_in_the_query_time_limit(nodes):
    """pyoxigraph has no per-endpoint timeout: the query's time limit (worker killed) bounds the wait."""
    began = time.monotonic()
    answer = requests.post(nodes["a"], data={"query": f"SELECT * WHERE {{ SERVICE <{nodes['silent']}> {{ ?s ?p ?o }} }}"},
                           timeout=TIME_LIMIT + 60)
    took = time.monotonic() - began
    assert answer.status_code == 503, answer.text[:500]
    assert TIME_LIMIT - 1 <= took <= TIME_LIMIT + 15
    assert requests.post(nodes["a"], data={"query": "ASK { ?s ?p ?o }"}, timeout=60).status_code == 200
