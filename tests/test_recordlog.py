"""The record log: new records of the local graph get a date, logged ones keep theirs, other graphs are not logged."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from graph.loading import load_files, setup_store
from graph.namespaces import TSC
from graph.recordlog import latest_records, log_graph_for, stamp_new_records
from graph.writes import apply_update, put_graph
from tests.conftest import BASE

ACCEPTED = "SELECT ?log ?record ?accepted WHERE { GRAPH ?log { ?record <http://purl.org/dc/terms/dateAccepted> ?accepted } }"
FIRST = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
LATER = datetime(2026, 6, 7, 8, 9, 10, tzinfo=timezone.utc)


def logged(store, settings) -> dict[URIRef, str]:
    rows = store.select(ACCEPTED, bindings={"log": URIRef(settings.log_graph)})
    return {r["record"]: str(r["accepted"]) for r in rows}


def project(slug: str) -> Graph:
    g = Graph()
    iri = URIRef(BASE + "id/project/" + slug)
    g.add((iri, RDF.type, TSC.Project))
    g.add((iri, DCTERMS.title, Literal(f"Example: {slug}", lang="en")))
    g.add((iri, TSC.leadOrganisation, URIRef(BASE + "id/actor/ofb")))
    return g


def test_log_graph_sits_beside_the_local_graph(settings):
    assert log_graph_for(settings.local_graph) == settings.log_graph == BASE + "graph/log"
    assert log_graph_for(settings.ontology_graph) is None
    assert log_graph_for(settings.submission_graph("x")) is None


def test_new_records_get_a_date_old_ones_keep_theirs(store, settings):
    store.add_graphs({settings.local_graph: project("a")})
    stamp_new_records(store, [settings.local_graph], now=FIRST)
    first = logged(store, settings)
    assert first == {URIRef(BASE + "id/project/a"): "2025-01-02T03:04:05+00:00"}
    store.add_graphs({settings.local_graph: project("b")})
    stamp_new_records(store, [settings.local_graph], now=LATER)
    second = logged(store, settings)
    assert second[URIRef(BASE + "id/project/a")] == "2025-01-02T03:04:05+00:00"
    assert second[URIRef(BASE + "id/project/b")] == "2026-06-07T08:09:10+00:00"
    stamp_new_records(store, [settings.local_graph], now=datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert logged(store, settings) == second
    rows = store.select("SELECT ?d WHERE { ?s <http://purl.org/dc/terms/dateAccepted> ?d }")
    assert {r["d"].datatype for r in rows} == {XSD.dateTime} and len(rows) == 2


def test_other_graphs_and_untyped_subjects_are_not_logged(store, settings):
    other = settings.submission_graph("pending")
    store.add_graphs({other: project("pending")})
    g = Graph()
    g.add((URIRef(BASE + "id/thing"), DCTERMS.title, Literal("no type")))
    g.add((URIRef(BASE + "id/skos-thing"), RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")))
    store.add_graphs({settings.local_graph: g})
    stamp_new_records(store, [other, settings.local_graph, settings.ontology_graph])
    assert logged(store, settings) == {}


def test_setup_stamps_the_bundled_data_and_a_second_load_does_not_restamp(store, settings, validator):
    setup_store(store, settings, validator)
    first = logged(store, settings)
    types = store.select(
        "SELECT ?g ?tsc (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } FILTER(STRSTARTS(STR(?c), STR(?tsc))) } GROUP BY ?g ?tsc",
        bindings={"g": URIRef(settings.local_graph), "tsc": URIRef(str(TSC))},
    )
    assert len(first) == int(types[0]["n"]) > 50
    setup_store(store, settings, validator, reload_data=True)
    assert logged(store, settings) == first
    latest = latest_records(store, settings.log_graph, limit=10)
    assert len(latest) == 10 and all(e["classes"] for e in latest)


def test_checked_load_and_validated_writes_stamp_new_records(store, settings, validator, tmp_path: Path):
    setup_store(store, settings, validator)
    before = logged(store, settings)
    path = tmp_path / "new.ttl"
    path.write_text(
        "@prefix tsc: <https://w3id.org/tscgraph/ontology#> . @prefix dcterms: <http://purl.org/dc/terms/> .\n"
        "<id/project/new-one> a tsc:Project ; dcterms:title \"Example: new\"@en ; tsc:leadOrganisation <id/actor/ofb> .\n"
    )
    load_files(store, [path], settings.local_graph, base_iri=settings.base_iri, validator=validator)
    after_load = logged(store, settings)
    assert set(after_load) - set(before) == {URIRef(BASE + "id/project/new-one")}
    assert all(after_load[k] == v for k, v in before.items())
    apply_update(store, validator, settings, """
        PREFIX tsc: <https://w3id.org/tscgraph/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
        INSERT DATA { <https://chm.example.org/id/project/by-update> a tsc:Project ;
          dcterms:title "Example: by update"@en ; tsc:leadOrganisation <https://chm.example.org/id/actor/ofb> }""")
    assert URIRef(BASE + "id/project/by-update") in logged(store, settings)
    newest = latest_records(store, settings.log_graph, limit=2)
    assert {e["record"] for e in newest} <= {URIRef(BASE + "id/project/by-update"), URIRef(BASE + "id/project/new-one")}
    assert newest[0]["classes"] == [TSC.Project]
    # a write into another graph logs nothing
    put_graph(store, validator, settings.submission_graph("s1"), project("submitted"))
    assert URIRef(BASE + "id/project/submitted") not in logged(store, settings)
