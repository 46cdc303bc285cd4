"""Comunica (``@comunica/query-sparql`` 4, pinned in tests/clients/package-lock.json) as a client of a real server
on loopback: querying /sparql — named as a SPARQL endpoint, and as a bare URL that Comunica must recognise from
the service description it reads with its own Accept (N-Quads first) — and reading record, vocabulary and ontology
pages as sources, one at a time and joined. All tasks run in one Node process (tests/clients/comunica.mjs).
"""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef

from tests.conftest import BASE
from tests.field_clients import by_value, our_select, our_turtle, same_graph

TSC = "https://w3id.org/tscgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PAGES = ["/id/project/biodiversa-plus", "/id/actor/ofb", "/vocab/gbf/target/3", "/vocab/modality", "/ontology"]
PER_TARGET = f"""PREFIX tsc: <{TSC}>
SELECT ?target (COUNT(DISTINCT ?project) AS ?projects) WHERE {{ ?project a tsc:Project ; tsc:contributesToTarget ?target }}
GROUP BY ?target ORDER BY ?target"""
LEAD_LABEL = f"""PREFIX tsc: <{TSC}> PREFIX skos: <{SKOS}>
SELECT ?label WHERE {{ <{BASE}id/project/biodiversa-plus> tsc:leadOrganisation ?lead . ?lead skos:prefLabel ?label }}
ORDER BY ?label"""


def term(t: dict):
    if t["termType"] == "NamedNode":
        return URIRef(t["value"])
    if t["termType"] == "BlankNode":
        return BNode(t["value"])
    if t["termType"] == "Literal":
        return Literal(t["value"], lang=t.get("language"),
                       datatype=None if t.get("language") else URIRef(t["datatype"]))
    raise AssertionError(t)


@pytest.fixture(scope="module")
def answers(comunica, live_server, tmp_path_factory):
    endpoint = live_server + "/sparql"
    tasks = {
        "per target, endpoint": (PER_TARGET, [{"type": "sparql", "value": endpoint}]),
        "per target, bare URL": (PER_TARGET, [endpoint]),
        "ask, endpoint": (f"ASK {{ <{BASE}id/actor/ofb> a <{TSC}Actor> }}", [{"type": "sparql", "value": endpoint}]),
        "construct, endpoint": (f"CONSTRUCT WHERE {{ <{BASE}id/actor/ofb> ?p ?o }}", [{"type": "sparql", "value": endpoint}]),
        "lead label, two pages": (LEAD_LABEL, [live_server + "/id/project/biodiversa-plus", live_server + "/id/actor/ofb"]),
        **{f"page {path}": ("CONSTRUCT WHERE { ?s ?p ?o }", [live_server + path]) for path in PAGES},
        "trig page": ("CONSTRUCT WHERE { ?s ?p ?o }", [live_server + PAGES[0] + ".trig"]),
    }
    got = comunica.run([{"query": q, "sources": s} for q, s in tasks.values()], tmp_path_factory.mktemp("comunica"))
    return {"version": comunica.version, **dict(zip(tasks, got))}


def ok(answer: dict) -> dict:
    assert "error" not in answer, answer["error"]
    return answer


def test_comunica_is_the_pinned_version_4(answers):
    assert answers["version"].startswith("4.")


@pytest.mark.parametrize("task", ["per target, endpoint", "per target, bare URL"])
def test_comunica_queries_sparql_and_gets_our_answers(answers, live_server, task):
    rows = ok(answers[task])["bindings"]
    ours = our_select(live_server + "/sparql", PER_TARGET)
    assert len(ours) > 5
    assert [(r["target"]["value"], r["projects"]["value"]) for r in rows] == [(r["target"], r["projects"]) for r in ours]


def test_comunica_asks_and_constructs_over_the_protocol(answers, live_server):
    assert ok(answers["ask, endpoint"])["boolean"] is True
    got = by_value((term(s), term(p), term(o)) for s, p, o, _g in ok(answers["construct, endpoint"])["quads"])
    assert len(got) > 3 and (URIRef(BASE + "id/actor/ofb"), URIRef(TSC + "name"), None) not in got
    mine = {t for t in our_turtle(live_server + "/id/actor/ofb") if t[0] == URIRef(BASE + "id/actor/ofb")}
    assert set(got) == mine


@pytest.mark.parametrize("path", PAGES + [PAGES[0] + ".trig"])
def test_comunica_reads_each_page_as_a_source_with_every_triple(answers, live_server, path):
    task = f"page {path}" if not path.endswith(".trig") else "trig page"
    quads = ok(answers[task])["quads"]
    assert all(g["termType"] == "DefaultGraph" for _s, _p, _o, g in quads), "triples outside the default graph"
    got = by_value((term(s), term(p), term(o)) for s, p, o, _g in quads)
    expected = our_turtle(live_server + path.removesuffix(".trig"))
    assert len(got) == len(expected) and same_graph(got, expected), path


def test_comunica_joins_two_record_pages(answers):
    labels = {(b["label"]["value"], b["label"].get("language")) for b in ok(answers["lead label, two pages"])["bindings"]}
    assert labels and all(lang in ("en", "fr", None) for _v, lang in labels)
