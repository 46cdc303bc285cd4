"""The pure parts of the external-store backend (graph/store/remote.py): pre-bound variables, query forms,
batches that keep blank nodes together, profiles. The backend itself runs the store suite
(tests/test_store.py) and the endpoint suite (tests/test_sparql.py) against real servers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from graph.loading import setup_store
from graph.queries import load_catalogue
from graph.settings import ROOT, load_settings
from graph.store import QuerySyntaxError, StoreError, open_store
from graph.store.oxigraph import OxigraphStore
from graph.store.remote import (
    PROFILES,
    RemoteStore,
    batches,
    insert_data_as_template,
    keep_whole_decimals,
    query_form,
    with_bindings,
)


def rows(result) -> set:
    return {tuple(row) for row in result.rows}


def test_every_named_query_answers_alike_with_substituted_parameters(settings, validator):
    """What the embedded engine does with ``bindings`` (SEP-0007 substitution), the text substitution sent to
    an external store does too: same rows for every named query with parameters, on the bundled data."""
    store = OxigraphStore(None)
    store.summary_graph = settings.summary_graph
    setup_store(store, settings, validator)
    checked = 0
    for query in load_catalogue(ROOT / "queries").values():
        if not query.params or "SERVICE" in query.text:
            continue
        bound = query.bindings()
        expected = rows(store.query(query.text, bindings=bound))
        assert rows(store.query(with_bindings(query.text, bound))) == expected, query.name
        checked += 1
    assert checked >= 3


def test_bindings_reach_filters_inside_optional_and_keep_the_variable_projected():
    store = OxigraphStore(None)
    g = Graph()
    s = URIRef("https://ex.org/s")
    g.add((s, URIRef("https://ex.org/label"), Literal("bonjour", lang="fr")))
    g.add((s, URIRef("https://ex.org/label"), Literal("hello", lang="en")))
    store.add_graphs({"https://ex.org/g": g})
    query = ("SELECT ?s ?lang ?l WHERE { ?s ?p ?o OPTIONAL { ?s <https://ex.org/label> ?l FILTER(lang(?l) = ?lang) } } "
             "GROUP BY ?s ?lang ?l ORDER BY ?lang")
    text = with_bindings(query, {"lang": Literal("fr")})
    assert rows(store.query(text)) == {(s, Literal("fr"), Literal("bonjour", lang="fr"))}
    assert '"fr"' in text and "?lang" in text


def test_iris_strings_and_comments_are_left_as_written():
    text = with_bindings('PREFIX x: <https://ex.org/?v> SELECT ?v WHERE { ?s ?p "?v" # ?v\n }', {"v": URIRef("https://a")})
    assert "<https://ex.org/?v>" in text and '"?v"' in text and "# ?v" in text
    assert "(<https://a> AS ?v)" in text
    ox.Store().query(text)  # still SPARQL


def test_blank_nodes_cannot_be_pre_bound_remotely():
    with pytest.raises(StoreError):
        with_bindings("SELECT ?b WHERE { ?b ?p ?o }", {"b": BNode()})


def test_query_form_reads_past_prologue_strings_and_comments():
    assert query_form("PREFIX a: <https://ex.org/SELECT> # ASK\nCONSTRUCT { ?s ?p 'SELECT' } WHERE { ?s ?p ?o }") == "graph"
    assert query_form("ask { ?s ?p ?o }") == "ask"
    assert query_form("DESCRIBE <https://ex.org/x>") == "graph"
    with pytest.raises(QuerySyntaxError):
        query_form("INSERT DATA { <a:b> <a:c> <a:d> }")


def test_batches_keep_each_blank_node_with_every_triple_it_is_in():
    g = Graph()
    p = URIRef("https://ex.org/p")
    for n in range(50):
        record, budget, amount = URIRef(f"https://ex.org/r{n}"), BNode(), BNode()
        g.add((record, p, budget))
        g.add((budget, p, amount))
        g.add((amount, p, Literal(n)))
        g.add((record, p, Literal(f"plain {n}")))
    sent = list(batches(g, 7))
    assert sum(len(b) for b in sent) == len(g) and len(sent) > 10
    where = {}
    for number, batch in enumerate(sent):
        for triple in batch:
            for term in (triple[0], triple[2]):
                if isinstance(term, BNode):
                    assert where.setdefault(term, number) == number


def test_settings_choose_the_backend(tmp_path):
    embedded = open_store(load_settings(overrides={"store_dir": tmp_path / "store"}, environ={}))
    assert isinstance(embedded, OxigraphStore)
    embedded.close()
    remote = open_store(load_settings(overrides={"store_url": "http://127.0.0.1:9/query", "store_kind": "virtuoso",
                                                 "store_user": "dba", "store_password": "x"}, environ={}))
    assert isinstance(remote, RemoteStore) and remote.profile.union == "explicit" and remote.update_url == remote.query_url
    with pytest.raises(StoreError):  # nothing listens on port 9: a clear error, not a hang
        remote.graph_names()
    with pytest.raises(StoreError):
        open_store(load_settings(overrides={"store_url": "http://127.0.0.1:9/q", "store_kind": "nosuch"}, environ={}))
    assert set(PROFILES) == {"oxigraph", "virtuoso", "fuseki", "graphdb", "qlever", "generic"}


def test_updates_are_rewritten_for_stores_that_need_it():
    """Virtuoso: blank nodes go through INSERT … WHERE {} and whole decimals keep a point; the same triples."""
    text = 'INSERT DATA { GRAPH <a:g> { _:b <a:p> "}{" ; <a:q> "450000"^^<http://www.w3.org/2001/XMLSchema#decimal> } } ;\nDROP SILENT GRAPH <a:h>'
    rewritten = keep_whole_decimals(insert_data_as_template(text))
    assert rewritten.startswith("INSERT { GRAPH <a:g>") and "} } WHERE {} ;" in rewritten and '"}{"' in rewritten
    assert '"450000.0"^^<http://www.w3.org/2001/XMLSchema#decimal>' in rewritten
    before, after = OxigraphStore(None), OxigraphStore(None)
    before.update(text)
    after.update(rewritten)
    assert [(t[1], t[2].toPython() if isinstance(t[2], Literal) else t[2]) for t in sorted(before.read_graph("a:g"), key=str)] == \
        [(t[1], t[2].toPython() if isinstance(t[2], Literal) else t[2]) for t in sorted(after.read_graph("a:g"), key=str)]
