"""Checked loads at the engine's speed (graph/bulkload.py, graph/loading.py, the embedded store's bulk loader):

* batches of records are judged as the whole graph is: the same results as pySHACL on the whole graph, on every
  example of tests/shapes/ and on generated data with defects;
* ``tscgraph load`` of a conforming file writes it, its record log, change feed and report; of a file with defects
  writes nothing (exit 1); of a file that does not parse writes nothing (exit 2);
* the bulk loader's marker: a store opened after a load was cut drops the half-loaded graph (the kill itself, for
  real, is in tests/test_crash.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from bench.generate import write_dataset
from graph.bulkload import check_batchable, objects_targeted, record_batches
from graph.changes import canonical
from graph.settings import ROOT
from graph.store.oxigraph import BULK_LOADING, BULK_MARKERS, OxigraphStore
from graph.validation import ValidationReport, Validator
from tests.conftest import BASE

SHAPES_EXAMPLES = sorted((ROOT / "tests" / "shapes").glob("*.ttl"))
LOCAL = BASE + "graph/local"


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator.from_paths(ROOT / "shapes", ROOT / "ontology")


def _term(term) -> str:
    """Blank nodes alike (batches read them anew); literals by value (the store writes "0.00"^^xsd:decimal as "0")."""
    if isinstance(term, BNode):
        return "_:"
    return canonical(term) if isinstance(term, Literal) else str(term)


def results(report: ValidationReport) -> Counter:
    """A report's results as comparable keys (blank nodes alike: batches read them anew), nested details included."""
    return Counter((r.severity_name, _term(r.focus_node), _term(r.path), _term(r.value), _term(r.source_shape),
                    str(r.constraint), tuple(sorted(r.messages.items()))) for r in report.all_results())


def batched(graph: Graph, validator: Validator, tmp_path: Path, size: int) -> Counter:
    """The results of validating ``graph`` batch by batch, as a bulk load does (read back from an on-disk store)."""
    store = OxigraphStore(tmp_path / f"store-{size}")
    try:
        store.add_graphs({LOCAL: graph})
        dump = tmp_path / f"dump-{size}.nt"
        with open(dump, "wb") as out:
            store.ntriples(LOCAL, out)
    finally:
        store.close()

    def lines():
        with open(dump, encoding="utf-8") as handle:
            yield from handle

    found: Counter = Counter()
    batches = 0
    for text, _records in record_batches(lines, check_batchable(validator), size, objects_targeted(validator)):
        found += results(validator.validate(Graph().parse(data=text, format="nt")))
        batches += 1
    assert batches >= 1
    return found


def test_our_shapes_can_be_judged_in_batches(validator):
    targeted = check_batchable(validator)
    assert str(URIRef("https://w3id.org/tscgraph/ontology#Project")) in targeted
    assert objects_targeted(validator) == {"<https://w3id.org/tscgraph/ontology#budget>"}


@pytest.mark.parametrize("path", SHAPES_EXAMPLES, ids=lambda p: p.name)
def test_batches_give_the_whole_graphs_report_on_every_shape_example(path, validator, tmp_path):
    graph = Graph().parse(path, format="turtle", publicID=BASE)
    whole = results(validator.validate(graph))
    assert batched(graph, validator, tmp_path, size=1) == whole  # one subject per batch: the hardest cut


def test_batches_give_the_whole_graphs_report_on_generated_data_with_defects(validator, tmp_path):
    data = tmp_path / "defects.nt"
    summary = write_dataset(data, 5_000, seed=11, defects=True)
    graph = Graph().parse(data, format="nt")
    whole = results(validator.validate(graph))
    assert sum(1 for key in whole if key[0] == "Violation") >= len(summary.defects)
    assert batched(graph, validator, tmp_path, size=300) == whole


def test_a_record_refers_to_a_place_typed_in_the_data_itself(validator, tmp_path):
    """sh:class reads the types of a record's values: a place defined in the loaded data (not in the vocabulary)
    travels with every batch that refers to it."""
    place = URIRef(BASE + "id/place/new-island")
    graph = Graph().parse(ROOT / "tests" / "data" / "cli" / "project-conforming.ttl", publicID=BASE)
    project = next(graph.subjects(RDF.type, URIRef("https://w3id.org/tscgraph/ontology#Project")))
    graph.add((project, URIRef("http://purl.org/dc/terms/spatial"), place))
    whole_without = results(validator.validate(graph))
    graph.add((place, RDF.type, URIRef("https://w3id.org/tscgraph/ontology#Place")))
    graph.add((place, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("New island", lang="en")))
    whole = results(validator.validate(graph))
    assert whole != whole_without  # the place's type matters
    assert batched(graph, validator, tmp_path, size=1) == whole


def cut_load(store_dir: Path, graph_iri: str, triples: list[ox.Quad]) -> None:
    """What a bulk load killed midway leaves: its marker, and part of the graph."""
    raw = ox.Store(str(store_dir))
    raw.add(ox.Quad(ox.NamedNode(graph_iri), ox.NamedNode(BULK_LOADING), ox.Literal("cut"), ox.NamedNode(BULK_MARKERS)))
    raw.extend(triples)
    raw.flush()
    del raw


def test_a_store_opened_after_a_cut_bulk_load_drops_the_half_loaded_graph(tmp_path, capsys):
    store_dir = tmp_path / "store"
    with OxigraphStore(store_dir) as store:
        store.add_graphs({BASE + "graph/other": Graph().parse(data=f'<{BASE}a> <{BASE}p> "1" .', format="nt")})
    half = [ox.Quad(ox.NamedNode(f"{BASE}id/x{n}"), ox.NamedNode(f"{BASE}p"), ox.Literal(str(n)), ox.NamedNode(LOCAL))
            for n in range(100)]
    cut_load(store_dir, LOCAL, half)
    with OxigraphStore(store_dir) as store:
        assert store.count(LOCAL) == 0
        assert store.count(BULK_MARKERS) == 0
        assert store.count(BASE + "graph/other") == 1  # nothing else touched
    assert "was cut" in capsys.readouterr().err


def test_a_finished_bulk_load_leaves_no_marker_and_a_refused_one_leaves_nothing(tmp_path):
    data = tmp_path / "data.nt"
    write_dataset(data, 2_000, seed=3)
    with OxigraphStore(tmp_path / "store") as store:
        written = store.load_files([(data, "nt")], LOCAL, base_iri=BASE)
        assert written == store.count(LOCAL) > 1_500 and store.count(BULK_MARKERS) == 0

        def refuse(_graph: str) -> None:
            raise RuntimeError("refused")

        with pytest.raises(RuntimeError):
            store.load_files([(data, "nt")], BASE + "graph/second", base_iri=BASE, check=refuse)
        assert store.count(BASE + "graph/second") == 0 and store.count(BULK_MARKERS) == 0
        bad = tmp_path / "bad.nt"
        bad.write_text(data.read_text(encoding="utf-8")[:5000] + "\n<not closed\n", encoding="utf-8")
        with pytest.raises(Exception, match="not valid"):
            store.load_files([(bad, "nt")], BASE + "graph/third", base_iri=BASE)
        assert store.count(BASE + "graph/third") == 0 and store.count(BULK_MARKERS) == 0
        # a graph that holds data goes through a staging graph: adding keeps, replacing replaces
        before = store.count(LOCAL)
        more = tmp_path / "more.nt"
        write_dataset(more, 1_000, seed=4, base_iri=BASE + "more/")
        added = store.load_files([(more, "nt")], LOCAL, base_iri=BASE)
        assert store.count(LOCAL) == before + added
        store.load_files([(more, "nt")], LOCAL, base_iri=BASE, replace=True)
        assert store.count(LOCAL) == added
        assert not [g for g in store.graph_names() if "staging" in str(g)]


def test_checked_load_of_a_conforming_file(run_cli, tmp_path):
    data = tmp_path / "ok.nt"
    write_dataset(data, 3_000, seed=5)
    proc = run_cli("load", data)
    assert proc.returncode == 0, proc.stderr
    assert "validating in batches" in proc.stderr
    with OxigraphStore(run_cli.store_dir) as store:
        held = store.count(LOCAL)
        assert held > 2_500 and store.count(BULK_MARKERS) == 0
        records = {r["s"] for r in store.select("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?c } "
                                                 "FILTER(STRSTARTS(STR(?c), 'https://w3id.org/tscgraph/ontology#')) }",
                                                 default_graphs=[LOCAL])}
        logged = store.select("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?g { ?r <http://purl.org/dc/terms/dateAccepted> ?d } }")
        assert int(logged[0]["n"]) == len(records)
        created = store.select("PREFIX as: <https://www.w3.org/ns/activitystreams#> SELECT (COUNT(*) AS ?n) WHERE "
                               f"{{ GRAPH ?g {{ ?a a as:Create ; as:target <{LOCAL}> }} }}")
        assert int(created[0]["n"]) == len(records)
        verdicts = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?r <https://w3id.org/tscgraph/ontology#conformance> ?c }")
        assert int(verdicts[0]["n"]) == len(records)


def test_checked_load_with_defects_writes_nothing(run_cli, tmp_path):
    data = tmp_path / "defects.nt"
    summary = write_dataset(data, 3_000, seed=6, defects=True)
    proc = run_cli("load", data)
    assert proc.returncode == 1, proc.stderr
    assert "nothing was written" in proc.stderr
    for focus, _kind in summary.defects:
        assert focus in proc.stdout + proc.stderr
    with OxigraphStore(run_cli.store_dir) as store:
        assert store.count(LOCAL) == 0 and store.count(BULK_MARKERS) == 0
