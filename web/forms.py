"""Submission forms generated from the shapes, the submitter's status page, the shapes documentation.

* ``GET /submit`` chooses what to submit; ``GET|POST /submit/<kind>`` is the form of one kind
  (``?edit=<record path or IRI>`` prefills it from a published record: an edit goes through the
  same moderation). The form model comes from :mod:`graph.shapeforms`; on POST the typed values
  become RDF, validated by :func:`graph.submissions.submit` with the same shapes as everything else.
  A refusal shows each result next to the field that caused it, in the reader's language, with what
  was typed kept (422); a conforming submission is stored as pending and answered with a redirect
  to its status page.
* ``GET /submissions/<id>``: the status of one submission for whoever holds its unguessable id —
  its dates and history, the rejection reason, never the submitter's or the editors' identity.
* ``GET /shapes`` documents every shape (HTML), or gives the shapes as Turtle (``Accept:
  text/turtle`` or ``/shapes.ttl``).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from graph import shapeforms as sf
from graph import submissions
from graph.describe import outgoing_closure
from graph.iris import is_iri
from graph.namespaces import TSC, bind_prefixes
from graph.store.view import PublicView
from web import context
from web.i18n import current_lang, language_name
from web.i18n import gettext as _
from web.links import href, iri_for_path
from web.security import check_form, rate_limited

bp = Blueprint("forms", __name__)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SUBMITTER_NAME, SUBMITTER_EMAIL, EDIT_KEY = "submitter-name", "submitter-email", "edit"

#: The records of a class and of its subclasses, with their names (a directory to pick from).
DIRECTORY_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?cls ?r ?label WHERE {
  ?c rdfs:subClassOf* ?cls . ?r a ?c . FILTER(isIRI(?r))
  OPTIONAL { { ?r skos:prefLabel ?label } UNION { ?r dcterms:title ?label } }
}"""
TYPES_QUERY = "SELECT ?r ?t WHERE { ?r a ?t }"


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
        for row in context.store().select(DIRECTORY_QUERY, bindings={"cls": cls}):
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
    return iri


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
    if request.method == "GET":
        data = sf.record_data(form, _published(edits), edits, languages) if edits else {}
        return _render(kind, form, data, edits)

    check_form()
    data = {key: request.form.getlist(key) for key in request.form}
    errors: dict[str, list[str]] = {}
    name = " ".join(sf.values(data, SUBMITTER_NAME))
    email = " ".join(sf.values(data, SUBMITTER_EMAIL))
    if not name:
        errors[SUBMITTER_NAME] = [_("Give your name: the editors may need to know who sent this.")]
    if not EMAIL.fullmatch(email):
        errors[SUBMITTER_EMAIL] = [_("Give an e-mail address where the editors can reach you (name@example.org).")]
    type_field = form.field(sf.TYPE_KEY)
    if type_field and not (set(sf.values(data, sf.TYPE_KEY)) & type_field.option_values()):
        errors[sf.TYPE_KEY] = [_("Choose one of the kinds.")]
    settings = context.settings()
    segment = sf.KINDS[kind][1]
    record = edits or sf.mint(settings.base_iri, segment, sf.first_text(form, data, languages))
    built = sf.build_graph(form, data, record, settings.base_iri, languages, lang=current_lang())
    if edits:
        built.graph += sf.carried_over(form, _published(edits), edits, languages)
    if errors:  # the shapes' verdict too, so that everything is said at once
        report = context.validator().validate(built.graph)
        return _render(kind, form, data, edits, built=built, report=report, errors=errors)

    try:
        submission = submissions.submit(
            context.raw_store(), context.validator(), settings, built.graph,
            submissions.Submitter(name, email), "form", edits=edits)
    except submissions.SubmissionRefused as refused:
        return _render(kind, form, data, edits, built=built, report=refused.report, errors=errors)
    context.query_pool().snapshots.refresh()
    return redirect(url_for("forms.status", submission_id=submission.id, new=1), 303)


def _render(kind, form, data, edits, *, built=None, report=None, errors=None):
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
    failed = bool(field_errors or loose)
    body = render_template(
        "form.html", kind=kind, title=kind_names()[kind], form=form, data=data, edits=edits,
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
    return render_template("submission_status.html", submission=submission, records=records,
                           new=request.args.get("new") == "1", edits=submission.edits, href=href,
                           status_names=status_names())


def status_names() -> dict[str, str]:
    return {"pending": _("pending moderation"), "approved": _("approved and published"),
            "rejected": _("rejected"), "superseded": _("superseded by a later submission")}


# ------------------------------------------------------------------ the shapes, documented


def _wants_turtle() -> bool:
    if request.args.get("format") in ("ttl", "turtle"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "text/turtle", "application/x-turtle"])
    return best in ("text/turtle", "application/x-turtle") and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _turtle() -> Response:
    text = bind_prefixes(context.validator().shapes).serialize(format="turtle")
    return Response(text, mimetype="text/turtle", headers={"Vary": "Accept"})


@bp.get("/shapes.ttl")
def shapes_turtle():
    return _turtle()


@bp.get("/shapes")
def shapes_doc():
    if _wants_turtle():
        return _turtle()
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
