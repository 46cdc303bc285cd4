"""Submission forms generated from the shapes, the submitter's status page, the shapes documentation.

* ``GET /submit`` chooses what to submit; ``GET|POST /submit/<kind>`` is the form of one kind
  (``?edit=<record path or IRI>`` prefills it from a published record of the local graph: an edit goes
  through the same moderation; a harvested record is refused, 400 — it is edited at its partner node, and
  the next harvest would undo a local copy; ``?supersedes=<submission id>`` prefills it from the sender's
  own pending submission, which the corrected version replaces, see :func:`graph.submissions.submit`).
  The form model comes from :mod:`graph.shapeforms`; on POST the typed values become RDF, validated by
  :func:`graph.submissions.submit` with the same shapes as everything else. A refusal shows each result
  next to the field that caused it, in the reader's language, with what was typed kept (422); a
  conforming submission is stored as pending and answered with a redirect to its status page.
* ``GET /submissions/<id>``: the status of one submission for whoever holds its unguessable id —
  its dates and history, the rejection reason, never the submitter's or the editors' identity.
* ``GET /shapes`` documents every shape (HTML), or gives the shapes as Turtle (``Accept:
  text/turtle`` or ``/shapes.ttl``).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from graph import shapeforms as sf
from graph import submissions
from graph.describe import outgoing_closure
from graph.formats import GRAPH_FORMATS, HTML, Format, graph_document, preferred_format
from graph.iris import is_iri
from graph.namespaces import TSC, bind_prefixes
from graph.store.view import PublicView
from graph.text import is_email
from web import context
from web.i18n import current_lang, language_name
from web.i18n import gettext as _
from web.links import href, iri_for_path
from web.security import check_form, rate_limited

bp = Blueprint("forms", __name__)

SUBMITTER_NAME, SUBMITTER_EMAIL, EDIT_KEY, SUPERSEDES_KEY = "submitter-name", "submitter-email", "edit", "supersedes"

#: The records of a class and of its subclasses, with their names (a directory to pick from).
#: The class and its subclasses, asked apart: with the class bound, the engine evaluates the path inside the
#: records' query ten times slower than the two queries together (10 ms against 1 ms at the bundled size).
SUBCLASSES_QUERY = "SELECT DISTINCT ?c WHERE {{ ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* {cls} }}"
DIRECTORY_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?r ?label WHERE {{
  VALUES ?c {{ {classes} }} ?r a ?c . FILTER(isIRI(?r))
  OPTIONAL {{ {{ ?r skos:prefLabel ?label }} UNION {{ ?r dcterms:title ?label }} }}
}}"""
TYPES_QUERY = "SELECT ?r ?t WHERE { ?r a ?t }"
GRAPHS_QUERY = "SELECT DISTINCT ?r ?g WHERE { GRAPH ?g { ?r a ?t } }"


def kind_names() -> dict[str, str]:
    return {"project": _("Add a project"), "organisation": _("Register an organisation"),
            "offer": _("Post a cooperation offer"), "request": _("Post a cooperation request"),
            "knowledge": _("Share a knowledge resource")}


def forms() -> dict[str, sf.Form]:
    """The form of each kind, built once per app from the validator's shapes."""
    built = current_app.extensions.get("tscgraph.forms")
    if built is None:
        v = context.validator()
        built = current_app.extensions["tscgraph.forms"] = sf.forms_of(v.shapes, v.ontology, context.settings().languages)
    return built


def directory(classes: set[URIRef]) -> dict[URIRef, list[sf.Option]]:
    """class → the published records of that class to choose from (per state of the data)."""

    def compute(cls: URIRef) -> list[sf.Option]:
        found: dict[URIRef, dict[str, str]] = {}
        store = context.store()
        classes = " ".join(row["c"].n3() for row in store.select(SUBCLASSES_QUERY.format(cls=cls.n3()))
                           if isinstance(row["c"], URIRef)) or cls.n3()
        for row in store.select(DIRECTORY_QUERY.format(classes=classes)):
            labels = found.setdefault(row["r"], {})
            if "label" in row:
                labels.setdefault(row["label"].language or "", str(row["label"]))
        options = [sf.Option(r, labels) for r, labels in found.items()]
        return sorted(options, key=lambda o: (o.label("en").casefold(), str(o.value)))

    return {cls: context.per_state(("forms.directory", str(cls)), lambda cls=cls: compute(cls)) for cls in classes}


def form_for(kind: str) -> sf.Form:
    form = forms().get(kind)
    if form is None:
        abort(404, description=_("There is no form for %(kind)s: choose one of the forms listed at /submit.", kind=repr(kind)))
    needed = {f.cls for f in form.all_fields() if f.widget == "reference" and f.cls is not None}
    return sf.with_directory(form, directory(needed)) if needed else form


@bp.get("/submit")
def choose():
    return render_template("submit.html", kinds=kind_names(), forms=forms(), sf=sf)


def _edited_record(form: sf.Form, asked: str) -> URIRef:
    """The published record ``?edit=`` names (a path like ``/id/project/x`` or its IRI), of this form's kind."""
    asked = asked.strip()
    iri = URIRef(asked) if re.match(r"https?://", asked) else iri_for_path(asked) if asked.startswith("/") else None
    if iri is None or not is_iri(str(iri)):
        abort(400, description=_("The parameter edit names a record by its path (/id/…) or its IRI."))
    types = {r["t"] for r in context.store().select(TYPES_QUERY, bindings={"r": iri})}
    if not types:
        abort(404, description=_("Nothing is known about <%(iri)s>.", iri=str(iri)))
    if not types & set(form.classes):
        abort(400, description=_("<%(iri)s> is not a record of this kind: it cannot be edited with this form.", iri=str(iri)))
    settings = context.settings()
    graphs = {str(r["g"]) for r in context.store().select(GRAPHS_QUERY, bindings={"r": iri})}
    if settings.local_graph not in graphs:
        harvests = sorted(g[len(settings.harvest_graph("")):] for g in graphs if g.startswith(settings.harvest_graph("")))
        if harvests:  # the partner's record: changed at its source, or the next harvest undoes it
            abort(400, description=_("<%(iri)s> was harvested from the partner node %(source)s: it is changed at its "
                                     "source, not here.", iri=str(iri), source=harvests[0]))
        abort(400, description=_("<%(iri)s> is not a record of this clearing-house: it cannot be edited here.", iri=str(iri)))
    return iri


def _superseded(form: sf.Form, asked: str, edits: URIRef | None) -> submissions.Submission:
    """The submission ``?supersedes=`` names, which this form's corrected version of it would replace (whether it
    may, :func:`graph.submissions.submit` decides when it is sent: pending, from the same address)."""
    earlier = submissions.get(context.raw_store(), context.settings(), asked)
    if earlier is None:
        abort(404, description=_("There is no submission %(id)s.", id=asked))
    content = submissions.content(context.raw_store(), context.settings(), earlier.id)
    fits = len(earlier.records) == 1 and any((earlier.records[0], RDF.type, c) in content for c in form.classes)
    if not fits or (edits is not None and edits != earlier.edits):
        abort(400, description=_("This submission cannot be corrected with this form."))
    return earlier


def correction_kind(submission: submissions.Submission, content: Graph) -> str | None:
    """The form that can send a corrected version of ``submission`` (one record of a form's kind), if any."""
    if len(submission.records) != 1:
        return None
    record = submission.records[0]
    return next((kind for kind, form in forms().items() if any((record, RDF.type, c) in content for c in form.classes)),
                None)


def _published(iri: URIRef) -> Graph:
    """The record as curated in the local graph: not the record log's or the reports' statements about it,
    which an approved edit would otherwise copy into the local graph."""
    local = context.settings().local_graph
    graph = Graph()
    for triple in outgoing_closure(PublicView(context.raw_store(), lambda g: g == local), [iri]):
        graph.add(triple)
    return graph


@bp.route("/submit/<kind>", methods=["GET", "POST"])
@rate_limited
def submit_form(kind: str):
    form = form_for(kind)
    languages = context.settings().languages
    edit_arg = request.values.get(EDIT_KEY, "")
    edits = _edited_record(form, edit_arg) if edit_arg else None
    supersedes_arg = request.values.get(SUPERSEDES_KEY, "").strip()
    earlier = _superseded(form, supersedes_arg, edits) if supersedes_arg else None
    if earlier is not None:
        edits = earlier.edits
    if request.method == "GET":
        if earlier is not None:
            if earlier.status != "pending":
                abort(409, description=_("This submission is no longer pending: send a new one instead."))
            content = submissions.content(context.raw_store(), context.settings(), earlier.id)
            data = sf.record_data(form, content, earlier.records[0], languages)
        else:
            data = sf.record_data(form, _published(edits), edits, languages) if edits else {}
        return _render(kind, form, data, edits, supersedes=earlier)

    check_form()
    data = {key: request.form.getlist(key) for key in request.form}
    errors: dict[str, list[str]] = {}
    name = " ".join(sf.values(data, SUBMITTER_NAME))
    email = " ".join(sf.values(data, SUBMITTER_EMAIL))
    if not name:
        errors[SUBMITTER_NAME] = [_("Give your name: the editors may need to know who sent this.")]
    if not is_email(email):
        errors[SUBMITTER_EMAIL] = [_("Give an e-mail address where the editors can reach you (name@example.org).")]
    type_field = form.field(sf.TYPE_KEY)
    if type_field and not (set(sf.values(data, sf.TYPE_KEY)) & type_field.option_values()):
        errors[sf.TYPE_KEY] = [_("Choose one of the kinds.")]
    settings = context.settings()
    segment = sf.KINDS[kind][1]
    record = edits or (earlier.records[0] if earlier is not None else
                       sf.mint(settings.base_iri, segment, sf.first_text(form, data, languages)))
    built = sf.build_graph(form, data, record, settings.base_iri, languages, lang=current_lang())
    if edits:
        built.graph += sf.carried_over(form, _published(edits), edits, languages)
    if errors:  # the shapes' verdict too, so that everything is said at once
        report = context.validating().validate(built.graph)
        return _render(kind, form, data, edits, built=built, report=report, errors=errors, supersedes=earlier)

    try:
        submission = submissions.submit(
            context.raw_store(), context.validating(), settings, built.graph,
            submissions.Submitter(name, email), "form", edits=edits,
            supersedes=earlier.id if earlier is not None else None)
    except submissions.SubmissionRefused as refused:
        return _render(kind, form, data, edits, built=built, report=refused.report, errors=errors, supersedes=earlier)
    except submissions.SupersedeRefused:
        return _render(kind, form, data, edits, errors=errors, supersedes=earlier, problems=[_(
            "This corrected version cannot replace your earlier submission: it is no longer pending, or it was sent "
            "from another e-mail address. Give the address you used then, or send this as a new submission.")])
    except submissions.SubmissionError as exc:  # the record changed meanwhile (an edit of a record now gone)
        abort(409, description=str(exc))
    context.snapshots().refresh(public=False)  # a pending submission is private
    return redirect(url_for("forms.status", submission_id=submission.id, new=1), 303)


def _render(kind, form, data, edits, *, built=None, report=None, errors=None, supersedes=None, problems=()):
    lang = current_lang()
    field_errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
    field_warnings: dict[str, list[str]] = {}
    loose: list[str] = []
    if report is not None and built is not None:
        by_field, unplaced = sf.results_by_field(form, built, report)
        for key, results in by_field.items():
            for r in results:
                target = field_errors if r.severity_name == "Violation" else field_warnings
                messages = target.setdefault(key, [])
                if r.message(lang) not in messages:
                    messages.append(r.message(lang))
        loose = list(dict.fromkeys(r.message(lang) for r in unplaced if r.severity_name == "Violation"))
    loose = [*problems, *loose]
    failed = bool(field_errors or loose)
    body = render_template(
        "form.html", kind=kind, title=kind_names()[kind], form=form, data=data, edits=edits, supersedes=supersedes,
        errors=field_errors, warnings=field_warnings, loose=loose, failed=failed,
        form_languages=context.settings().languages, sf=sf, submitter_keys=(SUBMITTER_NAME, SUBMITTER_EMAIL),
        language_names={code: language_name(code) for code in context.settings().languages},
        actor_types=actor_types(),
    )
    return body, 422 if failed else 200


def actor_types() -> tuple[sf.Option, ...]:
    """The actor types a proposed new actor may have (the organisation form's own choice)."""
    organisation = forms().get("organisation")
    chooser = next((f for f in organisation.fields if f.path == TSC.actorType), None) if organisation else None
    return chooser.options if chooser else ()


@bp.get("/submissions/<submission_id>")
def status(submission_id: str):
    settings = context.settings()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", submission_id):
        abort(404, description=_("There is no submission %(id)s.", id=submission_id))
    submission = submissions.get(context.raw_store(), settings, submission_id)
    if submission is None:
        abort(404, description=_("There is no submission %(id)s.", id=submission_id))
    content = submissions.content(context.raw_store(), settings, submission_id)
    lang = current_lang()
    records = []
    for record in submission.records:
        names = [o for p in (DCTERMS.title, SKOS.prefLabel) for o in content.objects(record, p) if isinstance(o, Literal)]
        chosen = next((n for n in names if n.language == lang), names[0] if names else None)
        records.append({"iri": record, "name": str(chosen) if chosen is not None else str(record),
                        "published": submission.status == "approved"})
    correct = correction_kind(submission, content) if submission.status == "pending" else None
    response = make_response(render_template(
        "submission_status.html", submission=submission, records=records, new=request.args.get("new") == "1",
        edits=submission.edits, href=href, status_names=status_names(), correct=correct))
    # read from the private moderation records: never kept by a cache, which only knows the public state
    response.headers["Cache-Control"] = "no-store"
    return response


def status_names() -> dict[str, str]:
    return {"pending": _("pending moderation"), "approved": _("approved and published"),
            "rejected": _("rejected"), "superseded": _("superseded by a later submission")}


# ------------------------------------------------------------------ the shapes, documented


def _shapes_format() -> Format | None:
    """The page (first: browsers, ``*/*``) or the shapes graph in any RDF syntax, by ``format=`` or ``Accept``
    (:func:`graph.formats.preferred_format`); None when the client accepts none of them."""
    wanted = (request.args.get("format") or "").strip().lower()
    for fmt in (HTML,) + GRAPH_FORMATS:
        if wanted and (wanted in (fmt.key, fmt.media_type) or wanted in fmt.aliases):
            return fmt
    return preferred_format((HTML,) + GRAPH_FORMATS, request.headers.get("Accept"))


def _shapes_rdf(fmt: Format) -> Response:
    body = graph_document(bind_prefixes(context.validator().shapes), fmt)
    return Response(body, mimetype=fmt.media_type, headers={"Vary": "Accept"})


@bp.get("/shapes.ttl")
def shapes_turtle():
    return _shapes_rdf(GRAPH_FORMATS[0])


@bp.get("/shapes")
def shapes_doc():
    fmt = _shapes_format()
    if fmt is None:
        offered = ", ".join(f.media_type for f in (HTML,) + GRAPH_FORMATS)
        return Response(f"none of the requested media types can be produced; available: {offered}\n", status=406,
                        mimetype="text/plain", headers={"Vary": "Accept"})
    if fmt is not HTML:
        return _shapes_rdf(fmt)
    v = context.validator()
    documented = context.per_state(("forms.shapes",), lambda: sf.documented_shapes(v.shapes, v.ontology, context.settings().languages))
    kind_of = {form.shape: kind for kind, form in forms().items()}
    response = current_app.make_response(render_template(
        "shapes.html", shapes=documented, kind_of=kind_of, sf=sf, reasons=skip_reasons(), href=href,
        severity_names={"Violation": _("Violation"), "Warning": _("Warning"), "Info": _("Info")}))
    response.vary.add("Accept")
    return response


def skip_reasons() -> dict[str, str]:
    return {"no-group": _("no property group: set by the clearing-house, not in the form"),
            "deactivated": _("deactivated"),
            "read-only": _("read-only: set by the clearing-house, not in the form"),
            "complex-path": _("a path a form cannot fill (inverse or sequence)")}
