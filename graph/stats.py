"""What the store holds: triples per named graph and instances per class (``tscgraph stats``, home page)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal
from rdflib.term import Node

from graph.store import Store

GRAPHS_QUERY = "SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph ORDER BY ?graph"
CLASSES_QUERY = """
SELECT ?class (COUNT(DISTINCT ?instance) AS ?instances)
WHERE { ?instance a ?class }
GROUP BY ?class ORDER BY DESC(?instances) ?class
"""


@dataclass(frozen=True)
class StoreStats:
    graphs: list[tuple[Node, Node]]
    classes: list[tuple[Node, Node]]

    @property
    def total(self) -> int:
        return sum(int(n) for _g, n in self.graphs if isinstance(n, Literal))


def store_stats(store: Store) -> StoreStats:
    graphs = [(b["graph"], b["triples"]) for b in store.select(GRAPHS_QUERY)]
    classes = [(b["class"], b["instances"]) for b in store.select(CLASSES_QUERY)]
    return StoreStats(graphs=graphs, classes=classes)
