"""Checked writes from the outside (SPARQL Update, Graph Store Protocol): validated, then atomic.

A write is first tried on a scratch copy of the store; every named graph it changes is validated as
it would be afterwards; only if all conform is the store changed, by replacing exactly those graphs
in one transaction with the content that was validated. So a shape-breaking write changes nothing,
and what was validated is byte for byte what is written (no second evaluation of NOW(), UUID(),
blank nodes…).

Reads see the union of the named graphs; the store's own default graph is not used. Triples an
update writes without naming a graph land in the local graph.

Writes are serialised by one lock (the embedded store has one writer process; this makes its
threads take turns), so no write validates against a state another write is about to change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rdflib import Graph

from graph.settings import Settings
from graph.store import Store
from graph.validation import ValidationReport, Validator, merge_reports

WRITE_LOCK = threading.Lock()


class WriteRefused(Exception):
    """The write would leave data violating the shapes; nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(f"the write would leave {report.violations} violation(s); nothing was written")
        self.report = report


@dataclass(frozen=True)
class WriteOutcome:
    changed_graphs: tuple[str, ...]
    report: ValidationReport | None  # warnings of the accepted write, if any


def _validate_and_replace(store: Store, validator: Validator, new_content: dict[str, Graph], settings: Settings) -> WriteOutcome:
    reports = [validator.validate(graph) for iri, graph in new_content.items() if iri != settings.ontology_graph]
    report = merge_reports(reports) if reports else None
    if report is not None and not report.conforms:
        raise WriteRefused(report)
    if new_content:
        store.replace_graphs(new_content)
    return WriteOutcome(tuple(sorted(new_content)), report)


def apply_update(store: Store, validator: Validator, settings: Settings, sparql: str) -> WriteOutcome:
    """Run a SPARQL 1.1 Update if, and only if, every graph it changes still conforms."""
    with WRITE_LOCK:
        scratch = store.scratch_copy()
        try:
            before = scratch.fingerprints()
            scratch.update(sparql)  # syntax errors surface here, before anything real is touched
            if "" in scratch.fingerprints():  # written without a graph: that is local data
                scratch.update(f"ADD DEFAULT TO GRAPH <{settings.local_graph}> ; DROP DEFAULT")
            after = scratch.fingerprints()
            changed = sorted(g for g in set(before) | set(after) if before.get(g) != after.get(g) and g)
            new_content = {g: scratch.read_graph(g) for g in changed}
        finally:
            scratch.close()
        return _validate_and_replace(store, validator, new_content, settings)


def put_graph(store: Store, validator: Validator, settings: Settings, graph_iri: str, content: Graph) -> WriteOutcome:
    """Graph Store Protocol PUT: the graph becomes ``content``."""
    with WRITE_LOCK:
        return _validate_and_replace(store, validator, {graph_iri: content}, settings)


def post_graph(store: Store, validator: Validator, settings: Settings, graph_iri: str, content: Graph) -> WriteOutcome:
    """Graph Store Protocol POST: ``content`` is merged into the graph."""
    with WRITE_LOCK:
        merged = store.read_graph(graph_iri)
        merged += content
        return _validate_and_replace(store, validator, {graph_iri: merged}, settings)


def delete_graph(store: Store, graph_iri: str) -> bool:
    """Graph Store Protocol DELETE; False when there was no such graph. (Removing a whole graph
    cannot make the remaining graphs violate the shapes: each graph is validated on its own.)"""
    with WRITE_LOCK:
        if graph_iri not in {str(g) for g in store.graph_names()}:
            return False
        store.drop_graph(graph_iri)
        return True
