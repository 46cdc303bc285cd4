"""The embedded engine: a persistent pyoxigraph store in a data directory.

pyoxigraph answers SPARQL 17–70× faster than rdflib's engine here, with identical results, and
its writes (``extend``, ``update``) are transactions. An on-disk store admits one read-write
process: a second one fails on the LOCK file, which we report as :class:`StoreLockedError`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Literal, Mapping, Sequence

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import XSD
from rdflib.term import Identifier, Node

from graph.namespaces import PREFIXES
from graph.store.base import QueryResult, QuerySyntaxError, Store, StoreError, StoreLockedError

_XSD_STRING = str(XSD.string)
STAGING_PREFIX = "urn:tscgraph:staging:"
#: rdflib parser names (graph.rdfio.FORMATS) → the engine's own parsers, for unvalidated bulk loads.
ENGINE_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "n3": ox.RdfFormat.N3,
    "json-ld": ox.RdfFormat.JSON_LD,
}


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """rdflib term → pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise StoreError(f"cannot store term {term!r}")


def from_ox(term: object) -> Node | None:
    """pyoxigraph term → rdflib term (``xsd:string`` literals become plain literals, as rdflib parses them)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return RdfLiteral(term.value)
        return RdfLiteral(term.value, datatype=URIRef(datatype))
    raise StoreError(f"unsupported term in result: {term!r}")


def _quads(graph_iri: str, graph: Graph) -> Iterator[ox.Quad]:
    name = ox.NamedNode(graph_iri)
    for s, p, o in graph:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), name)


class OxigraphStore(Store):
    """A pyoxigraph store on disk (``path``) or in memory (``path=None``, for tests and benchmarks)."""

    bulk_formats = frozenset(ENGINE_FORMATS)

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = None if path is None else Path(path)
        self.read_only = read_only
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"the store at {self.path} is open in another process (a running server or load?): {exc}"
                ) from None
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from None
        if not read_only:
            self._drop_staging_leftovers()

    def _drop_staging_leftovers(self) -> None:
        """A load killed midway may leave a staging graph; it never held visible data."""
        for name in list(self._store.named_graphs()):
            if isinstance(name, ox.NamedNode) and name.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(name)

    def load_files(self, files, graph_iri: str, *, base_iri: str, replace: bool = False) -> int:
        """Parse triple files with the engine's own (fast) parsers into ``graph_iri``: all or nothing.

        For unvalidated bulk loads. One file added to a graph (or replacing an empty one) is one
        transaction. Otherwise the files go to a staging graph first, then one update moves them in
        (the CLI holds the store alone, so nobody reads the staging graph meanwhile); the move costs
        about as much again as the parse (~1.5 s per 100k triples).
        """
        target = ox.NamedNode(graph_iri)
        if len(files) == 1 and (not replace or self.count(graph_iri) == 0):
            path, fmt = files[0]
            before = self.count(graph_iri)
            self._engine_load(path, fmt, base_iri, target)
            return self.count(graph_iri) - before
        staging = ox.NamedNode(STAGING_PREFIX + uuid.uuid4().hex)
        try:
            for path, fmt in files:
                self._engine_load(path, fmt, base_iri, staging)
            drop = f"DROP SILENT GRAPH {target} ; " if replace else ""
            self._store.update(f"{drop}ADD SILENT GRAPH {staging} TO GRAPH {target}")
        finally:
            self._store.remove_graph(staging)
        return self.count(graph_iri)

    def _engine_load(self, path, fmt: str, base_iri: str, graph: ox.NamedNode) -> None:
        if fmt not in ENGINE_FORMATS:
            raise StoreError(f"{path}: the engine cannot bulk-load {fmt}; load it with validation")
        try:
            self._store.load(path=str(path), format=ENGINE_FORMATS[fmt], base_iri=base_iri, to_graph=graph)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"{path}: not valid {fmt}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{path}: cannot load: {exc}") from None

    @classmethod
    def open_read_only(cls, path: Path | str) -> "OxigraphStore":
        """Open a snapshot (never the live store of another process: that is undefined behaviour)."""
        return cls(path, read_only=True)

    def snapshot(self, target: Path | str) -> None:
        """A consistent copy of the store in ``target`` (a RocksDB checkpoint: hard links, fast)."""
        if self.path is None:
            raise StoreError("an in-memory store cannot be snapshotted")
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"snapshot to {target} failed: {exc}") from None

    def scratch_copy(self, keep: Callable[[str], bool] | None = None) -> "OxigraphStore":
        scratch = OxigraphStore(None)
        if keep is None:
            scratch._store.extend(self._store.quads_for_pattern(None, None, None, None))
        else:
            for name in self._store.named_graphs():
                if isinstance(name, ox.NamedNode) and keep(name.value):
                    scratch._store.extend(self._store.quads_for_pattern(None, None, None, name))
        return scratch

    def fingerprints(self) -> dict[str, tuple[int, int]]:
        prints: dict[str, tuple[int, int]] = {}
        for name in list(self._store.named_graphs()) + [ox.DefaultGraph()]:
            count, digest = 0, 0
            for quad in self._store.quads_for_pattern(None, None, None, name):
                count += 1
                digest ^= hash((str(quad.subject), str(quad.predicate), str(quad.object)))
            if count:
                prints["" if isinstance(name, ox.DefaultGraph) else name.value] = (count, digest)
        return prints

    # ------------------------------------------------------------------ reads

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        options: dict = {}
        if default_graphs:
            options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            options["use_default_graph_as_union"] = True
        if named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if bindings:
            options["substitutions"] = {ox.Variable(k): to_ox(v) for k, v in bindings.items()}
        try:
            result = self._store.query(sparql, **options)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(f"query failed: {exc}") from None
        if isinstance(result, ox.QueryBoolean):
            return QueryResult(kind="ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows = (tuple(from_ox(solution[i]) for i in range(len(variables))) for solution in result)
            return QueryResult(kind="select", variables=variables, rows=rows)
        triples = ((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in result)
        return QueryResult(kind="graph", triples=triples)  # type: ignore[arg-type]

    def graph_names(self) -> list[URIRef]:
        names = []
        for name in self._store.named_graphs():
            if isinstance(name, ox.NamedNode):
                if next(iter(self._store.quads_for_pattern(None, None, None, name)), None) is not None:
                    names.append(URIRef(name.value))
        return sorted(names)

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is None:
            return len(self._store)
        result = self._store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            substitutions={ox.Variable("g"): ox.NamedNode(graph_iri)},
        )
        row = next(iter(result), None)
        return 0 if row is None else int(row[1].value)

    def triples(self, graph_iri: str) -> Iterator[tuple]:
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)):
            yield from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)

    def read_graph(self, graph_iri: str) -> Graph:
        graph = Graph()
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)):
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))  # type: ignore[arg-type]
        return graph

    def export(self, out: BinaryIO, fmt: Literal["nquads", "trig", "turtle"] = "nquads",
               graphs: Iterable[str] | None = None) -> None:
        formats = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "turtle": ox.RdfFormat.TURTLE}
        if fmt not in formats:
            raise StoreError(f"unknown dump format {fmt!r}; use nquads, trig or turtle")
        if graphs is None and fmt != "turtle":
            self._store.dump(out, formats[fmt])
            return
        names = [ox.NamedNode(g) for g in graphs] if graphs is not None else None
        quads = (
            q for name in names for q in self._store.quads_for_pattern(None, None, None, name)
        ) if names is not None else iter(self._store)
        if fmt == "turtle":  # the union as triples: a triple in two graphs is written twice, which Turtle allows
            ox.serialize((q.triple for q in quads), out, formats[fmt], prefixes=dict(PREFIXES))
        else:
            ox.serialize(quads, out, formats[fmt])

    # ------------------------------------------------------------------ writes

    def update(self, sparql: str) -> None:
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: evaluation ("graph does not exist")
            raise StoreError(f"update failed: {exc}") from None

    def add_graphs(self, graphs: Mapping[str, Graph]) -> int:
        def quads() -> Iterator[ox.Quad]:
            for iri, graph in graphs.items():
                yield from _quads(iri, graph)

        try:
            self._store.extend(quads())
        except OSError as exc:
            raise StoreError(f"write failed, nothing was written: {exc}") from None
        return sum(len(g) for g in graphs.values())

    def replace_graphs(self, graphs: Mapping[str, Graph]) -> int:
        """Replace the graphs with one SPARQL Update (``DROP`` + ``INSERT DATA`` per graph).

        One update is one transaction, so readers see the old graphs or the new ones, never a
        mix — unlike staging the new content in a side graph, which the union default graph
        would show for a moment. Measured: 200k triples swap in ~1 s.
        """
        operations = []
        for iri, graph in graphs.items():
            name = ox.NamedNode(iri)
            operations.append(f"DROP SILENT GRAPH {name}")
            if len(graph):
                body = "\n".join(f"{to_ox(s)} {to_ox(p)} {to_ox(o)} ." for s, p, o in graph)
                operations.append(f"INSERT DATA {{ GRAPH {name} {{\n{body}\n}} }}")
        if operations:
            try:
                self._store.update(" ;\n".join(operations))
            except (OSError, ValueError, SyntaxError) as exc:
                raise StoreError(f"replace failed, nothing was changed: {exc}") from None
        return sum(len(g) for g in graphs.values())

    def drop_graph(self, graph_iri: str) -> None:
        self.update(f"DROP SILENT GRAPH <{ox.NamedNode(graph_iri).value}>")

    def close(self) -> None:
        store = getattr(self, "_store", None)
        if store is not None:
            if self.path is not None and not self.read_only:
                store.flush()
            del self._store
