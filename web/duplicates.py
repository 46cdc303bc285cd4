"""Likely duplicates for editors: proposed ``owl:sameAs`` links between records of different IRIs.

* ``/moderation/duplicates``: the proposals of :mod:`graph.duplicates` (best score first, one page of
  ``page_size`` at a time), both records side by side — names, websites, identifiers, the graphs each
  comes from — and why they look like one.
* ``/moderation/duplicates/confirm``, ``/dismiss`` (POST, CSRF token and a signed-in editor; form fields
  ``a`` and ``b``): a confirmation writes ``<a> owl:sameAs <b>`` into the local graph with the decision
  record (private moderation graph), a dismissal only the decision record; 400 for a pair that is not a
  current proposal; 303 back to the list. The query snapshots are renewed after each.

Every page here is private: ``Cache-Control: no-store`` and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, get_flashed_messages, redirect, render_template, request
from rdflib import URIRef

from graph import duplicates
from web import context, editors
from web.i18n import gettext as _
from web.labels import pick_text
from web.links import page_number
from web.security import check_form

bp = Blueprint("duplicates", __name__)


bp.after_request(editors.private_page)


def reason_names() -> dict[str, str]:
    return {"name": _("same name"), "website": _("same website"), "identifier": _("same identifier")}


def kind_names() -> dict[str, str]:
    return {"actor": _("Organisation"), "project": _("Project")}


def current() -> duplicates.Proposals:
    """The proposals, computed once per state of the data (a decision renews the state)."""
    return context.per_state("duplicates.proposals",  # decisions are private: keyed on every graph's state
                             lambda: duplicates.proposals(context.raw_store(), context.settings()), private=True)


def graph_name(graph: str) -> str:
    settings = context.settings()
    if graph == settings.local_graph:
        return _("local graph")
    prefix = settings.graph_base + "harvest/"
    if graph.startswith(prefix):
        return _("harvested from %(source)s", source=graph[len(prefix):])
    return graph


def record_view(record: duplicates.Record) -> dict:
    return {
        "iri": record.iri,
        "name": pick_text(sorted(record.names, key=lambda n: (n.language or "", str(n)))) or str(record.iri),
        "names": sorted({str(n) for n in record.names}),
        "websites": sorted(record.websites),
        "identifiers": sorted(record.identifiers),
        "graphs": [graph_name(g) for g in sorted(record.graphs)],
    }


@bp.route("/moderation/duplicates")
@editors.editor_required
def listing():
    page = page_number()
    found = current()
    size = context.settings().page_size
    shown = found.candidates[(page - 1) * size: page * size]
    rows = [{"candidate": c, "a": record_view(found.records[c.a]), "b": record_view(found.records[c.b])} for c in shown]
    return render_template(
        "duplicates.html", rows=rows, total=len(found.candidates), page=page, more=len(found.candidates) > page * size,
        reasons=reason_names(), kinds=kind_names(), editor=editors.current_editor(), notices=get_flashed_messages(),
    )


def _pair() -> tuple[duplicates.Candidate, URIRef, URIRef]:
    a, b = request.form.get("a", "").strip(), request.form.get("b", "").strip()
    if not a or not b:
        abort(400, description=_("Name both records: form fields a and b."))
    candidate = current().find(URIRef(a), URIRef(b))
    if candidate is None:
        abort(400, description=_("These two records are not a current duplicate proposal."))
    return candidate, URIRef(a), URIRef(b)


def _decide(decision, message: str, *, public: bool):
    check_form()
    candidate, a, b = _pair()
    try:
        decision(context.raw_store(), context.settings(), a, b, editors.current_editor(), candidate.reasons)
    except duplicates.DuplicateError:
        abort(400, description=_("These two records are not a current duplicate proposal."))
    context.snapshots().refresh(public=public)
    flash(message)
    return redirect("/moderation/duplicates", code=303)


@bp.route("/moderation/duplicates/confirm", methods=["POST"])
@editors.editor_required
def confirm():
    return _decide(duplicates.confirm, _("Confirmed: the owl:sameAs link is published in the local graph."), public=True)


@bp.route("/moderation/duplicates/dismiss", methods=["POST"])
@editors.editor_required
def dismiss():
    return _decide(duplicates.dismiss, _("Dismissed: this pair will not be proposed again."),
                   public=False)  # only the private decision is recorded
