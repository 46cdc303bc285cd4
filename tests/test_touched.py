"""Validating the records a write touched says what validating the whole graph says of them (graph.touched):
the ground the incremental write path stands on. Checked on generated data with planted defects, on a real
store: the whole graph validated at once, and again record batch by record batch as a write would."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import BNode, URIRef
from rdflib.namespace import DCTERMS

from bench.generate import write_dataset
from graph.namespaces import TSC
from graph.store.base import Touched
from graph.store.oxigraph import OxigraphStore
from graph.touched import owners, records_to_validate, validation_data
from tests.conftest import BASE

LOCAL = BASE + "graph/local"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """About 6k generated triples with defects the shapes catch, in the local graph of a store on disk."""
    work = tmp_path_factory.mktemp("touched")
    summary = write_dataset(work / "data.nt", 6_000, seed=7, defects=True, base_iri=BASE)
    assert summary.defects, "the generator planted no defect"
    store = OxigraphStore(work / "store")
    store.load_files([(work / "data.nt", "nt")], LOCAL, base_iri=BASE)
    # and a defect only the types of what a record links to show: a place that is an actor (sh:class)
    store.update(f"INSERT {{ GRAPH <{LOCAL}> {{ ?p <{DCTERMS.spatial}> ?a }} }} WHERE {{ {{ SELECT ?p ?a WHERE {{ "
                 f"GRAPH <{LOCAL}> {{ ?p <{TSC.leadOrganisation}> ?a }} }} LIMIT 1 }} }}")
    yield store
    store.close()


def verdicts(report) -> Counter:
    """Each result once, blank nodes (a budget) as ``_`` since each validation names them anew."""
    def name(term) -> str:
        return "_" if isinstance(term, BNode) else str(term)

    return Counter((name(r.focus_node), name(r.path), str(r.constraint), name(r.value), str(r.severity))
                   for r in report.results)


def test_record_by_record_validation_agrees_with_the_whole_graph(generated, validator):
    whole = validator.validate(generated.read_graph(LOCAL))
    assert not whole.conforms, "the planted defects should be found"
    assert any(str(r.constraint).endswith("ClassConstraintComponent") for r in whole.results)
    records = sorted({s for s in generated.read_graph(LOCAL).subjects() if isinstance(s, URIRef)}, key=str)
    found: Counter = Counter()
    for start in range(0, len(records), 150):  # a write's worth of records at a time
        batch = set(records[start:start + 150])
        found += verdicts(validator.validate(validation_data(generated, LOCAL, batch)).about(batch))
    assert found == verdicts(whole)


def test_a_record_that_links_to_a_changed_one_is_judged_too(generated):
    """A project pointing to an actor whose type is removed may no longer satisfy its ``sh:class``."""
    row = generated.select(f"SELECT ?p ?a WHERE {{ GRAPH <{LOCAL}> {{ ?p a <{TSC.Project}> ; <{TSC.leadOrganisation}> ?a . "
                           f"?a a <{TSC.Actor}> }} }} LIMIT 1")[0]
    touched = Touched(subjects={row["a"]}, links={(row["a"], TSC.Actor)})
    judged = records_to_validate(generated, LOCAL, touched)
    assert row["a"] in judged and row["p"] in judged


def test_a_blank_node_stands_for_the_record_above_it(generated):
    row = generated.select(f"SELECT ?p ?b WHERE {{ GRAPH <{LOCAL}> {{ ?p <{TSC.budget}> ?b }} }} LIMIT 1")[0]
    assert owners(generated, LOCAL, {row["b"]}, set()) == {row["p"]}
    removed_with_it = BNode()  # a budget removed with its project: found through the change's own links
    assert owners(generated, LOCAL, {removed_with_it}, {(row["p"], removed_with_it)}) == {row["p"]}
    assert owners(generated, LOCAL, {URIRef(BASE + "id/x")}, set()) == {URIRef(BASE + "id/x")}
