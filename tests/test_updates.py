"""A SPARQL Update as the change it makes (graph.store.updates), on a real engine: the request cut into its
operations, each turned into the exact quads it removes and adds. The same updates run through the server in
tests/test_update_semantics.py and the W3C update suites in tests/w3c/."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.store.oxigraph import OxigraphStore
from graph.store.updates import NotWritable, UpdateError, evaluate, split
from tests.conftest import BASE

LOCAL, OTHER, PRIVATE = BASE + "graph/local", BASE + "graph/other", BASE + "graph/private"
EX = "http://example.org/ns#"
P = f"PREFIX ex: <{EX}>\n"


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


@pytest.fixture
def store():
    with OxigraphStore() as s:
        g, o, x = ox.NamedNode(LOCAL), ox.NamedNode(OTHER), ox.NamedNode(PRIVATE)
        budget = ox.BlankNode("budget")
        s._store.extend([
            ox.Quad(n("a"), n("name"), ox.Literal("A"), g),
            ox.Quad(n("a"), n("budget"), budget, g),
            ox.Quad(budget, n("value"), ox.Literal("10", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")), g),
            ox.Quad(n("b"), n("name"), ox.Literal("B"), o),
            ox.Quad(n("secret"), n("mbox"), ox.Literal("x@example.org"), x),
        ])
        yield s


def change_of(store, text: str, *, visible=lambda g: g != PRIVATE):
    """The changes of every operation of ``text``, each applied before the next is evaluated (as the writer does)."""
    ctx = store.update_context(default_graph=LOCAL, visible=visible, base_iri=BASE)
    changes = []
    for op in split(text):
        change = evaluate(op, ctx)
        for q in change.deletes:
            store._store.remove(q)
        store._store.extend(change.inserts)
        changes.append(change)
    return changes


def test_split_reads_strings_iris_and_comments_whole():
    ops = split(P + 'INSERT DATA { ex:a ex:says "a ; b } { c" } ; # a comment ; { \n'
                "PREFIX ex2: <http://example.org/two#>\n"
                "DELETE { ?s ex2:p ?o } WHERE { ?s ex2:p ?o FILTER(?o != '''x ; }''') } ;\n"
                "CLEAR SILENT GRAPH <http://example.org/g> ; DROP NAMED ; COPY DEFAULT TO <http://example.org/g>")
    assert [op.kind for op in ops] == ["insert-data", "modify", "clear", "drop", "copy"]
    assert '"a ; b } { c"' in ops[0].data
    assert "ex2:" in ops[1].prologue and "ex:" in ops[1].prologue  # prefixes accumulate across operations
    assert ops[2].silent and ops[2].target.iri == "<http://example.org/g>"
    assert ops[3].target.kind == "named" and ops[4].source.kind == "default"


def test_without_graph_an_update_works_on_the_local_graph(store):
    [change] = change_of(store, P + 'INSERT { ?s ex:seen true } WHERE { ?s ex:name "A" }')
    assert [q.graph_name.value for q in change.inserts] == [LOCAL]
    [change] = change_of(store, P + 'INSERT { ?s ex:seen true } WHERE { ?s ex:name "B" }')
    assert change.inserts == []  # ex:b is in another graph: not in the update's default graph


def test_a_stored_blank_node_is_matched_and_deleted_as_itself(store):
    """A budget (a blank node) found by WHERE is deleted exactly; DELETE DATA could not name it."""
    [change] = change_of(store, P + "DELETE { ?b ?p ?o } WHERE { ex:a ex:budget ?b . ?b ?p ?o }")
    assert [(q.subject, q.predicate) for q in change.deletes] == [(ox.BlankNode("budget"), n("value"))]
    assert not list(store._store.quads_for_pattern(ox.BlankNode("budget"), None, None, None))


def test_a_client_iri_is_never_taken_for_a_stored_blank_node(store):
    change_of(store, P + "INSERT DATA { <urn:tscgraph:bnode:budget> ex:p 1 }")
    assert not list(store._store.quads_for_pattern(ox.BlankNode("budget"), n("p"), None, None)), "the budget was touched"
    assert list(store._store.quads_for_pattern(ox.NamedNode("urn:tscgraph:bnode:budget"), None, None, None))


def test_a_template_blank_node_is_fresh_per_solution_and_shared_across_its_graphs(store):
    [change] = change_of(store, P + f"INSERT {{ ?s ex:tag _:t . GRAPH <{OTHER}> {{ ?s ex:tag _:t }} }} "
                                    "WHERE { VALUES ?s { ex:x ex:y } }")
    tags = {(q.subject.value, q.graph_name.value): q.object for q in change.inserts}
    assert tags[(EX + "x", LOCAL)] == tags[(EX + "x", OTHER)] != tags[(EX + "y", LOCAL)]


def test_unbound_variables_skip_their_triple(store):
    [change] = change_of(store, P + "INSERT { ?s ex:nick ?nick . ?s ex:checked true } WHERE { ?s ex:name ?n "
                                    "OPTIONAL { ?s ex:nickname ?nick } }")
    assert [(q.subject, q.predicate) for q in change.inserts] == [(n("a"), n("checked"))]


def test_operations_see_the_ones_before(store):
    changes = change_of(store, P + "INSERT DATA { ex:c ex:name 'C' } ; DELETE WHERE { ex:c ex:name ?n }")
    assert len(changes[1].deletes) == 1


def test_terms_are_the_engine_s_own(store):
    [change] = change_of(store, P + 'INSERT DATA { ex:d ex:on "2006-08-23Z"^^<http://www.w3.org/2001/XMLSchema#date> }')
    assert change.inserts[0].object.value == "2006-08-23Z"


def test_named_all_and_default(store):
    [named] = change_of(store, "CLEAR NAMED")
    assert {q.graph_name.value for q in named.deletes} == {OTHER}  # neither the local graph nor the private one
    [default] = change_of(store, "DROP DEFAULT")
    assert {q.graph_name.value for q in default.deletes} == {LOCAL}
    assert list(store._store.quads_for_pattern(None, None, None, ox.NamedNode(PRIVATE)))


def test_a_private_graph_is_empty_to_read_and_refused_to_write(store):
    [change] = change_of(store, P + f"INSERT {{ ?s ex:copied ?m }} USING <{PRIVATE}> WHERE {{ ?s ex:mbox ?m }}")
    assert change.inserts == []
    [change] = change_of(store, P + "INSERT { GRAPH <urn:x> { ?s ex:mbox ?m } } WHERE { GRAPH ?g { ?s ex:mbox ?m } }")
    assert change.inserts == []
    for text in (f"DROP GRAPH <{PRIVATE}>", f"MOVE DEFAULT TO <{PRIVATE}>", f"WITH <{PRIVATE}> INSERT {{ ex:x ex:p 1 }} WHERE {{}}",
                 f"INSERT DATA {{ GRAPH <{PRIVATE}> {{ ex:x ex:p 1 }} }}"):
        with pytest.raises(NotWritable) as refused:
            change_of(store, P + text)
        assert refused.value.graph == PRIVATE


@pytest.mark.parametrize("text, message", [
    ("LOAD <http://example.org/data.ttl>", "LOAD is not allowed"),
    (f"DROP GRAPH <{BASE}graph/none>", "add SILENT"),
    (f"CREATE GRAPH <{LOCAL}>", "exists already"),
    ("INSERT DATA { unknown:x <http://e/p> 1 }", "cannot be read"),
])
def test_what_cannot_be_done_says_why(store, text, message):
    with pytest.raises(UpdateError, match=message):
        change_of(store, text)
