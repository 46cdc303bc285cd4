"""What the public may read: a read-only view of a store that hides its private graphs.

Pending submissions (``{base}graph/submission/…``) and the moderation records (who submitted what,
their e-mail, the editors' decisions: ``{base}graph/moderation``) live in the same store as the
published data, so that approving a submission is one transaction and an editor's preview is the
published page plus one graph. Every public read — pages, SPARQL, the Graph Store Protocol, dumps —
goes through :class:`PublicView`, which runs queries over the public graphs only: their union as the
default graph, and only them as named graphs (so ``GRAPH ?g`` cannot reach a private one either); a
dataset the request names (``FROM``, ``default-graph-uri``…) keeps its meaning, less the private graphs.
When the store holds no private graph, queries use the plain union (the engine's fastest path).
"""

from __future__ import annotations

from typing import BinaryIO, Callable, Iterable, Mapping, Sequence

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

from graph.querytext import QueryDataset, requested_dataset
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

    def dataset(self, asked: QueryDataset | None) -> dict[str, list[str] | None]:
        """The store's dataset options for a read over ``asked`` — the dataset the request names (the protocol's
        graphs, else the query's own ``FROM`` / ``FROM NAMED``: :func:`graph.querytext.requested_dataset`) —
        with the graphs the reader may not see taken out: the dataset is filtered, never replaced, so a
        ``FROM <g>`` still reads ``<g>`` alone and a ``FROM NAMED`` still leaves the default graph empty.
        Without one, the reader's dataset is every visible graph, as the default graph (their union) and as
        named graphs; ``None`` for both when every graph is visible (the engine's fastest path).

        Raises :class:`PrivateGraph` when graphs of one kind are named and every one of them is hidden (an
        answer over an empty graph would look like a graph without data). A dataset with no graph of a kind
        names :data:`PLACEHOLDER_GRAPH`, which holds nothing.
        """
        if asked is None:
            names = [str(g) for g in self.store.graph_names()]
            visible = [g for g in names if self.visible(g)]
            if len(visible) == len(names):
                return {"default_graphs": None, "named_graphs": None}
            return {"default_graphs": visible or [PLACEHOLDER_GRAPH], "named_graphs": visible or [PLACEHOLDER_GRAPH]}
        out: dict[str, list[str] | None] = {}
        for key, graphs in (("default_graphs", asked.default_graphs), ("named_graphs", asked.named_graphs)):
            kept = [g for g in graphs if self.visible(g)]
            if graphs and not kept:
                raise PrivateGraph(f"there is no public graph <{graphs[0]}>")
            out[key] = kept or [PLACEHOLDER_GRAPH]
        return out

    def query(self, sparql: str, *, bindings: Mapping[str, Identifier] | None = None,
              default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None,
              base_iri: str | None = None) -> QueryResult:
        asked = requested_dataset(sparql, default_graphs or (), named_graphs or (), base_iri)
        return self.store.query(sparql, bindings=bindings, base_iri=base_iri, **self.dataset(asked))

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
