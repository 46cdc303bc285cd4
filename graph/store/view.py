"""What the public may read: a read-only view of a store that hides its private graphs.

Pending submissions (``{base}graph/submission/…``) and the moderation records (who submitted what,
their e-mail, the editors' decisions: ``{base}graph/moderation``) live in the same store as the
published data, so that approving a submission is one transaction and an editor's preview is the
published page plus one graph. Every public read — pages, SPARQL, the Graph Store Protocol, dumps —
goes through :class:`PublicView`, which runs queries over the public graphs only: their union as the
default graph, and only them as named graphs (so ``GRAPH ?g`` cannot reach a private one either).
When the store holds no private graph, queries use the plain union (the engine's fastest path).
"""

from __future__ import annotations

from typing import BinaryIO, Callable, Iterable, Mapping, Sequence

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

from graph.store.base import QueryResult, Store, StoreError


class PublicView:
    """The public graphs of ``store`` (those for which ``is_public(iri)`` holds), plus ``extra`` graphs
    (an editor's preview adds the submission under review)."""

    def __init__(self, store: Store, is_public: Callable[[str], bool], extra: Iterable[str] = ()):
        self.store = store
        self.is_public = is_public
        self.extra = frozenset(extra)

    def visible(self, graph_iri: str) -> bool:
        return graph_iri in self.extra or self.is_public(graph_iri)

    def graph_names(self) -> list[URIRef]:
        return [g for g in self.store.graph_names() if self.visible(str(g))]

    def dataset(self, default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None
                ) -> dict[str, list[str] | None]:
        """The query dataset for a read: the asked graphs that are visible, else every visible graph.

        Raises :class:`PrivateGraph` when every asked graph is hidden: running over an empty list would
        mean the engine's default, the union of everything.
        """
        names = [str(g) for g in self.store.graph_names()]
        visible = [g for g in names if self.visible(g)]
        out: dict[str, list[str] | None] = {"default_graphs": None, "named_graphs": None}
        for key, asked in (("default_graphs", default_graphs), ("named_graphs", named_graphs)):
            if asked:
                kept = [g for g in asked if self.visible(g)]
                if not kept:
                    raise PrivateGraph(f"there is no public graph <{asked[0]}>")
                out[key] = kept
            elif len(visible) != len(names):
                out[key] = visible or [PLACEHOLDER_GRAPH]
        return out

    def query(self, sparql: str, *, bindings: Mapping[str, Identifier] | None = None,
              default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None) -> QueryResult:
        return self.store.query(sparql, bindings=bindings, **self.dataset(default_graphs, named_graphs))

    def select(self, sparql: str, **kwargs) -> list[dict[str, Node]]:
        result = self.query(sparql, **kwargs)
        if result.kind != "select":
            raise StoreError("select() needs a SELECT query")
        return result.bindings()

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is not None:
            return self.store.count(graph_iri) if self.visible(graph_iri) else 0
        return sum(self.store.count(str(g)) for g in self.graph_names())

    def read_graph(self, graph_iri: str) -> Graph:
        if not self.visible(graph_iri):
            raise PrivateGraph(f"there is no public graph <{graph_iri}>")
        return self.store.read_graph(graph_iri)

    def export(self, out: BinaryIO, fmt="nquads", graphs: Iterable[str] | None = None) -> None:
        chosen = [g for g in (graphs if graphs is not None else map(str, self.graph_names())) if self.visible(g)]
        self.store.export(out, fmt, graphs=chosen)


class PrivateGraph(StoreError):
    """A read asked for a graph the public may not see (answered as if it did not exist)."""


#: A graph name that holds nothing, for a dataset with no visible graph at all.
PLACEHOLDER_GRAPH = "urn:tscgraph:no-public-graph"
