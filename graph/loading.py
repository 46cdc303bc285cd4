"""Checked loading: read every file, validate every file, then write all of them at once — or nothing.

The CLI, ``setup`` and (later) the loaders share this path, so no route into the store skips
validation by accident. ``validate=False`` exists for trusted bulk dumps and says so loudly.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from rdflib import Graph

from graph.bulkload import NotBatchable, check_batchable, load_workers, validate_in_batches
from graph.changes import after_write, sync_all
from graph.rdfio import RdfReadError, format_for, read_rdf
from graph.reports import judged_records, record_report
from graph.settings import Settings
from graph.store import Store, StoreError
from graph.summaries import rebuild as rebuild_summaries
from graph.validation import ValidationReport, Validator, merge_reports, read_turtle_dir
from graph.workers.validation import ValidationPool
from graph.writes import replace_records as replace_records_in

Progress = Callable[[str], None]


@dataclass
class FileCheck:
    """One file's outcome: its triples, or why it could not be read, and its validation report."""

    path: Path
    graph: Graph | None = None
    error: str | None = None
    report: ValidationReport | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and (self.report is None or self.report.conforms)


class LoadRefused(Exception):
    """Nothing was written. ``exit_code`` is 2 for unreadable input, 1 for violations."""

    def __init__(self, exit_code: int, checks: list[FileCheck]) -> None:
        super().__init__("load refused")
        self.exit_code = exit_code
        self.checks = checks


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def quiet(_message: str) -> None:
    return None


def check_files(
    paths: Sequence[Path],
    base_iri: str,
    validator: Validator | None,
    progress: Progress = quiet,
) -> list[FileCheck]:
    """Read and (unless ``validator`` is None) validate each file; never raises on bad input."""
    checks = []
    for number, path in enumerate(paths, 1):
        check = FileCheck(Path(path))
        started = time.monotonic()
        try:
            check.graph = read_rdf(path, base_iri)
        except RdfReadError as exc:
            check.error = str(exc)
            progress(f"[{number}/{len(paths)}] {path}: unreadable")
            checks.append(check)
            continue
        progress(f"[{number}/{len(paths)}] {path}: {len(check.graph)} triples read")
        if validator is not None:
            check.report = validator.validate(check.graph)
            verdict = "conforms" if check.report.conforms else f"{check.report.violations} violation(s)"
            progress(f"[{number}/{len(paths)}] {path}: validated, {verdict} ({time.monotonic() - started:.1f} s)")
        checks.append(check)
    return checks


def load_files(
    store: Store,
    paths: Sequence[Path],
    graph_iri: str,
    *,
    base_iri: str,
    validator: Validator | None,
    replace: bool = False,
    progress: Progress = quiet,
    settings: Settings | None = None,
) -> tuple[int, list[FileCheck]]:
    """Load ``paths`` into ``graph_iri`` in one transaction, only if every file reads and conforms.

    Returns the number of triples written and the checks; raises :class:`LoadRefused`
    (nothing written) otherwise. With ``replace`` the graph's old content goes in the same step.
    With ``settings``, a checked load's report is kept as data (:func:`graph.reports.record_report`).
    """
    engine_reads_all = all(format_for(Path(p)) in store.bulk_formats for p in paths)
    if validator is None and engine_reads_all:
        # Trusted bulk dump: let the engine parse (for 1M triples, seconds instead of minutes).
        progress(f"loading {len(paths)} file(s) without validation, parsed by the engine…")
        started = time.monotonic()
        try:
            written = store.load_files([(Path(p), format_for(Path(p))) for p in paths], graph_iri,
                                       base_iri=base_iri, replace=replace, progress=progress)
        except StoreError as exc:
            raise LoadRefused(2, [FileCheck(Path(paths[0]), error=str(exc))]) from None
        after_write(store, [graph_iri])
        progress(f"written {written} triples in {time.monotonic() - started:.1f} s")
        return written, [FileCheck(Path(p)) for p in paths]
    if validator is not None and settings is not None and engine_reads_all and batchable(store, validator, progress):
        return bulk_checked_load(store, paths, graph_iri, base_iri=base_iri, validator=validator, replace=replace,
                                 progress=progress, settings=settings)
    checks = check_files(paths, base_iri, validator, progress)
    if any(c.error for c in checks):
        raise LoadRefused(2, checks)
    written = write_checked(store, checks, graph_iri, replace=replace, progress=progress,
                            settings=settings if validator is not None else None)
    return written, checks


def batchable(store: Store, validator: Validator, progress: Progress) -> bool:
    """Whether a checked load may go through :func:`bulk_checked_load`: a store that reads a graph back subject by
    subject, and shapes under which batches of records are judged as the whole graph (else each file is validated
    whole, saying why)."""
    if not getattr(store, "ntriples_by_subject", False):
        return False
    try:
        check_batchable(validator)
    except NotBatchable as exc:
        progress(f"validating each file whole: {exc}")
        return False
    return True


def bulk_checked_load(store: Store, paths: Sequence[Path], graph_iri: str, *, base_iri: str, validator: Validator,
                      replace: bool, progress: Progress, settings: Settings) -> tuple[int, list[FileCheck]]:
    """A checked load at the engine's speed (:mod:`graph.bulkload`): the engine loads the files into a fresh graph,
    batches of records are validated in parallel processes, and a violation leaves nothing. The report covers every
    file; it is given with the first one."""
    workers = load_workers(settings)
    pool = ValidationPool(dataclasses.replace(settings, validation_workers=workers, max_client_jobs=workers,
                                              validation_queue_wait=600.0), nice=0)
    checks = [FileCheck(Path(p)) for p in paths]
    found: dict = {}

    def check(loaded_graph: str) -> None:
        started = time.monotonic()
        progress(f"validating in batches, {workers} at a time…")
        outcome = validate_in_batches(store, loaded_graph, validator, pool, workers=workers, progress=progress)
        checks[0].report = outcome.report
        found["outcome"] = outcome
        verdict = "conforms" if outcome.report.conforms else f"{outcome.report.violations} violation(s)"
        progress(f"validated {outcome.triples:,} triples: {verdict} ({time.monotonic() - started:.1f} s)")
        if not outcome.report.conforms:
            raise LoadRefused(1, checks)

    progress(f"loading {len(paths)} file(s), parsed by the engine, then validated…")
    started = time.monotonic()
    try:
        written = store.load_files([(Path(p), format_for(Path(p))) for p in paths], graph_iri,
                                   base_iri=base_iri, replace=replace, check=check, progress=progress)
    except StoreError as exc:
        raise LoadRefused(2, [FileCheck(Path(paths[0]), error=str(exc))]) from None
    finally:
        pool.close()
    after_write(store, [graph_iri])
    outcome = found["outcome"]
    record_report(store, settings, outcome.report, outcome.records, activity="load", public=True, content=outcome.links,
                  source=", ".join(c.path.name for c in checks))
    progress(f"written {written:,} triples in {time.monotonic() - started:.1f} s")
    return written, checks


def write_checked(
    store: Store,
    checks: list[FileCheck],
    graph_iri: str,
    *,
    replace: bool = False,
    replace_records: bool = False,
    progress: Progress = quiet,
    settings: Settings | None = None,
) -> int:
    """Write the graphs of ``checks`` (read, and validated unless their report is None) into ``graph_iri`` in
    one transaction — or raise :class:`LoadRefused` (1) and write nothing if one does not conform. The
    record log stamps new records; with ``settings`` the validation report is kept as data.

    Files and loaders' outputs (spreadsheets, IATI, schema.org…) go through this one door.
    """
    if not all(c.ok for c in checks):
        raise LoadRefused(1, checks)
    merged = Graph()
    for check in checks:
        assert check.graph is not None
        merged += check.graph
    progress(f"writing {len(merged)} triples into <{graph_iri}>{' (replacing it)' if replace else ''}…")
    started = time.monotonic()
    if replace_records:  # each record's old description goes in the same transaction (re-importing a source)
        written = replace_records_in(store, graph_iri, merged, judged_records(merged))
    else:
        written = (store.replace_graphs if replace else store.add_graphs)({graph_iri: merged})
        after_write(store, [graph_iri])
    progress(f"written in {time.monotonic() - started:.1f} s")
    if settings is not None and all(c.report is not None for c in checks):
        record_load_report(store, settings, checks, merged)
    return written


def record_load_report(store: Store, settings: Settings, checks: list[FileCheck], merged: Graph) -> None:
    """Keep the load's report as data: public, about every typed record (tsc: class) it wrote."""
    judged = judged_records(merged)
    report = merge_reports(c.report for c in checks if c.report is not None)
    record_report(store, settings, report, judged, activity="load", public=True, content=merged,
                  source=", ".join(c.path.name for c in checks))


def install_ontology(store: Store, settings: Settings) -> int:
    """Replace the ontology graph with the ontology and vocabularies shipped with this version, with the
    labels last taken from the CBD thesaurus (private graph ``settings.thesaurus_graph``) put back in place."""
    from graph.vocabularies import apply_labels

    ontology = read_turtle_dir(settings.ontology_dir)
    kept = store.read_graph(settings.thesaurus_graph)
    if len(kept):
        ontology = apply_labels(ontology, kept)
    return store.replace_graphs({settings.ontology_graph: ontology})


def bundled_data_files(settings: Settings) -> list[Path]:
    return sorted(Path(settings.bundled_data_dir).glob("*.ttl"))


def setup_store(
    store: Store,
    settings: Settings,
    validator: Validator,
    *,
    reload_data: bool = False,
    progress: Progress = quiet,
) -> dict[str, int]:
    """Make a store ready to serve: current ontology, and the bundled data if the local graph is empty.

    The local graph is curated by the clearing-house staff, so it is only (re)filled from the
    bundled files when empty or when ``reload_data`` asks for it.
    """
    counts = {"ontology": install_ontology(store, settings)}
    progress(f"ontology and vocabularies: {counts['ontology']} triples in <{settings.ontology_graph}>")
    if reload_data or store.count(settings.local_graph) == 0:
        written, _checks = load_files(
            store,
            bundled_data_files(settings),
            settings.local_graph,
            base_iri=settings.base_iri,
            validator=validator,
            replace=True,
            progress=progress,
            settings=settings,
        )
        counts["local"] = written  # its write computed the summaries whole (graph.changes.after_write)
    else:
        progress(f"<{settings.local_graph}> already holds data; left as it is (use --reload-data to replace it)")
        if rebuild_summaries(store):  # what a process that died between a write and its refresh missed
            progress(f"summaries: <{store.summary_graph}> brought up to date")
    healed = sync_all(store)  # also logs the ontology's changes, and what a process that died before its sync missed
    if healed:
        progress("change feeds: " + ", ".join(f"{c.graph} +{len(c.created)} ~{len(c.updated)} -{len(c.deleted)}"
                                              for c in healed))
    return counts
