"""Moderation: editors sign in, read the queue, preview a submission as published, approve or reject it.

* ``/editor/login`` (GET, POST), ``/editor/logout`` (POST): credentials from the ``editors`` setting
  (:mod:`web.editors`); a failed sign-in is a 401 with one message whatever was wrong, rate limited per
  address and backed off per login (429 with ``Retry-After``); signing out ends the session everywhere.
* ``/moderation``: the submissions by status (pending first; approved, rejected and superseded ones are
  kept and listed too — nothing is deleted), newest first, one page of ``page_size`` at a time.
* ``/moderation/<id>``: one submission — submitter, channel, dates, history, its content as a table and
  as Turtle, the shapes' verdict on it now, and for an edit the statements it removes and adds; when other
  pending submissions are about the same records (sent by someone else: only a sender's own corrected
  version supersedes), a conflict notice lists them.
* ``/moderation/<id>/preview``: the record's own page over the public graphs plus the submission's.
* ``/moderation/<id>/approve``, ``/reject`` (POST, CSRF token and a signed-in editor): through
  :mod:`graph.submissions`, each one transaction; the query snapshots are renewed after each.

Every page here is private: ``Cache-Control: no-store`` and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SH, SKOS
from rdflib.term import Node

from graph.describe import outgoing_closure
from graph.namespaces import TSC, bind_prefixes
from graph.store.view import PublicView
from web import context, editors, pages
from web.i18n import gettext as _
from web.labels import Namer, pick_label, pick_text
from web.links import page_number
from web.security import check_form, rate_limited

if TYPE_CHECKING:
    from graph.submissions import Submission

bp = Blueprint("moderation", __name__)

STATUSES = ("pending", "approved", "rejected", "superseded")
TITLE_PREDICATES = (DCTERMS.title, SKOS.prefLabel)
MAX_REASON = 2000


@bp.record_once
def configure_sessions(state) -> None:
    """Editors' session cookies last :data:`web.editors.SESSION_LIFETIME` (their records in the store too)."""
    state.app.permanent_session_lifetime = editors.SESSION_LIFETIME


def status_names() -> dict[str, str]:
    return {"pending": _("Pending"), "approved": _("Approved"), "rejected": _("Rejected"), "superseded": _("Superseded")}


def severity_names() -> dict[str, str]:
    return {"Violation": _("Violation"), "Warning": _("Warning"), "Info": _("Information")}


def channel_names() -> dict[str, str]:
    return {"form": _("web form"), "api": _("API")}


bp.after_request(editors.private_page)


# ------------------------------------------------------------------ signing in and out


@bp.route("/editor/login", methods=["GET", "POST"])
@rate_limited
def login():
    target = editors.safe_next(request.values.get("next"))
    closed = not context.settings().editors
    if request.method == "GET":
        if editors.current_editor():
            return redirect(target, code=303)
        return render_template("editor_login.html", next=target, closed=closed, login="")
    check_form()
    name = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    wait = editors.login_backoff().attempt(name) if name else 0.0
    if wait > 0:  # failed too often for this login: refused before the password is even checked
        seconds = int(wait) + 1
        page = render_template("editor_login.html", next=target, closed=closed, login=name, failed=_(
            "Too many failed sign-ins for this login: try again in %(seconds)d seconds.", seconds=seconds))
        return page, 429, {"Retry-After": str(seconds)}
    editor = editors.check_credentials(context.settings(), name, password) if name and password else None
    if editor is None:
        return render_template("editor_login.html", next=target, closed=closed, login=name,
                               failed=_("Wrong login or password.")), 401
    editors.login_backoff().succeeded(name)
    editors.sign_in(editor)
    return redirect(target, code=303)


@bp.route("/editor/logout", methods=["POST"])
@rate_limited
def logout():
    check_form()
    editors.sign_out()
    return redirect("/", code=303)


# ------------------------------------------------------------------ reading submissions


def titles_of(content: Graph, records) -> str:
    found = [pick_text([o for p in TITLE_PREDICATES for o in content.objects(r, p) if isinstance(o, Literal)]) for r in records]
    return " · ".join(t for t in found if t) or ", ".join(str(r) for r in records)


def record_types(content: Graph, records) -> list[URIRef]:
    return sorted({t for r in records for t in content.objects(r, RDF.type) if isinstance(t, URIRef) and str(t).startswith(str(TSC))}, key=str)


def get_or_404(submission_id: str) -> Submission:
    from graph import submissions

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", submission_id):
        abort(404, description=_("There is no submission %(id)s.", id=submission_id))
    found = submissions.get(context.raw_store(), context.settings(), submission_id)
    if found is None:
        abort(404, description=_("There is no submission %(id)s.", id=submission_id))
    return found


@bp.route("/moderation")
@editors.editor_required
def queue():
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        abort(400, description=_("status is one of: %(statuses)s.", statuses=", ".join(STATUSES)))
    page = page_number()
    from graph import submissions

    store, settings = context.raw_store(), context.settings()
    everything = submissions.list_submissions(store, settings)
    counts = {s: sum(1 for sub in everything if sub.status == s) for s in STATUSES}
    chosen = [sub for sub in everything if sub.status == status]
    size = settings.page_size
    shown = chosen[(page - 1) * size: page * size]
    rows = []
    types: dict[str, list[URIRef]] = {}
    for sub in shown:
        content = submissions.content(store, settings, sub.id)
        types[sub.id] = record_types(content, sub.records)
        rows.append({"sub": sub, "title": titles_of(content, sub.records)})
    name = Namer({t for ts in types.values() for t in ts})
    for row in rows:
        row["kind"] = ", ".join(name(t) for t in types[row["sub"].id])
    return render_template(
        "moderation.html", rows=rows, status=status, counts=counts, statuses=status_names(), channels=channel_names(),
        page=page, more=len(chosen) > page * size, editor=editors.current_editor(), notices=get_flashed_messages(),
    )


@dataclass(frozen=True)
class Row:
    """One statement of a record as a person reads it: a property path (``Budget › Currency``) and a value."""

    path: tuple[URIRef, ...]
    value: Node


def record_rows(graph: Graph, subject: Node, path: tuple[URIRef, ...] = (), depth: int = 0) -> list[Row]:
    """The statements of ``subject``, blank nodes (a budget) opened into their own statements."""
    rows: list[Row] = []
    for p, o in sorted(graph.predicate_objects(subject), key=lambda po: (str(po[0]), str(po[1]))):
        if isinstance(o, BNode) and depth < 8:
            rows += record_rows(graph, o, path + (p,), depth + 1) or [Row(path + (p,), o)]
        else:
            rows.append(Row(path + (p,), o))
    return rows


def published_description(record: URIRef) -> Graph:
    """The record as the local graph holds it now (its triples and its blank nodes')."""
    settings = context.settings()
    local = PublicView(context.raw_store(), lambda iri: iri == settings.local_graph)
    graph = Graph()
    for triple in outgoing_closure(local, [record]):  # type: ignore[arg-type]
        graph.add(triple)
    return graph


def property_names() -> dict[URIRef, dict[str, str]]:
    """property → {language: name} from the shapes' ``sh:name`` (the forms' own field names)."""
    found = current_app.extensions.get("tscgraph.property_names")
    if found is None:
        shapes = context.validator().shapes
        found = {}
        for shape in sorted(shapes.subjects(SH.path, None), key=str):
            path = shapes.value(shape, SH.path)
            if isinstance(path, URIRef):
                names = found.setdefault(path, {})
                for name in shapes.objects(shape, SH.name):
                    if isinstance(name, Literal):
                        names.setdefault(name.language or "", str(name))
        current_app.extensions["tscgraph.property_names"] = found
    return found


class Shower:
    """Labels for property paths (the shapes' names) and values (the graph's labels, the submission's
    own included: the page reads through the preview)."""

    def __init__(self, rows: list[Row]):
        self.name = Namer({p for r in rows for p in r.path} | {r.value for r in rows if isinstance(r.value, URIRef)})
        self.properties = property_names()

    def property(self, p: URIRef) -> str:
        names = self.properties.get(p)
        return pick_label(p, names) if names else self.name(p)

    def result_path(self, path: Node) -> str:
        """A validation result's path: a property's name, or a complex path as it is written."""
        return self.property(path) if isinstance(path, URIRef) else str(path)

    def path(self, row: Row) -> str:
        return " › ".join(self.property(p) for p in row.path)

    def value(self, row: Row) -> dict:
        v = row.value
        if isinstance(v, URIRef):
            labelled = bool(self.name.labels.get(v))
            return {"text": self.name(v) if labelled else str(v), "iri": v, "labelled": labelled}
        if isinstance(v, Literal):
            return {"text": str(v), "lang": v.language}
        return {"text": "[]"}


@bp.route("/moderation/<submission_id>")
@editors.editor_required
def item(submission_id: str, refused_report=None, status_code: int = 200):
    from graph import submissions

    sub = get_or_404(submission_id)
    store, settings = context.raw_store(), context.settings()
    content = submissions.content(store, settings, sub.id)
    context.previewing(sub.graph)  # labels of what the submission itself proposes (a new organisation)
    records = []
    all_rows: list[Row] = []
    for record in sub.records:
        rows = record_rows(content, record)
        all_rows += rows
        records.append({"iri": record, "rows": rows, "title": titles_of(content, [record]),
                        "types": record_types(content, [record])})
    diff = None
    if sub.edits is not None:
        before = set(record_rows(published_description(sub.edits), sub.edits))
        after = set(record_rows(content, sub.edits))
        key = lambda r: (tuple(map(str, r.path)), str(r.value))  # noqa: E731
        diff = {"removed": sorted(before - after, key=key), "added": sorted(after - before, key=key),
                "kept": len(before & after)}
        all_rows += list(before ^ after)
    report = refused_report or context.validating(trusted=True).validate(content)
    extra = [t for r in records for t in r["types"]] + [n for r in report.results for n in (r.focus_node, r.path)
                                                       if isinstance(n, URIRef)]
    show = Shower(all_rows + [Row((t,), t) for t in extra])
    for record in records:
        record["kind"] = ", ".join(show.name(t) for t in record["types"])
    readable = bind_prefixes(Graph())
    readable += content
    turtle = readable.serialize(format="turtle")
    conflicts = [{"sub": other, "title": titles_of(submissions.content(store, settings, other.id), other.records)}
                 for other in submissions.conflicts(store, settings, sub)] if sub.status == "pending" else []
    return render_template(
        "moderation_item.html", sub=sub, records=records, diff=diff, show=show, report=report, turtle=turtle,
        conflicts=conflicts,
        refused=refused_report is not None, statuses=status_names(), severities=severity_names(), channels=channel_names(),
        editor=editors.current_editor(), notices=get_flashed_messages(), title=titles_of(content, sub.records),
    ), status_code


@bp.route("/moderation/<submission_id>/preview")
@editors.editor_required
def preview(submission_id: str):
    sub = get_or_404(submission_id)
    if not sub.records:
        abort(404, description=_("This submission holds no record to preview."))
    asked = request.args.get("record")
    record = next((r for r in sub.records if str(r) == asked), sub.records[0]) if asked else sub.records[0]
    context.previewing(sub.graph)
    g.preview_banner = (
        _("Preview — not published. This is how the page will look once the submission is approved.")
        + (" " + _("For an edit, this page shows the old and the new values together: the submission's page lists exactly what changes.")
           if sub.edits is not None else "")
    )
    types = [r["t"] for r in context.store().select("SELECT ?s ?t WHERE { ?s a ?t }", bindings={"s": record})]
    view = pages.view_for(types)
    if view is None:
        from web.browse import resource_page

        return resource_page(record)
    return view(record)


# ------------------------------------------------------------------ deciding


def decided(sub: Submission, message: str, *, public: bool):
    context.snapshots().refresh(public=public)
    flash(message)
    return redirect(url_for("moderation.item", submission_id=sub.id), code=303)


@bp.route("/moderation/<submission_id>/approve", methods=["POST"])
@editors.editor_required
def approve(submission_id: str):
    check_form()
    from graph import submissions

    get_or_404(submission_id)
    editor = editors.current_editor()
    try:
        sub = submissions.approve(context.raw_store(), context.validating(trusted=True), context.settings(),
                                  submission_id, editor)
    except submissions.SubmissionRefused as refused_:
        return item(submission_id, refused_report=refused_.report, status_code=422)
    except submissions.SubmissionError as exc:
        abort(409, description=str(exc))
    return decided(sub, _("Approved: the submission is now published."), public=True)


@bp.route("/moderation/<submission_id>/reject", methods=["POST"])
@editors.editor_required
def reject(submission_id: str):
    check_form()
    from graph import submissions

    get_or_404(submission_id)
    reason = request.form.get("reason", "").strip()
    if not reason:
        abort(400, description=_("Say why the submission is rejected: the submitter reads the reason."))
    if len(reason) > MAX_REASON:
        abort(400, description=_("The reason is longer than %(n)s characters.", n=MAX_REASON))
    try:
        sub = submissions.reject(context.raw_store(), context.settings(), submission_id, editors.current_editor(), reason)
    except submissions.SubmissionError as exc:
        abort(409, description=str(exc))
    return decided(sub, _("Rejected: the submitter can read the reason on the submission's status page."),
                   public=False)  # a rejection changes the moderation records only
