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

from graph.changekeys import Change

Triple = tuple[Node, Node, Node]
Row = tuple[Node | None, ...]


@dataclass
class Touched:
    """What a write did to one graph: the subjects it changed, and the links (subject, object) of every quad it
    removed or added — what :mod:`graph.touched` reads to find the records to judge."""

    subjects: set = field(default_factory=set)
    links: set = field(default_factory=set)


class StoreError(Exception):
    """The store could not do what was asked; the message says why."""


class StoreLockedError(StoreError):
    """Another process holds the store open for writing (for example a running server)."""


class QuerySyntaxError(StoreError):
    """The SPARQL text does not parse; the message carries the engine's position and reason."""


class QueryEvaluationError(StoreError):
    """The query parses but the engine refuses to evaluate it (a function it does not know, a graph that does not
    exist…): the client's query to change, not a failure of the server."""


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

    #: Whether writes can cost the size of their change here (a journal, the engine's own update evaluation:
    #: :class:`graph.store.oxigraph.OxigraphStore`); else a write is tried on a scratch copy (:mod:`graph.writes`).
    incremental = False

    #: Syntaxes (rdflib parser names) the engine can parse itself in :meth:`load_files`.
    bulk_formats: frozenset[str] = frozenset()

    #: Graphs the public does not read — pending submissions, moderation, sessions… (set by
    #: :func:`graph.store.open_store` from the settings; a bare store opened in code has none). The embedded store
    #: notes their writes as the graph alone (:mod:`graph.changekeys`); summaries leave them out (:mod:`graph.summaries`).
    apart: Callable[[str], bool] = staticmethod(lambda _graph: False)
    #: The named graph of the derived summaries that every write refreshes (:mod:`graph.summaries`; set by
    #: :func:`graph.store.open_store`); None: no summary is kept.
    summary_graph: str | None = None

    def load_files(self, files: Sequence[tuple[Path, str]], graph_iri: str, *, base_iri: str, replace: bool = False,
                   check: Callable[[str], None] | None = None, progress: Callable[[str], None] | None = None) -> int:
        """Bulk load parsed by the engine, all files or nothing (engines that can); ``check(graph)`` judges what was
        loaded before it counts (a validated load: :mod:`graph.bulkload`), ``progress`` hears of each file."""
        raise StoreError("this store cannot bulk-load files; load them with validation")

    @abc.abstractmethod
    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query.

        ``bindings`` pre-binds variables (never build queries by string formatting), with the
        semantics of SPARQL-dev SEP-0007: the variable is replaced everywhere, and in a SELECT
        query it must be projected (so it appears, bound, in every row).
        ``default_graphs`` / ``named_graphs``, each when given (an empty list too), are exactly the graphs
        merged into the default graph / the named graphs; ``None`` is every graph: the default graph is then
        the union of all named graphs — unless neither is given and the query has its own ``FROM`` /
        ``FROM NAMED``, which then define both (SPARQL 1.1 Query §13.2). The protocol's rule for one
        parameter without the other is the caller's (:mod:`graph.querytext`, :class:`graph.store.view.PublicView`).
        ``base_iri``: what a relative IRI resolves against when the query has no ``BASE`` (the endpoint
        resolves against the request's IRI).
        """

    @abc.abstractmethod
    def update(self, sparql: str, *, changes: Iterable[str] | Mapping[str, Iterable[str] | None] | None = None) -> None:
        """Run a SPARQL 1.1 Update, atomically. ``changes``: what it can change, as :mod:`graph.changekeys` keys,
        when the caller knows (a fixed template), or keys with the IRIs of the subjects they may change (answers
        about other subjects are then kept across it); None: anything."""

    def take_changes(self) -> Change | None:
        """What the writes since the last call changed (:mod:`graph.changekeys`), and start again; None: unknown
        (a store that does not keep account, like an external one: its readers recompute after every write)."""
        return None

    @abc.abstractmethod
    def add_graphs(self, graphs: Mapping[str, Graph]) -> int:
        """Add the triples of each graph to the named graph of that IRI, all in one transaction.

        Returns the number of triples sent.
        """

    def add_triples(self, graph_iri: str, triples: Sequence[tuple[Node, Node, Node]]) -> int:
        """:meth:`add_graphs` of one graph given as triples (rdflib terms): for many triples made in code, which an
        rdflib Graph would index for nothing (the embedded store takes them as they are)."""
        graph = Graph()
        for triple in triples:
            graph.add(triple)
        return self.add_graphs({graph_iri: graph})

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

    def subject_groups(self, graph_iri: str) -> Iterator[tuple[Node, list[tuple[Node, Node]]]]:
        """The triples of one named graph subject by subject: each subject once, with its (predicate, object) pairs.
        This default holds the graph in memory; an engine whose index is ordered by subject streams it."""
        by_subject: dict[Node, list[tuple[Node, Node]]] = {}
        for s, p, o in self.triples(graph_iri):
            by_subject.setdefault(s, []).append((p, o))
        yield from by_subject.items()

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
