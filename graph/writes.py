"""Checked writes from the outside (SPARQL Update, Graph Store Protocol): validated, then atomic.

A write is first tried on a scratch copy of the store; every named graph it changes is validated as
it would be afterwards; only if all conform is the store changed, by replacing exactly those graphs
in one transaction with the content that was validated. So a shape-breaking write changes nothing,
and what was validated is byte for byte what is written (no second evaluation of NOW(), UUID(),
blank nodes…).

Reads see the union of the named graphs. In an update, the default graph is the **local graph**:
``INSERT DATA``, ``DELETE DATA`` and ``DELETE/INSERT … WHERE`` without ``GRAPH``/``WITH`` read and
write the clearing-house's curated data, as in a store whose default graph is the writable one.

A client's write carries its token's scope (:mod:`graph.auth`): the update then runs over a scratch copy
holding only the **public** graphs — private ones (submissions, moderation…) are neither read, even in a
``WHERE``, ``GRAPH ?g``, ``USING`` or ``WITH``, nor written — and a change to a graph the scope may not
write is refused whole (:class:`WriteForbidden`, nothing written). The server's own writes (CLI, loaders,
moderation) pass no scope.

Writes are serialised by one lock (the embedded store has one writer process; this makes its
threads take turns), so no write validates against a state another write is about to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rdflib import Graph, URIRef

from graph.auth import Scope, write_refusal
from graph.changes import after_write
from graph.settings import Settings
from graph.store import QuerySyntaxError, Store, StoreError
from graph.validation import ValidationReport, Validator, merge_reports
from graph.writelock import WRITE_LOCK


class WriteRefused(Exception):
    """The write would leave data violating the shapes; nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(f"the write would leave {report.violations} violation(s); nothing was written")
        self.report = report


class WriteForbidden(Exception):
    """The write would change a graph its token's scope may not change; nothing was written."""


class UpdateAmbiguous(ValueError):
    """The update writes the local graph in two ways at once; nothing was written."""


class UpdateFailed(ValueError):
    """The update fails when run (e.g. DROP of a graph that does not exist, or is private); nothing was written."""


@dataclass(frozen=True)
class WriteOutcome:
    changed_graphs: tuple[str, ...]
    report: ValidationReport | None  # warnings of the accepted write, if any


def _check_scope(settings: Settings, scope: Scope | None, graph_iris) -> None:
    if scope is None:
        return
    for graph_iri in sorted(graph_iris):
        refusal = write_refusal(settings, scope, graph_iri)
        if refusal is not None:
            raise WriteForbidden(f"{refusal}; nothing was written")


def _check_token_write(settings: Settings | None, scope: Scope | None, graph_iri: str) -> None:
    """Refuse a client's write to one graph, by its IRI alone: before reading it or the body (a private
    graph is refused whether or not it exists, so the answer tells nothing about it)."""
    if scope is not None:
        if settings is None:
            raise TypeError("a write with a token's scope needs the settings")
        _check_scope(settings, scope, [graph_iri])


def _validate_and_replace(store: Store, validator: Validator, new_content: dict[str, Graph]) -> WriteOutcome:
    reports = [validator.validate(graph) for graph in new_content.values()]  # every graph, the ontology's too
    report = merge_reports(reports) if reports else None
    if report is not None and not report.conforms:
        raise WriteRefused(report)
    if new_content:
        store.replace_graphs(new_content)
        after_write(store, new_content)
    return WriteOutcome(tuple(sorted(new_content)), report)


def apply_update(store: Store, validator: Validator, settings: Settings, sparql: str, *,
                 scope: Scope | None = None) -> WriteOutcome:
    """Run a SPARQL 1.1 Update if, and only if, every graph it changes still conforms — and, for a client's
    token of ``scope``, only over the public graphs and only if that scope may change every graph it changes.
    ``scope=None``: the server's own write, over every graph."""
    with WRITE_LOCK:
        scratch = store.scratch_copy(keep=None if scope is None else settings.is_public_graph)
        try:
            before = scratch.fingerprints()
            local = f"GRAPH <{settings.local_graph}>"
            scratch.update(f"COPY SILENT {local} TO DEFAULT")  # the update's default graph is the local graph
            try:
                scratch.update(sparql)  # syntax errors surface here, before anything real is touched
            except QuerySyntaxError:
                raise
            except StoreError as exc:  # an evaluation error on the in-memory scratch copy is the update's own
                raise UpdateFailed(f"the update cannot be done: {exc}; nothing was written") from None
            during = scratch.fingerprints()
            through_default = during.get("") != before.get(settings.local_graph)
            if through_default and during.get(settings.local_graph) != before.get(settings.local_graph):
                raise UpdateAmbiguous(
                    "this update changes the local graph both as the default graph and as "
                    f"GRAPH <{settings.local_graph}>; use one or the other"
                )
            scratch.update(f"MOVE SILENT DEFAULT TO {local}" if through_default else "DROP SILENT DEFAULT")
            after = scratch.fingerprints()
            changed = sorted(g for g in set(before) | set(after) if before.get(g) != after.get(g) and g)
            _check_scope(settings, scope, changed)  # a private graph written here was empty: refused all the same
            new_content = {g: scratch.read_graph(g) for g in changed}
        finally:
            scratch.close()
        return _validate_and_replace(store, validator, new_content)


def put_graph(store: Store, validator: Validator, graph_iri: str, content: Graph, *,
              settings: Settings | None = None, scope: Scope | None = None) -> WriteOutcome:
    """Graph Store Protocol PUT: the graph becomes ``content`` (empty content removes the graph:
    a graph without triples does not exist here). A client's ``scope`` needs the ``settings``."""
    _check_token_write(settings, scope, graph_iri)
    with WRITE_LOCK:
        return _validate_and_replace(store, validator, {graph_iri: content})


def post_graph(store: Store, validator: Validator, graph_iri: str, content: Graph, *,
               settings: Settings | None = None, scope: Scope | None = None) -> WriteOutcome:
    """Graph Store Protocol POST: ``content`` is merged into the graph."""
    _check_token_write(settings, scope, graph_iri)
    with WRITE_LOCK:
        merged = store.read_graph(graph_iri)
        merged += content
        return _validate_and_replace(store, validator, {graph_iri: merged})


def delete_graph(store: Store, graph_iri: str, *, settings: Settings | None = None,
                 scope: Scope | None = None) -> bool:
    """Graph Store Protocol DELETE; False when there was no such graph. (Removing a whole graph
    cannot make the remaining graphs violate the shapes: each graph is validated on its own.)"""
    _check_token_write(settings, scope, graph_iri)
    with WRITE_LOCK:
        if graph_iri not in {str(g) for g in store.graph_names()}:
            return False
        store.drop_graph(graph_iri)
        after_write(store, [graph_iri])
        return True


def description_deletes(graph_iri: str, records: Iterable[URIRef]) -> list[str]:
    """SPARQL Update operations that remove each record's description from ``graph_iri``: its blank nodes'
    triples two levels deep, then one level deep, then its own triples (a budget is a blank node)."""
    graph = URIRef(graph_iri).n3()
    values = " ".join(URIRef(r).n3() for r in records)
    return [
        f"DELETE {{ GRAPH {graph} {{ ?b2 ?p2 ?o2 }} }} WHERE {{ VALUES ?r {{ {values} }} "
        f"GRAPH {graph} {{ ?r ?p ?b . FILTER(isBlank(?b)) ?b ?q ?b2 . FILTER(isBlank(?b2)) ?b2 ?p2 ?o2 }} }}",
        f"DELETE {{ GRAPH {graph} {{ ?b ?bp ?bo }} }} WHERE {{ VALUES ?r {{ {values} }} "
        f"GRAPH {graph} {{ ?r ?p ?b . FILTER(isBlank(?b)) ?b ?bp ?bo }} }}",
        f"DELETE {{ GRAPH {graph} {{ ?r ?p ?o }} }} WHERE {{ VALUES ?r {{ {values} }} GRAPH {graph} {{ ?r ?p ?o }} }}",
    ]


def replace_records(store: Store, graph_iri: str, content: Graph, records: Iterable[URIRef]) -> int:
    """Replace the descriptions of ``records`` in ``graph_iri`` by ``content``, in one transaction: importing
    a sheet again updates its records instead of piling up a second budget beside the first."""
    records = list(records)
    body = content.serialize(format="nt")  # N-Triples: every term escaped, blank nodes fresh in INSERT DATA
    operations = (description_deletes(graph_iri, records) if records else []) + [
        f"INSERT DATA {{ GRAPH {URIRef(graph_iri).n3()} {{ {body} }} }}"
    ]
    with WRITE_LOCK:
        store.update(" ;\n".join(operations))
        after_write(store, [graph_iri], records=records)
    return len(content)
