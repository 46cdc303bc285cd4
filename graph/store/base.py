"""The store interface: everything above it (CLI, server, forms, loaders) speaks only this.

An embedded engine (:mod:`graph.store.oxigraph`) implements it today; a remote SPARQL 1.1 store
(Query, Update and Graph Store HTTP Protocol) will implement it next. Terms crossing the boundary
are rdflib terms, so no caller ever sees an engine's own types.

Named graphs: reads see the union of all named graphs unless a query names its default graph.
Writes are atomic: a write either lands whole or leaves the store as it was.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Literal, Mapping, Sequence

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

Triple = tuple[Node, Node, Node]
Row = tuple[Node | None, ...]


class StoreError(Exception):
    """The store could not do what was asked; the message says why."""


class StoreLockedError(StoreError):
    """Another process holds the store open for writing (for example a running server)."""


class QuerySyntaxError(StoreError):
    """The SPARQL text does not parse; the message carries the engine's position and reason."""


@dataclass
class QueryResult:
    """An engine-neutral query result.

    ``kind`` is ``"select"`` (``variables`` and ``rows``), ``"ask"`` (``boolean``) or ``"graph"``
    (``triples``, for CONSTRUCT and DESCRIBE). Rows and triples are iterators: consume them once.
    """

    kind: Literal["select", "ask", "graph"]
    variables: list[str] = field(default_factory=list)
    rows: Iterator[Row] = field(default_factory=lambda: iter(()))
    boolean: bool | None = None
    triples: Iterator[Triple] = field(default_factory=lambda: iter(()))

    def bindings(self) -> list[dict[str, Node]]:
        """Rows as dictionaries (variable → term), unbound variables left out."""
        return [{v: t for v, t in zip(self.variables, row) if t is not None} for row in self.rows]

    def graph(self) -> Graph:
        graph = Graph()
        for triple in self.triples:
            graph.add(triple)
        return graph


class Store(abc.ABC):
    """What tscgraph needs from a quad store."""

    #: Syntaxes (rdflib parser names) the engine can parse itself in :meth:`load_files`.
    bulk_formats: frozenset[str] = frozenset()

    def load_files(self, files: Sequence[tuple[Path, str]], graph_iri: str, *, base_iri: str, replace: bool = False) -> int:
        """Unvalidated bulk load parsed by the engine, all files or nothing (engines that can)."""
        raise StoreError("this store cannot bulk-load files; load them with validation")

    @abc.abstractmethod
    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query.

        ``bindings`` pre-binds variables (never build queries by string formatting), with the
        semantics of SPARQL-dev SEP-0007: the variable is replaced everywhere, and in a SELECT
        query it must be projected (so it appears, bound, in every row).
        ``default_graphs`` / ``named_graphs`` follow the protocol's ``default-graph-uri`` and
        ``named-graph-uri``; without them the default graph is the union of all named graphs.
        """

    @abc.abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update, atomically."""

    @abc.abstractmethod
    def add_graphs(self, graphs: Mapping[str, Graph]) -> int:
        """Add the triples of each graph to the named graph of that IRI, all in one transaction.

        Returns the number of triples sent.
        """

    @abc.abstractmethod
    def replace_graphs(self, graphs: Mapping[str, Graph]) -> int:
        """Replace each named graph by the given content, all in one transaction: readers see
        either the old graphs or the new ones, never a mix."""

    @abc.abstractmethod
    def drop_graph(self, graph_iri: str) -> None:
        """Remove a named graph and its triples (no error if it does not exist)."""

    @abc.abstractmethod
    def graph_names(self) -> list[URIRef]:
        """The named graphs that hold at least one triple, sorted."""

    @abc.abstractmethod
    def count(self, graph_iri: str | None = None) -> int:
        """Number of triples of one named graph, or quads of the whole store."""

    @abc.abstractmethod
    def export(self, out: BinaryIO, fmt: Literal["nquads", "trig", "turtle"] = "nquads",
               graphs: Iterable[str] | None = None) -> None:
        """Write the quads of ``graphs`` (default: every graph) to ``out``, streaming; ``turtle`` writes
        their union as triples."""

    @abc.abstractmethod
    def read_graph(self, graph_iri: str) -> Graph:
        """The triples of one named graph, as an in-memory rdflib graph."""

    def triples(self, graph_iri: str) -> Iterator[Triple]:
        """The triples of one named graph as a stream (no in-memory graph: engines that can stream do)."""
        yield from self.read_graph(graph_iri)

    @abc.abstractmethod
    def scratch_copy(self, keep: Callable[[str], bool] | None = None) -> "Store":
        """An in-memory copy of every quad — or of the named graphs whose IRI ``keep`` accepts — to try a
        write on before doing it for real."""

    @abc.abstractmethod
    def fingerprints(self) -> dict[str, tuple[int, int]]:
        """Graph IRI ("" for the default graph) → (triple count, order-independent digest), for
        the graphs that hold triples: equal fingerprints mean unchanged content."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store (files, locks, connections)."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, sparql: str, **kwargs) -> list[dict[str, Node]]:
        """Convenience: the bindings of a SELECT query."""
        result = self.query(sparql, **kwargs)
        if result.kind != "select":
            raise StoreError("select() needs a SELECT query")
        return result.bindings()


def triples_count(graphs: Iterable[Graph]) -> int:
    return sum(len(g) for g in graphs)
