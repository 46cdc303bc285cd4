"""Checked writes from the outside (SPARQL Update, Graph Store Protocol): validated, then kept whole or not at all.

**A write costs the size of its change.** On the embedded store an update is cut into its operations, each
turned into the exact quads it removes and adds by the engine itself (:mod:`graph.store.updates`) and applied
in turn to the live store through a journal (:mod:`graph.store.journal`); then only the records the change
touched — and the records that link to them — are validated, as they now stand (:mod:`graph.touched`). If
they conform the write is kept, else the journal takes it back exactly and nothing was written; a crash in
between is taken back when the store is next opened. Readers see neither half: they read snapshots, and
the next is published once the write is kept. What was validated is what is written. The change feeds and
the record log look at the touched records only.

On an external store (no journal), a write is still first tried on a scratch copy of the store; every
named graph it changes is validated whole, and those graphs are replaced in one request.

In an update, the default graph is the **local graph**: ``INSERT DATA``, ``DELETE DATA`` and ``DELETE/INSERT
… WHERE`` without ``GRAPH``/``WITH`` read and write the clearing-house's curated data; ``DEFAULT`` names it,
``NAMED`` every other graph the writer may see, ``ALL`` both.

A client's write carries its token's scope (:mod:`graph.auth`): the update then sees only the **public**
graphs — private ones (submissions, moderation…) are neither read, even in a ``WHERE``, ``GRAPH ?g``,
``USING`` or ``WITH``, nor written — and a change to a graph the scope may not write is refused whole
(:class:`WriteForbidden`, nothing written). The server's own writes (CLI, loaders, moderation) pass no scope.

Writes are serialised by one lock (the embedded store has one writer process; this makes its threads take
turns), so no write validates against a state another write is about to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rdflib import Graph, URIRef

from graph.auth import Scope, write_refusal
from graph.changes import after_write
from graph.rdfio import RdfBody
from graph.settings import Settings
from graph.store import QuerySyntaxError, Store, StoreError
from graph.store.updates import NotWritable, UpdateError, check_syntax, evaluate, split
from graph.touched import owners, validation_data, with_dependents
from graph.validation import ValidationReport, Validator, merge_reports
from graph.writelock import WRITE_LOCK


class WriteRefused(Exception):
    """The write would leave data violating the shapes; nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(f"the write would leave {report.violations} violation(s); nothing was written")
        self.report = report


class WriteForbidden(Exception):
    """The write would change a graph its token's scope may not change; nothing was written."""


class UpdateFailed(ValueError):
    """The update fails when run (e.g. DROP of a graph that does not exist, or is private); nothing was written."""


@dataclass(frozen=True)
class WriteOutcome:
    changed_graphs: tuple[str, ...]
    report: ValidationReport | None  # warnings of the accepted write, if any
    records: tuple[URIRef, ...] = ()  #: the records the write changed (the feeds log them)


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
    """Run a SPARQL 1.1 Update if, and only if, every record it touches still conforms — and, for a client's
    token of ``scope``, only over the public graphs and only if that scope may change every graph it changes.
    ``scope=None``: the server's own write, over every graph."""
    if not store.incremental:
        return _apply_update_by_copy(store, validator, settings, sparql, scope=scope)
    check_syntax(sparql, settings.base_iri)
    try:
        operations = split(sparql)
    except UpdateError as exc:
        raise UpdateFailed(f"{exc}; nothing was written") from None
    visible = settings.is_public_graph if scope is not None else (lambda _graph: True)
    with WRITE_LOCK:
        context = store.update_context(default_graph=settings.local_graph, visible=visible,  # type: ignore[attr-defined]
                                       base_iri=settings.base_iri)

        def changes(journal):
            for operation in operations:
                try:
                    change = evaluate(operation, context)
                except NotWritable as exc:
                    _check_scope(settings, scope, [exc.graph])  # a client's private graph: 403, as elsewhere
                    raise UpdateFailed(f"{exc}; nothing was written") from None
                except UpdateError as exc:
                    raise UpdateFailed(f"{exc}; nothing was written") from None
                _check_scope(settings, scope, change.graphs())
                journal.apply(change.deletes, change.inserts)

        return _journalled(store, validator, changes)


def _journalled(store: Store, validator: Validator, changes) -> WriteOutcome:
    """Apply ``changes(journal)`` to the store through a journal, judge the records they touched, and keep the
    write or take it back (see the module docstring). Holds the write lock."""
    journal = store.begin_write()  # type: ignore[attr-defined]
    try:
        changes(journal)
        touched = store.touched_by(journal)  # type: ignore[attr-defined]
        records: set[URIRef] = set()
        reports = []
        for graph_iri, what in touched.items():
            changed = owners(store, graph_iri, what.subjects, what.links)
            judged = with_dependents(store, graph_iri, changed, what)
            records |= changed
            if judged:
                reports.append(validator.validate(validation_data(store, graph_iri, judged)).about(judged))
        report = merge_reports(reports) if reports else None
        if report is not None and not report.conforms:
            raise WriteRefused(report)
    except BaseException:
        journal.undo()
        raise
    journal.close()
    if touched:
        after_write(store, touched, records=records)
    return WriteOutcome(tuple(sorted(touched)), report, tuple(sorted(records, key=str)))


def apply_own_update(store: Store, validator: Validator, settings: Settings, operations: list[str], *,
                     graph_iri: str, records: Iterable[URIRef], now=None) -> WriteOutcome:
    """The server's own write of ``records`` into ``graph_iri`` (an approval): on the embedded store checked as a
    client's update is — the records it touches and those that link to them, then kept or taken back whole
    (:class:`WriteRefused`); on an external store, whose copy would cost the whole graph, written in one request
    as the caller validated it. Holds the write lock."""
    records = tuple(records)
    with WRITE_LOCK:
        if store.incremental:
            return apply_update(store, validator, settings, " ;\n".join(operations))
        store.update(" ;\n".join(operations))
        after_write(store, [graph_iri], records=records, now=now)
        return WriteOutcome((graph_iri,), None, tuple(records))


def _apply_update_by_copy(store: Store, validator: Validator, settings: Settings, sparql: str, *,
                          scope: Scope | None = None) -> WriteOutcome:
    """The update on an external store: tried on a scratch copy, the changed graphs validated whole and
    replaced in one request (see the module docstring)."""
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
                raise UpdateFailed(
                    "on an external store, this update cannot change the local graph both as the default graph "
                    f"and as GRAPH <{settings.local_graph}>; use one or the other; nothing was written"
                )
            scratch.update(f"MOVE SILENT DEFAULT TO {local}" if through_default else "DROP SILENT DEFAULT")
            after = scratch.fingerprints()
            changed = sorted(g for g in set(before) | set(after) if before.get(g) != after.get(g) and g)
            _check_scope(settings, scope, changed)  # a private graph written here was empty: refused all the same
            new_content = {g: scratch.read_graph(g) for g in changed}
        finally:
            scratch.close()
        return _validate_and_replace(store, validator, new_content)


def put_graph(store: Store, validator: Validator, graph_iri: str, content: Graph | RdfBody, *,
              settings: Settings | None = None, scope: Scope | None = None) -> WriteOutcome:
    """Graph Store Protocol PUT: the graph becomes ``content`` (empty content removes the graph: a graph without
    triples does not exist here). A client's ``scope`` needs the ``settings``. ``content`` read from a request
    body (:class:`graph.rdfio.RdfBody`) is read by the engine, its terms kept as written."""
    _check_token_write(settings, scope, graph_iri)
    with WRITE_LOCK:
        if not store.incremental:
            return _validate_and_replace(store, validator, {graph_iri: _graph(content)})

        def changes(journal):
            journal.apply(store.quads_of(graph_iri), store.as_quads(content, graph_iri))  # type: ignore[attr-defined]

        return _journalled(store, validator, changes)


def post_graph(store: Store, validator: Validator, graph_iri: str, content: Graph | RdfBody, *,
               settings: Settings | None = None, scope: Scope | None = None) -> WriteOutcome:
    """Graph Store Protocol POST: ``content`` is merged into the graph (validated: the records it touches)."""
    _check_token_write(settings, scope, graph_iri)
    with WRITE_LOCK:
        if not store.incremental:
            merged = store.read_graph(graph_iri)
            merged += _graph(content)
            return _validate_and_replace(store, validator, {graph_iri: merged})

        def changes(journal):
            journal.apply([], store.as_quads(content, graph_iri))  # type: ignore[attr-defined]

        return _journalled(store, validator, changes)


def _graph(content: Graph | RdfBody) -> Graph:
    return content.graph() if isinstance(content, RdfBody) else content


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
