"""Submissions and their moderation: proposed records wait, private, until an editor decides.

A submission is content (an RDF graph of records: projects, actors, cooperation offers and requests,
knowledge resources) that a person sent through a form or a partner through the API. :func:`submit`
validates it with the shapes, then, in one transaction, stores it in a named graph of its own
(``settings.submission_graph(id)``) and describes it in the moderation graph
(``settings.moderation_graph``): who sent it, when, through which channel, which records it is about,
its status and its history. Both graphs are private (``settings.is_public_graph``): the public never
reads them, and no personal data reaches a public graph.

:func:`approve` re-validates the content and, in one transaction, replaces the published description
of each of its records in the local graph (the record's triples and those of its blank nodes, such as
a budget) by the submitted one, and records the decision; the record log then stamps new records.
:func:`reject` records the decision and its reason. A submitter's corrected version supersedes their own
pending submission when it names it (:func:`submit`, ``supersedes``); other submissions of the same
records all stay pending, side by side, and the editor sees the conflict (:func:`conflicts`). Nothing is
ever deleted: submission graphs and every step of their history stay.
Each accepted validation is kept as data (:mod:`graph.reports`) in the same transaction: a submission's
report privately in the moderation graph, an approval's publicly in the validation graph.

Besides the shapes, a submission obeys rules the shapes cannot express (:func:`_problems`): it holds
records of the kinds people contribute (:data:`SUBMITTABLE_CLASSES`) under ``{base}id/``, describes
nothing else (no untyped IRI, no ontology or vocabulary IRI), and changes a published record only as an
edit. A breach is reported like a shape violation (English and French messages) and nothing is written.

The model (docs/data-model.md, "Submissions and moderation") is PROV: the submission is a
``prov:Entity`` (``tsc:Submission``) attributed to its submitter; each step of its moderation is a
``prov:Activity`` (``tsc:ModerationEvent``) with the status it gave, when and by whom.

Callers pass the raw store (not a public view); web callers refresh their query snapshots afterwards.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SH, XSD
from rdflib.term import Node

from graph.changekeys import graph_key
from graph.iris import is_iri
from graph.namespaces import TSC, VOCAB
from graph.reports import report_update
from graph.settings import Settings
from graph.store import Store
from graph.text import is_email
from graph.validation import ValidationReport, Validator, report_from_graph
from graph.writelock import WRITE_LOCK
from graph.writes import WriteRefused, apply_own_update, description_deletes

STATUSES = ("pending", "approved", "rejected", "superseded")
CHANNELS = ("form", "api")
STATUS_SCHEME = URIRef(VOCAB + "submission-status")

#: The kinds of record a submission may hold. Commitments are the clearing-house's own; the
#: abstract classes (tsc:KnowledgeResource, tsc:CooperationRecord) are not records by themselves.
SUBMITTABLE_CLASSES = frozenset({
    TSC.Project, TSC.Actor, TSC.CooperationOffer, TSC.CooperationRequest,
    TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy,
})

#: IRIs no submission may describe: the ontology, the shapes and the reference vocabularies.
RESERVED_NAMESPACE = "https://w3id.org/tscgraph/"

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EVENT = re.compile(r"#event-(\d+)$")


def status_concept(status: str) -> URIRef:
    """The concept of a status (``…/vocab/submission-status/pending``…), labelled in en and fr."""
    return URIRef(f"{STATUS_SCHEME}/{status}")


# ------------------------------------------------------------------ the API's types


@dataclass(frozen=True)
class Submitter:
    name: str
    email: str


@dataclass(frozen=True)
class Event:
    """One step of a submission's history."""

    status: str
    at: datetime
    by: str | None
    reason: str | None


@dataclass(frozen=True)
class Submission:
    id: str
    iri: URIRef
    graph: str
    status: str
    channel: str
    created: datetime
    submitter: Submitter
    records: tuple[URIRef, ...]
    edits: URIRef | None
    history: tuple[Event, ...]


class SubmissionRefused(Exception):
    """The content violates the shapes or the submission rules; nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(f"the submission has {report.violations} violation(s); nothing was written")
        self.report = report


class SubmissionError(Exception):
    """The operation cannot be done (unknown submission, not pending, bad argument); nothing was written."""


class SupersedeRefused(SubmissionError):
    """The submission named to be superseded cannot be, by this one: unknown, no longer pending, about records
    this one does not hold, or sent from another address. One error for every case, so that the answer tells
    nothing about someone else's submission (not even whether its address matched); nothing was written."""

    def __init__(self) -> None:
        super().__init__("the submission named in supersedes cannot be replaced by this one: it is unknown or no "
                         "longer pending, holds records this one does not, or was sent from another e-mail address")


# ------------------------------------------------------------------ operations


def submit(store: Store, validator: Validator, settings: Settings, content: Graph, submitter: Submitter,
           channel: str, *, edits: URIRef | None = None, supersedes: str | None = None) -> Submission:
    """Validate ``content``, then store it as a pending submission (one transaction). Raises
    :class:`SubmissionRefused` (with the report) when the content violates the shapes or the submission rules.

    Earlier pending submissions of the same records stay pending: both wait and the editor sees the conflict
    (:func:`conflicts`) — unless this one is its sender's corrected version, naming the earlier one's id in
    ``supersedes``: then that one becomes superseded in the same transaction, provided it is pending, every
    record of it is in this one, and it came from the same e-mail address (else :class:`SupersedeRefused`,
    nothing written). The id is the proof of "its own submitter": it is unguessable and handed only to whoever
    sent the submission (the address of its status page, the API's ``Location``), whereas an e-mail address
    is typed by anyone — matching addresses alone let anyone cancel anyone's pending submission. The address
    must match as well, so that a status link passed around does not let its reader replace the submission."""
    if channel not in CHANNELS:
        raise SubmissionError(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
    _check_submitter(submitter)
    content = _copy(content)
    records = typed_records(content)
    if edits is not None and URIRef(edits) not in records:
        raise SubmissionError(f"an edit of <{edits}> must describe that record (give it its type)")
    shacl = validator.validate(content)  # outside the lock: slow, and the content is our own copy
    with WRITE_LOCK:
        published = _published(store, settings, records)
        if edits is not None and URIRef(edits) not in published:
            raise SubmissionError(f"<{edits}> is not a published record: there is nothing to edit")
        report = _with_problems(shacl, _problems(content, settings, published - {edits}))
        if not report.conforms:
            raise SubmissionRefused(report)
        replaced = _superseded_by(store, settings, supersedes, records, submitter) if supersedes is not None else []
        submission_id = secrets.token_urlsafe(16)
        iri = submission_iri(settings, submission_id)
        now = _now()
        graph = settings.submission_graph(submission_id)
        mod = _iri(settings.moderation_graph)
        first = _event_iri(iri, 1)
        submitter_node = URIRef(f"{iri}#submitter")
        about = [(iri, TSC.aboutRecord, r) for r in records]
        if edits is not None:
            about.append((iri, TSC.edits, URIRef(edits)))
        moderation = [
            (iri, RDF.type, TSC.Submission),
            (iri, TSC.contentGraph, URIRef(graph)),
            (iri, TSC.channel, Literal(channel)),
            (iri, DCTERMS.created, _time(now)),
            (iri, PROV.wasAttributedTo, submitter_node),
            (iri, PROV.wasGeneratedBy, first),
            (iri, TSC.submissionStatus, status_concept("pending")),
            *about,
            (submitter_node, RDF.type, PROV.Agent),
            (submitter_node, FOAF.name, Literal(submitter.name)),
            *([(submitter_node, FOAF.mbox, URIRef("mailto:" + quote(submitter.email, safe="@")))]
              if submitter.email else []),
            *_event_triples(iri, 1, "pending", now, submitter_node),
        ]
        operations = [
            f"INSERT DATA {{ GRAPH {_iri(graph)} {{\n{_ntriples(content)}\n}}\n"
            f"GRAPH {mod} {{\n{_ntriples(moderation)}\n}} }}"
        ]
        for older in replaced:
            reason = Literal(f"Superseded by submission {submission_id}.", lang="en")
            n = _next_event(store, settings, older)
            operations += _status_change(settings, older, "superseded", n, now, None, reason, extra=[
                (older, DCTERMS.isReplacedBy, iri),
                (older, PROV.wasInvalidatedBy, _event_iri(older, n)),
                (older, PROV.invalidatedAtTime, _time(now)),
            ])
        report_text, recorded = report_update(store, settings, shacl, records, activity="submission",
                                              source=str(iri), public=False, content=content, at=now)
        operations += [report_text, _insert_moderation(settings, [(recorded.activity, PROV.used, iri)])]
        store.update(" ;\n".join(operations), changes=[graph_key(graph), graph_key(settings.moderation_graph)])
    return _get_or_fail(store, settings, submission_id)


def approve(store: Store, validator: Validator, settings: Settings, submission_id: str, editor: str) -> Submission:
    """Publish a pending submission: re-validate it, then in one transaction replace each of its records'
    description in the local graph by the submitted one and mark it approved by ``editor``."""
    _check_editor(editor)
    _pending_or_fail(store, settings, submission_id)
    graph = settings.submission_graph(submission_id)
    shacl = validator.validate(store.read_graph(graph))  # the content never changes: validate outside the lock
    with WRITE_LOCK:
        submission = _pending_or_fail(store, settings, submission_id)  # again: another thread may have decided
        content = store.read_graph(graph)
        published = _published(store, settings, submission.records)
        report = _with_problems(shacl, _problems(content, settings, published - {submission.edits}))
        if not report.conforms:
            raise SubmissionRefused(report)
        local = _iri(settings.local_graph)
        now = _now()
        n = _next_event(store, settings, submission.iri)
        operations = [
            *description_deletes(settings.local_graph, submission.records),
            # copied, not re-inserted: the blank nodes keep their identity in the store
            f"INSERT {{ GRAPH {local} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}",
            *_status_change(settings, submission.iri, "approved", n, now, editor, None,
                            extra=[(_event_iri(submission.iri, n), PROV.used, submission.iri)]),
        ]
        report_text, recorded = report_update(store, settings, shacl, submission.records, activity="approval",
                                              source=None, public=True, content=content, at=now)
        operations += [report_text, _insert_moderation(settings, [(recorded.activity, PROV.used, submission.iri)])]
        try:  # the records that link to the approved ones are judged too (an actor's type changed under a project)
            apply_own_update(store, validator, settings, operations, graph_iri=settings.local_graph,
                             records=submission.records, now=now)
        except WriteRefused as refused:
            raise SubmissionRefused(refused.report) from None
    return _get_or_fail(store, settings, submission_id)


def reject(store: Store, settings: Settings, submission_id: str, editor: str, reason: str) -> Submission:
    """Mark a pending submission rejected by ``editor`` for ``reason``; its content is kept."""
    _check_editor(editor)
    if not reason or not reason.strip():
        raise SubmissionError("a rejection needs a reason")
    with WRITE_LOCK:
        submission = _pending_or_fail(store, settings, submission_id)
        n = _next_event(store, settings, submission.iri)
        store.update(" ;\n".join(_status_change(
            settings, submission.iri, "rejected", n, _now(), editor, Literal(reason.strip()),
            extra=[(_event_iri(submission.iri, n), PROV.used, submission.iri)])), changes=[graph_key(settings.moderation_graph)])
    return _get_or_fail(store, settings, submission_id)


# ------------------------------------------------------------------ reads


def submission_iri(settings: Settings, submission_id: str) -> URIRef:
    return URIRef(f"{settings.base_iri}id/submission/{submission_id}")


def get(store: Store, settings: Settings, submission_id: str) -> Submission | None:
    """The submission of that id, or None (also for an id that cannot be one)."""
    if not isinstance(submission_id, str) or not _ID.fullmatch(submission_id):
        return None
    found = _read(store, settings, submission_iri(settings, submission_id))
    return found[0] if found else None


def list_submissions(store: Store, settings: Settings, status: str | None = None) -> list[Submission]:
    """Every submission (or those of one status), newest first."""
    if status is not None and status not in STATUSES:
        raise SubmissionError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    return [s for s in _read(store, settings, None) if status is None or s.status == status]


def content(store: Store, settings: Settings, submission_id: str) -> Graph:
    """The submitted content, as it was submitted."""
    if get(store, settings, submission_id) is None:
        raise SubmissionError(f"no submission {submission_id!r}")
    return store.read_graph(settings.submission_graph(submission_id))


def typed_records(content: Graph) -> tuple[URIRef, ...]:
    """The records of ``content``: the IRIs typed with a class a submission may hold."""
    return tuple(sorted({s for c in SUBMITTABLE_CLASSES for s in content.subjects(RDF.type, c)
                         if isinstance(s, URIRef)}, key=str))


SUBMISSIONS_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?moderation ?s ?status ?channel ?created ?graph ?name ?mbox WHERE {
  GRAPH ?moderation {
    ?s a tsc:Submission ; tsc:submissionStatus ?status ; tsc:channel ?channel ; dcterms:created ?created ;
       tsc:contentGraph ?graph ; prov:wasAttributedTo ?agent .
    OPTIONAL { ?agent foaf:name ?name }
    OPTIONAL { ?agent foaf:mbox ?mbox }
  }
}
"""

RECORDS_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT ?moderation ?s ?property ?record WHERE {
  GRAPH ?moderation { VALUES ?property { tsc:aboutRecord tsc:edits } ?s ?property ?record }
}
"""

EVENTS_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?moderation ?s ?event ?status ?at ?by ?reason WHERE {
  GRAPH ?moderation {
    ?s tsc:moderationEvent ?event . ?event tsc:submissionStatus ?status ; prov:endedAtTime ?at .
    OPTIONAL { ?event prov:wasAssociatedWith ?agent . ?agent foaf:name ?by }
    OPTIONAL { ?event rdfs:comment ?reason }
  }
}
"""

PENDING_ABOUT_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT DISTINCT ?moderation ?pending ?record ?s WHERE {
  GRAPH ?moderation { ?s tsc:submissionStatus ?pending ; tsc:aboutRecord ?record }
}
"""

PUBLISHED_QUERY = "SELECT DISTINCT ?local ?record WHERE { GRAPH ?local { ?record a ?class } }"


def _read(store: Store, settings: Settings, iri: URIRef | None) -> list[Submission]:
    graph = {"moderation": URIRef(settings.moderation_graph)}
    one = {"s": iri} if iri is not None else {}
    rows = store.select(SUBMISSIONS_QUERY, bindings={**graph, **one})
    if not rows:
        return []
    records: dict[Node, set[URIRef]] = {}
    edits: dict[Node, URIRef] = {}
    for row in store.select(RECORDS_QUERY, bindings={**graph, **one}):
        if row["property"] == TSC.edits:
            edits[row["s"]] = row["record"]
        else:
            records.setdefault(row["s"], set()).add(row["record"])
    events: dict[Node, list[tuple[int, Event]]] = {}
    for row in store.select(EVENTS_QUERY, bindings={**graph, **one}):
        match = _EVENT.search(str(row["event"]))
        events.setdefault(row["s"], []).append((int(match.group(1)) if match else 0, Event(
            status=_status_name(row["status"]), at=_datetime(row["at"]),
            by=str(row["by"]) if "by" in row else None, reason=str(row["reason"]) if "reason" in row else None)))
    found = {}
    for row in rows:
        s = row["s"]
        submission_id = str(s).rsplit("/", 1)[-1]
        mbox = str(row.get("mbox", ""))
        found[s] = Submission(
            id=submission_id, iri=URIRef(s), graph=str(row["graph"]), status=_status_name(row["status"]),
            channel=str(row["channel"]), created=_datetime(row["created"]),
            submitter=Submitter(name=str(row.get("name", "")), email=unquote(mbox[len("mailto:"):]) if mbox else ""),
            records=tuple(sorted(records.get(s, ()), key=str)), edits=edits.get(s),
            history=tuple(e for _n, e in sorted(events.get(s, []), key=lambda item: item[0])),
        )
    return sorted(found.values(), key=lambda sub: (sub.created, sub.id), reverse=True)


def _get_or_fail(store: Store, settings: Settings, submission_id: str) -> Submission:
    found = get(store, settings, submission_id)
    if found is None:
        raise SubmissionError(f"no submission {submission_id!r}")
    return found


def _pending_or_fail(store: Store, settings: Settings, submission_id: str) -> Submission:
    submission = _get_or_fail(store, settings, submission_id)
    if submission.status != "pending":
        raise SubmissionError(f"submission {submission_id} is {submission.status}: only a pending submission can be decided")
    return submission


def _published(store: Store, settings: Settings, records) -> set[URIRef]:
    """Those of ``records`` that the local graph holds as typed records."""
    published = set()
    for record in records:
        if store.select(PUBLISHED_QUERY, bindings={"local": URIRef(settings.local_graph), "record": record}):
            published.add(URIRef(record))
    return published


def _pending_about(store: Store, settings: Settings, records) -> list[URIRef]:
    found: set[URIRef] = set()
    for record in records:
        rows = store.select(PENDING_ABOUT_QUERY, bindings={
            "moderation": URIRef(settings.moderation_graph), "pending": status_concept("pending"), "record": record})
        found.update(URIRef(r["s"]) for r in rows)
    return sorted(found, key=str)


def _superseded_by(store: Store, settings: Settings, supersedes: str, records, submitter: Submitter) -> list[URIRef]:
    """The submission ``supersedes`` names, if this submission (of ``records``, from ``submitter``) may replace it."""
    earlier = get(store, settings, supersedes)
    if (earlier is None or earlier.status != "pending" or not set(earlier.records) <= set(records)
            or earlier.submitter.email.casefold() != submitter.email.casefold()):
        raise SupersedeRefused()
    return [earlier.iri]


def conflicts(store: Store, settings: Settings, submission: Submission) -> list[Submission]:
    """The other pending submissions about any of ``submission``'s records, newest first: what an editor must
    weigh before deciding it (approving one may make another an edit of a record it did not know of)."""
    found = [_read(store, settings, iri) for iri in _pending_about(store, settings, submission.records)
             if iri != submission.iri]
    return sorted((s for one in found for s in one), key=lambda sub: (sub.created, sub.id), reverse=True)


def _next_event(store: Store, settings: Settings, iri: URIRef) -> int:
    rows = store.select(EVENTS_QUERY, bindings={"moderation": URIRef(settings.moderation_graph), "s": iri})
    numbers = [int(m.group(1)) for r in rows if (m := _EVENT.search(str(r["event"])))]
    return max(numbers, default=0) + 1


# ------------------------------------------------------------------ the submission rules


def _problems(content: Graph, settings: Settings, published_elsewhere: set) -> list[tuple[Node, Node | None, Node | None, str, str]]:
    """What the shapes cannot say: which records a submission may hold. (focus, path, value, en, fr)."""
    problems: list[tuple[Node, Node | None, Node | None, str, str]] = []
    records = set(typed_records(content))
    if not records:
        problems.append((BNode("content"), None, None,
                         "The submission holds no record: give it a type (project, actor, cooperation offer or "
                         "request, best practice, lesson learned or case study).",
                         "La contribution ne contient aucune fiche : donnez-lui un type (projet, acteur, offre ou "
                         "demande de coopération, bonne pratique, enseignement tiré ou étude de cas)."))
    for s, p, o in sorted(content, key=lambda t: tuple(map(str, t))):
        for term in (s, p, o, getattr(o, "datatype", None)):
            if isinstance(term, URIRef) and not is_iri(str(term)):  # as the store checks it: never a failed write
                problems.append((s, p, term, "This is not a valid IRI.", "Ceci n'est pas une IRI valide."))
        if p == RDF.type and isinstance(o, URIRef) and o.startswith(str(TSC)) and o not in SUBMITTABLE_CLASSES:
            problems.append((s, p, o,
                             "Only projects, actors, cooperation offers and requests, best practices, lessons "
                             "learned and case studies may be submitted, not this kind of record.",
                             "Seuls les projets, acteurs, offres et demandes de coopération, bonnes pratiques, "
                             "enseignements tirés et études de cas peuvent être proposés, pas ce type de fiche."))
    subjects = {s for s in content.subjects() if not isinstance(s, BNode)}
    for s in sorted(subjects, key=str):
        if str(s).startswith(RESERVED_NAMESPACE):
            problems.append((s, None, None,
                             "A submission may not describe the ontology or its reference vocabularies (GBF "
                             "targets, CBD articles, places, concepts).",
                             "Une contribution ne peut pas décrire l'ontologie ni ses vocabulaires de référence "
                             "(cibles du Cadre mondial, articles de la CDB, lieux, concepts)."))
        elif s not in records:
            problems.append((s, None, None,
                             "Only the submitted records may be described: this one has no record type "
                             "(project, actor, offer, request, knowledge resource).",
                             "Seules les fiches proposées peuvent être décrites : celle-ci n'a pas de type de "
                             "fiche (projet, acteur, offre, demande, ressource de connaissance)."))
        elif not str(s).startswith(settings.base_iri + "id/") or str(s).startswith(settings.base_iri + "id/submission/"):
            problems.append((s, None, None,
                             f"A record's IRI must start with {settings.base_iri}id/ (followed by its kind and a name).",
                             f"L'IRI d'une fiche doit commencer par {settings.base_iri}id/ (suivi de son type et d'un nom)."))
        elif s in published_elsewhere:
            problems.append((s, None, None,
                             "This record is already published: send the change as an edit of it.",
                             "Cette fiche est déjà publiée : envoyez la modification comme une modification de cette fiche."))
    reachable = _blank_nodes_reachable(content, records)
    for s in sorted({s for s in content.subjects() if isinstance(s, BNode)} - reachable, key=str):
        problems.append((s, None, None, "This blank node is not attached to any submitted record.",
                         "Ce nœud anonyme n'est rattaché à aucune fiche proposée."))
    return problems


def _blank_nodes_reachable(content: Graph, records) -> set[BNode]:
    seen: set[BNode] = set()
    todo = [o for r in records for o in content.objects(r, None) if isinstance(o, BNode)]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(o for o in content.objects(node, None) if isinstance(o, BNode))
    return seen


def _with_problems(report: ValidationReport, problems) -> ValidationReport:
    """The SHACL report with the rule violations added as results of the same sh:ValidationReport."""
    if not problems:
        return report
    graph = Graph()
    graph += report.graph
    node = graph.value(predicate=RDF.type, object=SH.ValidationReport)
    if node is None:
        node = BNode()
        graph.add((node, RDF.type, SH.ValidationReport))
    graph.set((node, SH.conforms, Literal(False)))
    for focus, path, value, en, fr in problems:
        result = BNode()
        graph.add((node, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, focus))
        graph.add((result, SH.resultSeverity, SH.Violation))
        graph.add((result, SH.resultMessage, Literal(en, lang="en")))
        graph.add((result, SH.resultMessage, Literal(fr, lang="fr")))
        if path is not None:
            graph.add((result, SH.resultPath, path))
        if value is not None:
            graph.add((result, SH.value, value))
    return report_from_graph(graph)


def _check_submitter(submitter: Submitter) -> None:
    if not isinstance(submitter, Submitter):
        raise SubmissionError("the submitter must be a Submitter(name, email)")
    if submitter.email and not is_email(submitter.email):
        raise SubmissionError(f"{submitter.email!r} is not an e-mail address")


def _check_editor(editor: str) -> None:
    if not isinstance(editor, str) or not editor.strip():
        raise SubmissionError("the editor's name is missing")


# ------------------------------------------------------------------ writing (SPARQL Update text)


def _status_change(settings: Settings, iri: URIRef, status: str, n: int, at: datetime, editor: str | None,
                   reason: Literal | None, extra=()) -> list[str]:
    mod = _iri(settings.moderation_graph)
    agent = None
    triples = []
    if editor is not None:
        agent = URIRef(f"{settings.base_iri}id/editor/{quote(editor.strip(), safe='')}")
        triples += [(agent, RDF.type, PROV.Agent), (agent, FOAF.name, Literal(editor.strip()))]
    triples += [(iri, TSC.submissionStatus, status_concept(status)), *_event_triples(iri, n, status, at, agent, reason),
                *extra]
    return [
        f"DELETE DATA {{ GRAPH {mod} {{ {_iri(iri)} {_iri(TSC.submissionStatus)} {_iri(status_concept('pending'))} }} }}",
        _insert_moderation(settings, triples),
    ]


def _insert_moderation(settings: Settings, triples) -> str:
    return f"INSERT DATA {{ GRAPH {_iri(settings.moderation_graph)} {{\n{_ntriples(triples)}\n}} }}"


def _event_iri(iri: URIRef, n: int) -> URIRef:
    return URIRef(f"{iri}#event-{n}")


def _event_triples(iri: URIRef, n: int, status: str, at: datetime, agent: URIRef | None,
                   reason: Literal | None = None) -> list:
    event = _event_iri(iri, n)
    triples = [
        (iri, TSC.moderationEvent, event),
        (event, RDF.type, TSC.ModerationEvent),
        (event, TSC.submissionStatus, status_concept(status)),
        (event, PROV.startedAtTime, _time(at)),
        (event, PROV.endedAtTime, _time(at)),
    ]
    if agent is not None:
        triples.append((event, PROV.wasAssociatedWith, agent))
    if reason is not None:
        triples.append((event, RDFS.comment, reason))
    return triples


def _ntriples(triples) -> str:
    """Triples as SPARQL data: every term serialised and escaped here, never pasted. Blank nodes are
    relabelled ``_:submitted0``… (fresh blank nodes in the store; no other operation uses these labels).
    Literals keep their lexical form (the engine itself canonicalises numbers: "1.50"^^xsd:decimal
    is stored as "1.5")."""
    labels: dict[BNode, str] = {}

    def term(t: Node) -> str:
        if isinstance(t, BNode):
            return labels.setdefault(t, f"_:submitted{len(labels)}")
        if isinstance(t, URIRef):
            return _iri(t)
        if isinstance(t, Literal):
            quoted = '"' + (str(t).replace("\\", "\\\\").replace('"', '\\"')
                            .replace("\n", "\\n").replace("\r", "\\r")) + '"'
            if t.language:
                return f"{quoted}@{t.language}"
            if t.datatype is not None and t.datatype != XSD.string:
                return f"{quoted}^^{_iri(t.datatype)}"
            return quoted
        raise SubmissionError(f"cannot store the term {t!r}")

    return "\n".join(f"{term(s)} {term(p)} {term(o)} ." for s, p, o in triples)


def _iri(iri) -> str:
    text = str(iri)
    if not is_iri(text):
        raise SubmissionError(f"not a valid IRI: {text!r}")
    return f"<{text}>"


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    return copy


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _time(at: datetime) -> Literal:
    return Literal(at.isoformat(timespec="microseconds"), datatype=XSD.dateTime)


def _datetime(value: Node) -> datetime:
    moment = value.toPython() if isinstance(value, Literal) else None
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return datetime.min.replace(tzinfo=timezone.utc)


def _status_name(concept: Node) -> str:
    return str(concept).rsplit("/", 1)[-1]
