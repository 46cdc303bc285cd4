"""Which records a change touches, and what validating just them needs: the core of writes that cost the size
of their change rather than of the graph.

Under our shapes records are independent (docs/data-model.md): a record's verdict depends on its own
description — its triples, its blank nodes' (a budget), two levels deep — and on the types of the things
it links to (``sh:class``), in the same graph, with the vocabularies' types and class hierarchy the validator
adds itself. So a change to a graph is judged by validating:

* the **records it touched**: the subjects of the quads it removed or added, a blank node standing for the
  record above it;
* the **records that depend on them**: those that link to a touched subject, whose ``sh:class`` may no longer
  (or now) hold — a project pointing to an actor whose type was removed;

each with its description and the types of what it links to (:func:`validation_data`). That is what the
whole graph's validation says of those records, at the cost of the change.
"""

from __future__ import annotations

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from graph.querytext import values_clause
from graph.store import Store
from graph.store.base import Touched

#: How far up a chain of blank nodes a record is looked for (our shapes go two levels deep).
MAX_DEPTH = 4


def owners(store: Store, graph_iri: str, nodes: set[Node], links: set[tuple[Node, Node]]) -> set[URIRef]:
    """The records (IRIs) ``nodes`` belong to: an IRI is its own; a blank node the IRI above it — found through
    the change's own links first (a budget removed with its project), else in the graph."""
    found = {n for n in nodes if isinstance(n, URIRef)}
    parents_in_change: dict[Node, set[Node]] = {}
    for subject, obj in links:
        if isinstance(obj, BNode):
            parents_in_change.setdefault(obj, set()).add(subject)
    todo, seen = [(n, 0) for n in nodes if isinstance(n, BNode)], set()
    while todo:
        node, depth = todo.pop()
        if node in seen or depth > MAX_DEPTH:
            continue
        seen.add(node)
        parents = set(parents_in_change.get(node, ()))
        for row in store.select("SELECT ?parent ?b ?g WHERE { GRAPH ?g { ?parent ?p ?b } }",
                                bindings={"b": node, "g": URIRef(graph_iri)}):
            parents.add(row["parent"])
        for parent in parents:
            if isinstance(parent, URIRef):
                found.add(parent)
            else:
                todo.append((parent, depth + 1))
    return found


def dependents(store: Store, graph_iri: str, nodes: set[Node]) -> set[URIRef]:
    """The records of the graph that link to one of ``nodes`` (IRIs), with a record above a blank node."""
    iris = sorted((n for n in nodes if isinstance(n, URIRef)), key=str)
    if not iris:
        return set()
    rows = store.select(f"SELECT DISTINCT ?r WHERE {{ {values_clause('o', iris)} GRAPH <{graph_iri}> {{ ?r ?p ?o }} }}")
    linking = {row["r"] for row in rows}
    return owners(store, graph_iri, linking, set())


def records_to_validate(store: Store, graph_iri: str, touched: Touched) -> set[URIRef]:
    """The records a change to ``graph_iri`` must be judged on (see the module docstring)."""
    return with_dependents(store, graph_iri, owners(store, graph_iri, touched.subjects, touched.links), touched)


def with_dependents(store: Store, graph_iri: str, records: set[URIRef], touched: Touched) -> set[URIRef]:
    """``records`` (the :func:`owners` of what ``touched`` names) and the records that depend on them."""
    return records | dependents(store, graph_iri, records | {n for n in touched.subjects if isinstance(n, URIRef)})


#: A record's description (two levels of blank nodes, as graph.changes reads it) and the types of what it
#: and its blank nodes link to.
_DATA_QUERY = """
CONSTRUCT {{ ?r ?p ?o . ?o a ?c1 . ?o ?p2 ?o2 . ?o2 a ?c2 . ?o2 ?p3 ?o3 . ?o3 a ?c3 }} WHERE {{
  VALUES ?r {{ {records} }}
  GRAPH <{graph}> {{
    ?r ?p ?o
    OPTIONAL {{ ?o a ?c1 }}
    OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2
      OPTIONAL {{ ?o2 a ?c2 }}
      OPTIONAL {{ FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 OPTIONAL {{ ?o3 a ?c3 }} }} }}
  }}
}}
"""


def validation_data(store: Store, graph_iri: str, records: set[URIRef]) -> Graph:
    """What the validator needs to judge ``records`` as the whole graph's validation would (see above)."""
    if not records:
        return Graph()
    values = " ".join(r.n3() for r in sorted(records, key=str))
    return store.query(_DATA_QUERY.format(records=values, graph=graph_iri)).graph()
