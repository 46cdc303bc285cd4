"""The validation worker: reads RDF and checks it against the shapes, in a process that can be stopped.

Parsing RDF and SHACL validation cost what the input makes them cost, and neither can be interrupted from
Python: four anonymous 90 kB documents once held the web process for 30 s, a 30 kB e-mail literal made a
shape's regular expression run for 8 s, and a 567-byte RDF/XML entity bomb ran for minutes. So every
document a client or a partner sends is read, bounded and validated here, in a worker of a
:class:`graph.workers.pool.WorkerPool` (``validation_workers`` processes at a lower CPU priority, each
killed at ``validation_time_limit``), and the web process only waits for the answer:

* **Input caps** (:class:`Limits`): a document may hold at most ``max_input_triples`` triples and no
  literal longer than ``max_literal_length`` characters; over them it is refused as too large (413), not
  validated. Nesting is bounded by the parsers (a document nested too deeply to read is a 400).
* **Answer size**: a report for a public answer keeps its first ``max_results`` results (violations first);
  its counts stay whole and it says how many it left out.
* The same worker validates what the server itself built (a form's RDF, a submission to approve, a write):
  :class:`PooledValidator` has the ``validate(graph)`` of :class:`graph.validation.Validator`, so the code
  that validates does not know where it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal

from graph.rdfio import RdfReadError, error_line, parse_rdf
from graph.settings import Settings
from graph.validation import ValidationReport, Validator
from graph.workers.pool import PoolBusy, PoolError, PoolTimeout, WorkerCrashed, WorkerPool

#: Seconds the validation of a write by a token or an editor may take: such a write validates each graph it
#: changes whole (a graph of 100k triples takes ~10 s), so it gets more than a document sent by anyone; it is
#: still stopped, so no write holds a worker for ever.
TRUSTED_TIME_LIMIT = 600.0


@dataclass(frozen=True)
class Limits:
    """What one document sent from outside may hold, and how much of its report an answer carries."""

    max_triples: int
    max_literal_length: int
    max_results: int | None = None

    @classmethod
    def public(cls, settings: Settings) -> "Limits":
        return cls(settings.max_input_triples, settings.max_literal_length, settings.max_result_rows)


@dataclass(frozen=True)
class CheckJob:
    """Read ``data`` (syntax ``fmt``, rdflib's parser name) and validate it with shape set ``shape_set``; or
    validate ``triples`` the server made itself (sent as terms, so blank nodes keep their identity)."""

    data: bytes = b""
    fmt: str = "turtle"
    base_iri: str = "http://localhost/"
    triples: tuple = ()
    source: str = "input"
    shape_set: str = "all"
    limits: Limits | None = None
    return_graph: bool = False
    validate: bool = True  #: False: read and bound only (the caller validates later, e.g. with the submission rules)


@dataclass(frozen=True)
class BatchJob:
    """Validate a batch of records of a bulk load: ``ntriples`` holds each record's triples, its blank nodes' and the
    types of what it refers to (:mod:`graph.bulkload`), so that the batch is judged as the whole graph would judge
    those records. The answer is a :class:`BatchChecked`."""

    ntriples: bytes
    source: str = "batch"


@dataclass(frozen=True)
class BatchChecked:
    """A batch's report, and the links from its records to the blank nodes its results are about (what
    :func:`graph.reports.owner_map` needs to count a budget's result for its project)."""

    report: ValidationReport
    triples: int
    links: tuple


def blank_focus_links(graph: Graph, report: ValidationReport) -> tuple:
    """The triples leading from a record (an IRI) down to each blank node a result is about."""
    from rdflib import BNode

    wanted = {r.focus_node for r in report.all_results() if isinstance(r.focus_node, BNode)}
    links, todo, seen = [], list(wanted), set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for s, p in graph.subject_predicates(node):
            links.append((s, p, node))
            if isinstance(s, BNode):
                todo.append(s)
    return tuple(links)


@dataclass(frozen=True)
class Checked:
    """A document read and validated: its report, its size, and the graph when it was asked for."""

    report: ValidationReport | None  #: None when only reading was asked for
    triples: int
    graph: Graph | None = None


class Unreadable(PoolError):
    """The document is not RDF in its syntax; ``line`` is where, when the parser tells."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class TooLarge(PoolError):
    """The document is over an input cap; the message says which."""


def over_limits(graph: Graph, limits: Limits) -> str | None:
    """Why ``graph`` is over ``limits`` (None when it is within them)."""
    if len(graph) > limits.max_triples:
        return (f"the document holds {len(graph):,} triples; at most {limits.max_triples:,} are validated in "
                "one request: send it in parts")
    for term in graph.objects():
        if isinstance(term, Literal) and len(term) > limits.max_literal_length:
            return (f"the document holds a literal of {len(term):,} characters; at most "
                    f"{limits.max_literal_length:,} are accepted")
    return None


def validation_handler(settings: Settings):
    """A validation worker's handler, built once per process: the shapes and vocabularies parsed once, the
    shape sets cut from them when first asked for."""
    from graph import reports

    full = Validator.from_paths(settings.shapes_dir, settings.ontology_dir)
    validators: dict[str, Validator] = {"all": full}

    def validator_for(name: str) -> Validator:
        if name not in validators:
            validators[name] = full.subset(reports.shape_subset(full.shapes, reports.SHAPE_SETS[name]))
        return validators[name]

    def handle(job: CheckJob | BatchJob) -> tuple:
        if isinstance(job, BatchJob):
            try:
                graph = Graph().parse(data=job.ntriples, format="nt")
            except Exception as exc:  # noqa: BLE001 - the engine wrote it; say what rdflib could not read
                return "unreadable", f"{job.source}: {exc}", None
            report = full.validate(graph)
            return "ok", BatchChecked(report, len(graph), blank_focus_links(graph, report))
        if job.triples:
            graph = Graph()
            for triple in job.triples:
                graph.add(triple)
        else:
            try:
                graph = parse_rdf(job.data, job.fmt, job.base_iri, source=job.source)
            except RdfReadError as exc:
                message = str(exc)
                return "unreadable", message, error_line(message, job.data, job.fmt)
        if job.limits is not None:
            refused = over_limits(graph, job.limits)
            if refused:
                return "too_large", refused
        report = validator_for(job.shape_set).validate(graph) if job.validate else None
        if report is not None and job.limits is not None and job.limits.max_results is not None:
            report = report.cut(job.limits.max_results)
        return "ok", Checked(report, len(graph), graph if job.return_graph else None)

    return handle


class ValidationPool:
    """The validation workers of one process (see the module docstring)."""

    def __init__(self, settings: Settings, *, nice: int = 10) -> None:
        """``nice``: below the process that asks, so a validation never holds back its pages; the writer's own
        (nothing to hold back there but the write waiting for it) run at the writer's priority."""
        self.settings = settings
        self.time_limit = settings.validation_time_limit
        self.workers = WorkerPool("graph.workers.validation.validation_handler", (settings,),
                                  size=settings.validation_workers, time_limit=settings.validation_time_limit,
                                  queue_wait=settings.validation_queue_wait, per_client=settings.max_client_jobs,
                                  nice=nice, name="tscgraph-validation", lazy=True)

    def check(self, job: CheckJob, *, client: object = None, time_limit: float | None = None) -> Checked:
        """Read and validate a document; raises :class:`Unreadable`, :class:`TooLarge`, or the pool's
        :class:`PoolBusy` / :class:`PoolTimeout` / :class:`WorkerCrashed` (each with a message for the client)."""
        try:
            reply = self.workers.run(job, client=client, time_limit=time_limit)
        except PoolTimeout:
            limit = self.time_limit if time_limit is None else time_limit
            raise PoolTimeout(f"reading and validating the document ran past the time limit of "
                              f"{limit:g} s and was stopped: send it in smaller parts") from None
        status = reply[0]
        if status == "ok":
            return reply[1]
        if status == "unreadable":
            raise Unreadable(reply[1], reply[2])
        if status == "too_large":
            raise TooLarge(reply[1])
        raise PoolError(reply[1])

    def validator(self, shape_set: str = "all", *, client: object = None, trusted: bool = False) -> "PooledValidator":
        """A validator for graphs made here; ``trusted`` for writes by a token or an editor, whose graphs may be
        as large as the data (:data:`TRUSTED_TIME_LIMIT`), rather than documents sent by anyone."""
        return PooledValidator(self, shape_set, client, TRUSTED_TIME_LIMIT if trusted else None)

    def start(self) -> None:
        """Start the workers now rather than at the first document (a server does; an app in a test need not)."""
        self.workers.start()

    def worker_pids(self) -> list[int]:
        return self.workers.worker_pids()

    def close(self) -> None:
        self.workers.close()


class PooledValidator:
    """``validate(graph)`` like :class:`graph.validation.Validator`, done by a validation worker (within
    ``time_limit`` seconds; the pool's own limit when None)."""

    def __init__(self, pool: ValidationPool, shape_set: str = "all", client: object = None,
                 time_limit: float | None = None) -> None:
        self.pool, self.shape_set, self.client, self.time_limit = pool, shape_set, client, time_limit

    def validate(self, data: Graph) -> ValidationReport:
        job = CheckJob(triples=tuple(data), source="graph", shape_set=self.shape_set)
        return self.pool.check(job, client=self.client, time_limit=self.time_limit).report


__all__ = ["BatchChecked", "BatchJob", "CheckJob", "Checked", "Limits", "PoolBusy", "PoolError", "PoolTimeout", "PooledValidator", "TooLarge",
           "Unreadable", "ValidationPool", "WorkerCrashed", "over_limits", "validation_handler"]
