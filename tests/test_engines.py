"""Every canned query gives the same answer on the embedded engine as on rdflib's reference SPARQL
engine (not timed: the speed is measured in bench/). Terms are compared by value, not lexical form:
the engines may write the same number differently ("1.0" / "1.00")."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef

from graph.queries import load_catalogue
from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from graph.validation import read_turtle_dir
from tests.conftest import BASE, TEST_DATA, summarised

CATALOGUE = load_catalogue(ROOT / "queries")


def small_data() -> Graph:
    """The small scale: the generated 10k data set when the generator is there, else the bundled data."""
    try:
        from bench.generate import write_dataset
    except ImportError:
        write_dataset = None
    graph = Graph()
    if write_dataset is not None:
        path = Path(__file__).resolve().parent.parent / "var" / "test-engines-10k.nt"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            write_dataset(partial, 10_000, seed=7)
            partial.replace(path)
        graph.parse(path, format="nt")
    for data in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(data, format="turtle", publicID=BASE)
    graph.parse(TEST_DATA / "queries" / "fixture.ttl", format="turtle", publicID=BASE)
    return graph


@pytest.fixture(scope="module")
def engines():
    ontology, local = read_turtle_dir(ROOT / "ontology"), small_data()
    store = OxigraphStore(None)
    store.add_graphs({BASE + "graph/ontology": ontology, BASE + "graph/local": local})
    summarised(store)
    reference = Dataset(default_union=True)
    reference.graph(URIRef(BASE + "graph/ontology")).__iadd__(ontology)
    reference.graph(URIRef(BASE + "graph/local")).__iadd__(local)
    # The summary as our code computed it (tests/test_summaries.py checks it against the records).
    reference.graph(URIRef(store.summary_graph)).__iadd__(store.read_graph(store.summary_graph))
    yield store, reference
    store.close()


def by_value(term):
    if term is None or isinstance(term, BNode):
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return ("number", Decimal(str(value)).normalize())
        return ("literal", str(term), term.language, str(term.datatype) if term.datatype and not term.language else None)
    return ("iri", str(term))


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_embedded_engine_agrees_with_rdflib(name, engines):
    store, reference = engines
    query = CATALOGUE[name]
    bindings = query.bindings()
    ours = store.query(query.text, bindings=bindings)
    theirs = reference.query(query.text, initBindings=bindings)
    variables = [str(v) for v in theirs.vars]
    assert ours.variables == variables
    ours_rows = Counter(tuple(by_value(t) for t in row) for row in ours.rows)
    their_rows = Counter(tuple(by_value(row[v]) for v in variables) for row in theirs)
    assert ours_rows == their_rows
    assert sum(ours_rows.values()) > 0
