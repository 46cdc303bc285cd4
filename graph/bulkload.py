"""Validated loads at network scale: the engine loads the files, the records are validated in batches across
processes, and nothing is ever held whole in memory.

``tscgraph load FILE…`` (with validation) into the embedded store:

1. The engine's bulk loader fills a **fresh graph** — the target graph when it is empty, else a staging graph — with
   its marker written first (:meth:`graph.store.oxigraph.OxigraphStore.bulk_load_fresh`): a crash at any point
   leaves a graph the next open of the store drops.
2. The graph is read back once as N-Triples written by the engine, subject by subject, into a temporary file; the
   records are cut into **batches** of about :data:`BATCH_TRIPLES` triples (:func:`record_batches`), each with its
   blank nodes' triples and the types of what it refers to, and validated in the validation workers
   (:mod:`graph.workers.validation`, :class:`~graph.workers.validation.BatchJob`), one per core by default
   (``load_workers``). Memory holds a few batches, the blank nodes' triples and the records' names.
3. A violation anywhere: the graph is dropped and the load refused (exit 1) with the merged report — nothing
   written. Else the marker goes (a staging graph is moved into the target by one update), then the record log,
   the change feed and the load's report, as for every load.

**Why batches are judged as the whole graph would be.** Our shapes target records by class (and budgets as objects
of ``tsc:budget``) and read only the focus node's own triples, its blank nodes' and — for ``sh:class`` — the types
of its values (vocabulary terms; the validator adds the vocabularies' types). A batch holds all of these for each of
its records: its triples, its blank nodes' (to any depth), and the ``rdf:type`` triples of the IRIs it refers to,
unless that type is a class some shape targets (the record of that class is judged in its own batch; its type alone
here would make it a focus node with nothing else). :func:`check_batchable` refuses shapes that would break this (a
``sh:class`` naming a targeted class, ``sh:targetNode``, an inverse path, SPARQL constraints); the load then
validates each file whole, as before. ``tests/test_bulkload.py`` compares the reports on every example of
``tests/shapes/`` and on generated data with defects.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from graph.namespaces import TSC
from graph.store.oxigraph import ntriples_terms
from graph.validation import ValidationReport, Validator, merge_reports
from graph.workers.validation import TRUSTED_TIME_LIMIT, BatchJob

#: Triples per batch sent to a validation worker: big enough that pySHACL's set-up per call is paid rarely, small
#: enough that a worker's graph stays small (20k triples: ~60 MB per worker).
BATCH_TRIPLES = 20_000
_RDF_TYPE = f"<{RDF.type}>"


class NotBatchable(Exception):
    """The shapes read beyond a record's own description: batches would not be judged as the whole graph."""


@dataclass
class BatchesOutcome:
    """What the batches of one graph gave: the merged report, the records judged, the links from records to the
    blank nodes results are about, and the triples validated."""

    report: ValidationReport
    records: list[URIRef]
    links: Graph
    triples: int


def target_classes(validator: Validator) -> set[str]:
    """The classes some shape targets (``sh:targetClass``, implicit class targets), with their subclasses."""
    shapes, scope = validator.shapes, validator.scope
    classes = {c for c in shapes.objects(None, SH.targetClass)}
    classes |= {s for s in shapes.subjects(RDF.type, SH.NodeShape)
                if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes}
    found = set()
    for cls in classes:
        found |= set(scope.transitive_subjects(RDFS.subClassOf, cls)) | set(shapes.transitive_subjects(RDFS.subClassOf, cls))
    return {str(c) for c in found}


def check_batchable(validator: Validator) -> set[str]:
    """The targeted classes, when the shapes let batches of records be judged as the whole graph (see the module's
    docstring); else :class:`NotBatchable` saying why."""
    shapes = validator.shapes
    targeted = target_classes(validator)
    named = {str(c) for c in shapes.objects(None, SH["class"])} & targeted
    if named:
        raise NotBatchable(f"sh:class names a class that shapes target: {', '.join(sorted(named))}")
    for term, why in ((SH.targetNode, "sh:targetNode"), (SH.inversePath, "an inverse path"), (SH.sparql, "SPARQL constraints"),
                      (SH.targetSubjectsOf, "sh:targetSubjectsOf")):
        if next(shapes.subject_objects(term), None) is not None:
            raise NotBatchable(f"the shapes use {why}")
    return targeted


def objects_targeted(validator: Validator) -> set[str]:
    """The predicates whose objects shapes target (``sh:targetObjectsOf``), as N-Triples IRIs: their objects must be
    blank nodes (a budget), judged with the record that holds them (checked batch by batch)."""
    return {f"<{p}>" for p in validator.shapes.objects(None, SH.targetObjectsOf)}


def record_batches(lines: Callable[[], Iterable[str]], targeted: set[str], size: int = BATCH_TRIPLES,
                   objects_of: set[str] = frozenset()) -> Iterator[tuple[str, list[str]]]:
    """Batches of N-Triples (text, and the records it holds) from a graph's lines given subject by subject
    (``lines()`` reads them from the start; it is called twice): every subject that is an IRI with its triples, its
    blank nodes' and the types of the IRIs it refers to (see the module docstring); blank nodes that no IRI reaches
    go in a last batch of their own."""
    blank: dict[str, list[str]] = {}
    types: dict[str, list[str]] = {}
    for line in lines():  # first pass: what batches add to their records
        if line.startswith("_:"):
            blank.setdefault(line.partition(" ")[0], []).append(line)
        else:
            subject, predicate, obj = ntriples_terms(line)
            if predicate == _RDF_TYPE and obj.startswith("<") and obj[1:-1] not in targeted:
                types.setdefault(subject, []).append(line)
    tsc = f"<{TSC}"
    reached: set[str] = set()
    out: list[str] = []
    records: list[str] = []

    def add(subject: str, own: list[str]) -> None:
        out.extend(own)
        todo = []
        is_record = False
        for line in own:
            _s, predicate, obj = ntriples_terms(line)
            if obj.startswith("_:"):
                todo.append(obj)
            elif obj.startswith("<"):
                if predicate in objects_of:
                    raise NotBatchable(f"a shape targets the objects of {predicate}, and {obj} is not a blank node")
                if predicate == _RDF_TYPE and obj.startswith(tsc):
                    is_record = True
                elif obj != subject and obj in types:
                    out.extend(types[obj])
        while todo:
            node = todo.pop()
            if node in reached:
                continue
            reached.add(node)
            for line in blank.get(node, ()):
                out.append(line)
                obj = ntriples_terms(line)[2]
                if obj.startswith("_:"):
                    todo.append(obj)
                elif obj in types:
                    out.extend(types[obj])
        if is_record:
            records.append(subject[1:-1])

    subject, own = "", []
    for line in lines():  # second pass: the subjects, one at a time
        if line.startswith("_:"):
            continue
        head = line.partition(" ")[0]
        if head != subject:
            if subject:
                add(subject, own)
                if len(out) >= size:
                    yield "".join(out), records
                    out, records = [], []
            subject, own = head, []
        own.append(line)
    if subject:
        add(subject, own)
    orphans = [line for node, node_lines in blank.items() if node not in reached for line in node_lines]
    out.extend(orphans)
    if out:
        yield "".join(out), records


def validate_in_batches(store, graph_iri: str, validator: Validator, pool, *, workers: int,
                        progress: Callable[[str], None] = lambda _m: None) -> BatchesOutcome:
    """Validate the records of ``graph_iri`` batch by batch in ``pool`` (a :class:`graph.workers.validation.
    ValidationPool`), ``workers`` batches at a time, at most twice as many read ahead."""
    targeted, objects_of = check_batchable(validator), objects_targeted(validator)
    reports: list[ValidationReport] = []
    links = Graph()
    judged: list[URIRef] = []
    triples = 0
    lock = threading.Lock()
    with store.ntriples_lines(graph_iri) as lines, ThreadPoolExecutor(max_workers=workers) as executor:
        pending: deque[Future] = deque()

        def collect(future: Future) -> None:
            nonlocal triples
            checked = future.result()
            with lock:
                triples += checked.triples
                if checked.report.results:
                    reports.append(checked.report)
                for link in checked.links:
                    links.add(link)

        for number, (text, records) in enumerate(record_batches(lines, targeted, objects_of=objects_of), 1):
            judged.extend(URIRef(r) for r in records)
            job = BatchJob(ntriples=text.encode("utf-8"), source=f"batch {number}")
            pending.append(executor.submit(pool.check, job, time_limit=TRUSTED_TIME_LIMIT))
            while len(pending) >= 2 * workers:
                collect(pending.popleft())
            if number % 10 == 0:
                progress(f"validated {triples:,} triples in {number - len(pending)} batches…")
        while pending:
            collect(pending.popleft())
    return BatchesOutcome(merge_reports(reports), sorted(judged, key=str), links, triples)


def load_workers(settings) -> int:
    """Validation processes of a bulk load: the ``load_workers`` setting, else one per core."""
    return settings.load_workers or os.cpu_count() or 1
