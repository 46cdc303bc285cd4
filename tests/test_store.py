"""The store interface on the embedded engine: a real on-disk store in a temporary directory."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from graph.loading import LoadRefused, load_files, setup_store
from graph.store import QuerySyntaxError
from graph.store.oxigraph import OxigraphStore
from tests.backends import BACKENDS, backend_store


@pytest.fixture(params=BACKENDS)
def store(request, settings):
    """Every test of the store interface runs on each backend (tests/backends.py)."""
    yield from backend_store(request.param, request, settings)


G1 = "https://chm.example.org/graph/one"
G2 = "https://chm.example.org/graph/two"
EX = "https://chm.example.org/id/"


def graph_of(*triples) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


def t(n: int, value: str = "x"):
    return (URIRef(f"{EX}s{n}"), URIRef(f"{EX}p"), Literal(value))


def test_add_and_count_per_graph(store):
    assert store.add_graphs({G1: graph_of(t(1), t(2)), G2: graph_of(t(3))}) == 3
    assert store.count(G1) == 2
    assert store.count(G2) == 1
    assert store.count() == 3
    assert store.graph_names() == [URIRef(G1), URIRef(G2)]


def test_reads_see_the_union_of_named_graphs(store):
    store.add_graphs({G1: graph_of(t(1)), G2: graph_of(t(2))})
    rows = store.select("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")
    assert [r["s"] for r in rows] == [URIRef(EX + "s1"), URIRef(EX + "s2")]


def test_default_graph_uris_restrict_the_default_graph(store):
    store.add_graphs({G1: graph_of(t(1)), G2: graph_of(t(2))})
    rows = store.select("SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[G2])
    assert [r["s"] for r in rows] == [URIRef(EX + "s2")]


def test_named_graph_uris_restrict_graph_patterns(store):
    store.add_graphs({G1: graph_of(t(1)), G2: graph_of(t(2))})
    rows = store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[G1])
    assert [r["g"] for r in rows] == [URIRef(G1)]


def test_bindings_replace_the_variable(store):
    store.add_graphs({G1: graph_of(t(1, "a"), t(2, "b"))})
    rows = store.select("SELECT ?s ?o WHERE { ?s ?p ?o }", bindings={"s": URIRef(EX + "s2")})
    assert [(r["s"], r["o"]) for r in rows] == [(URIRef(EX + "s2"), Literal("b"))]


def test_terms_round_trip_through_the_engine(store):
    s = URIRef(EX + "s")
    values = [
        Literal("plain"),
        Literal("texte", lang="fr"),
        Literal("2024-05-01", datatype=XSD.date),
        Literal("12.50", datatype=XSD.decimal),
        URIRef("https://example.org/o"),
    ]
    store.add_graphs({G1: graph_of(*[(s, URIRef(EX + f"p{i}"), v) for i, v in enumerate(values)])})
    got = store.read_graph(G1)
    for i, v in enumerate(values):
        back = got.value(s, URIRef(EX + f"p{i}"))
        if isinstance(v, Literal):  # the engine may normalise lexical forms ("12.50" -> "12.5"): compare values
            assert isinstance(back, Literal)
            assert (back.toPython(), back.datatype, back.language) == (v.toPython(), v.datatype, v.language)
        else:
            assert back == v


def test_blank_nodes_keep_their_structure(store):
    b = BNode()
    g = graph_of((URIRef(EX + "p1"), URIRef(EX + "budget"), b), (b, URIRef(EX + "value"), Literal("5")))
    store.add_graphs({G1: g})
    assert isomorphic(store.read_graph(G1), g)


def test_replace_graphs_swaps_content_and_leaves_other_graphs(store):
    store.add_graphs({G1: graph_of(t(1), t(2)), G2: graph_of(t(3))})
    store.replace_graphs({G1: graph_of(t(9))})
    assert set(store.read_graph(G1)) == {t(9)}
    assert set(store.read_graph(G2)) == {t(3)}


def test_replace_with_an_empty_graph_empties_it(store):
    store.add_graphs({G1: graph_of(t(1))})
    store.replace_graphs({G1: Graph()})
    assert store.count(G1) == 0
    assert URIRef(G1) not in store.graph_names()


def test_replacing_twice_with_blank_nodes_does_not_duplicate(store):
    b = BNode()
    g = graph_of((URIRef(EX + "p1"), URIRef(EX + "budget"), b), (b, URIRef(EX + "value"), Literal("5")))
    store.replace_graphs({G1: g})
    store.replace_graphs({G1: g})
    assert store.count(G1) == 2


def test_drop_graph(store):
    store.add_graphs({G1: graph_of(t(1)), G2: graph_of(t(2))})
    store.drop_graph(G1)
    assert store.graph_names() == [URIRef(G2)]
    store.drop_graph(G1)  # no error the second time


def test_update_is_applied(store):
    store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}p> 'v' }} }}")
    assert store.count(G1) == 1


def test_failed_update_writes_nothing(store):
    store.add_graphs({G1: graph_of(t(1))})
    with pytest.raises(QuerySyntaxError):
        store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}p> 'v' }} }} ; THIS IS NOT SPARQL")
    assert store.count() == 1


def test_query_syntax_error_names_the_position(store):
    with pytest.raises(QuerySyntaxError) as err:
        store.query("SELECT ?s WHERE { ?s ?p }")
    assert "1" in str(err.value)  # line/column of the error


def test_ask_and_construct(store):
    store.add_graphs({G1: graph_of(t(1))})
    assert store.query("ASK { ?s ?p 'x' }").boolean is True
    assert store.query("ASK { ?s ?p 'y' }").boolean is False
    constructed = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").graph()
    assert set(constructed) == {t(1)}


def test_export_round_trips_every_quad(store):
    store.add_graphs({G1: graph_of(t(1), (URIRef(EX + "s"), URIRef(EX + "p"), Literal("é", lang="fr"))), G2: graph_of(t(2))})
    for fmt, parser in (("nquads", "nquads"), ("trig", "trig")):
        out = io.BytesIO()
        store.export(out, fmt)
        ds = Dataset()
        ds.parse(data=out.getvalue(), format=parser)
        assert len(ds.graph(URIRef(G1))) == 2
        assert len(ds.graph(URIRef(G2))) == 1


def test_data_persists_across_reopening(settings):
    with OxigraphStore(settings.store_dir) as store:
        store.add_graphs({G1: graph_of(t(1))})
    with OxigraphStore(settings.store_dir) as store:
        assert store.count(G1) == 1


def test_second_process_gets_a_clear_lock_error(settings):
    script = (
        "import sys\n"
        "from graph.store.oxigraph import OxigraphStore\n"
        "from graph.store import StoreLockedError\n"
        "try:\n"
        f"    OxigraphStore({str(settings.store_dir)!r})\n"
        "except StoreLockedError as e:\n"
        "    print('LOCKED', e); sys.exit(3)\n"
    )
    with OxigraphStore(settings.store_dir):
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "another process" in proc.stdout


# ---------------------------------------------------------------- atomic, validated loading


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_ACTOR = """
@prefix tsc: <https://w3id.org/tscgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<id/actor/a1> a tsc:Actor ;
    skos:prefLabel "Actor one"@en , "Acteur un"@fr ;
    tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/ngo> .
"""

BAD_PROJECT = """
@prefix tsc: <https://w3id.org/tscgraph/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<id/project/p1> a tsc:Project ;
    dcterms:title "A project"@en , "Un projet"@fr ;
    tsc:leadOrganisation <id/actor/a1> ;
    tsc:contributesToTarget <https://w3id.org/tscgraph/vocab/gbf/target/24> .
"""


def test_a_failing_file_leaves_the_store_unchanged(store, settings, validator, tmp_path):
    store.add_graphs({settings.local_graph: graph_of(t(1))})
    before = set(store.read_graph(settings.local_graph))
    good = write(tmp_path / "good.ttl", GOOD_ACTOR)
    bad = write(tmp_path / "bad.ttl", BAD_PROJECT)
    with pytest.raises(LoadRefused) as refused:
        load_files(store, [good, bad], settings.local_graph, base_iri=settings.base_iri, validator=validator)
    assert refused.value.exit_code == 1
    assert set(store.read_graph(settings.local_graph)) == before
    assert store.count() == 1


def test_an_unreadable_file_leaves_the_store_unchanged(store, settings, validator, tmp_path):
    good = write(tmp_path / "good.ttl", GOOD_ACTOR)
    broken = write(tmp_path / "broken.ttl", "<a> <b> .")
    with pytest.raises(LoadRefused) as refused:
        load_files(store, [good, broken], settings.local_graph, base_iri=settings.base_iri, validator=validator)
    assert refused.value.exit_code == 2
    assert store.count() == 0


def test_conforming_files_load_with_relative_iris_resolved(store, settings, validator, tmp_path):
    good = write(tmp_path / "good.ttl", GOOD_ACTOR)
    written, checks = load_files(store, [good], settings.local_graph, base_iri=settings.base_iri, validator=validator)
    assert written == 4 and all(c.ok for c in checks)
    assert store.query(f"ASK {{ <{settings.base_iri}id/actor/a1> ?p ?o }}").boolean


def test_setup_installs_vocabularies_and_bundled_data_once(store, settings, validator):
    counts = setup_store(store, settings, validator)
    assert counts["ontology"] > 1000 and counts["local"] > 100
    local = store.count(settings.local_graph)
    store.update(f"INSERT DATA {{ GRAPH <{settings.local_graph}> {{ <{EX}edit> <{EX}p> 'kept' }} }}")
    again = setup_store(store, settings, validator)
    assert "local" not in again  # curated data is left alone
    assert store.count(settings.local_graph) == local + 1
    setup_store(store, settings, validator, reload_data=True)
    assert store.count(settings.local_graph) == local


def test_unvalidated_bulk_load_is_all_or_nothing(store, settings, tmp_path):
    good = write(tmp_path / "good.nt", f"<{EX}a> <{EX}p> \"1\" .\n<{EX}b> <{EX}p> \"2\" .\n")
    broken = write(tmp_path / "broken.nt", f"<{EX}c> <{EX}p> .\n")
    with pytest.raises(LoadRefused) as refused:
        load_files(store, [good, broken], settings.local_graph, base_iri=settings.base_iri, validator=None)
    failed = [c for c in refused.value.checks if c.error]  # the engine's one error, or the failing file's check
    assert refused.value.exit_code == 2 and failed and "broken.nt" in f"{failed[0].path} {failed[0].error}"
    assert store.count() == 0
    written, _ = load_files(store, [good, good], settings.local_graph, base_iri=settings.base_iri, validator=None, replace=True)
    assert written == 2 and store.count(settings.local_graph) == 2
    written, _ = load_files(store, [good], settings.local_graph, base_iri=settings.base_iri, validator=None)
    assert store.count(settings.local_graph) == 2  # same triples: a set
    assert all(not str(g).startswith("urn:tscgraph:staging:") for g in store.graph_names())
