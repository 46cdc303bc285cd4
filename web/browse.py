"""Browsing the raw graph: what it holds (graphs, classes), instances of a class, any resource by IRI.

These are the analysts' pages, beside the clearing-house's own (actors, projects, targets…): every
page is also data (``format=json``), and ``/resource?iri=`` shows any IRI, ours or not.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from rdflib import Literal, URIRef
from rdflib.term import Node
from werkzeug.exceptions import ServiceUnavailable

from graph.iris import is_iri
from graph.stats import store_stats
from graph.workers.pool import PoolError
from web import context
from web.i18n import gettext as _
from web.labels import compact, label, labels_of, pick_label
from web.links import page_number

bp = Blueprint("browse", __name__)

#: No ORDER BY: sorting every instance's IRI took 750 ms for 25k projects at 1M triples, while the
#: engine's index order is stable for a given state of the store; each page is sorted for display.
INSTANCES_PAGED = """
SELECT DISTINCT ?class ?instance WHERE {{ ?instance a ?class }} LIMIT {limit} OFFSET {offset}
"""
#: Sorted in Python: ORDER BY over a busy resource's incoming links cost 54 ms at 1M, the scan 1.5 ms.
OUTGOING_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
INCOMING_LIMIT = 500
INCOMING_QUERY = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {INCOMING_LIMIT}"


def _wants_json() -> bool:
    return request.args.get("format") == "json"


def _iri_arg() -> URIRef:
    iri = request.args.get("iri", "").strip()
    if "://" not in iri and not iri.startswith("urn:") or not is_iri(iri):
        abort(400, description=_("The parameter iri must be an absolute IRI."))
    return URIRef(iri)


@bp.app_template_filter("compact")
def _compact_filter(term: Node) -> str:
    return compact(term)


@bp.get("/graph")
def graph_contents():
    stats = store_stats(context.store())
    queries = context.catalogue()
    if _wants_json():
        return jsonify(
            triples=stats.total,
            graphs=[{"graph": str(g), "triples": int(n)} for g, n in stats.graphs],
            classes=[{"class": str(c), "instances": int(n)} for c, n in stats.classes],
            queries=[{"name": q.name, "summary": q.summary} for q in queries.values()],
        )
    labels = labels_of(c for c, _n in stats.classes)
    classes = [(c, pick_label(c, labels.get(c, {})), int(n)) for c, n in stats.classes]
    return render_template("graph.html", stats=stats, classes=classes, queries=queries.values())


@bp.get("/class")
def instances():
    cls = _iri_arg()
    page_size = context.settings().page_size
    page = page_number()
    query = INSTANCES_PAGED.format(limit=page_size + 1, offset=(page - 1) * page_size)
    rows = [r["instance"] for r in context.store().select(query, bindings={"class": cls})]
    labels = labels_of(rows)
    rows = rows[:page_size + 1]
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    items = sorted(((r, pick_label(r, labels.get(r, {}))) for r in rows), key=lambda item: (item[1].casefold(), str(item[0])))
    if _wants_json():
        return jsonify(
            {"class": str(cls), "page": page, "next": has_next, "instances": [{"iri": str(i), "label": lbl} for i, lbl in items]}
        )
    return render_template(
        "class.html", cls=cls, cls_label=label(cls), items=items, page=page, has_next=has_next
    )


@bp.get("/resource")
def resource():
    return resource_page(_iri_arg())


def resource_page(iri: URIRef):
    """The generic page of any resource: its statements both ways, with labels."""
    store = context.store()
    outgoing = sorted(store.select(OUTGOING_QUERY, bindings={"s": iri}), key=lambda r: (str(r["p"]), str(r["o"])))
    incoming = sorted(store.select(INCOMING_QUERY, bindings={"o": iri}), key=lambda r: (str(r["p"]), str(r["s"])))
    if not outgoing and not incoming:
        abort(404, description=_("Nothing is known about <%(iri)s>.", iri=str(iri)))
    if _wants_json():
        return jsonify(
            iri=str(iri),
            label=label(iri),
            outgoing=[{"p": str(r["p"]), "o": str(r["o"])} for r in outgoing],
            incoming=[{"s": str(r["s"]), "p": str(r["p"])} for r in incoming],
        )
    labels = labels_of([iri] + [r["p"] for r in outgoing] + [r["o"] for r in outgoing]
                       + [r["s"] for r in incoming] + [r["p"] for r in incoming])
    name = lambda term: pick_label(term, labels.get(term, {}))  # noqa: E731
    out = [(r["p"], name(r["p"]), r["o"], _object_label(r["o"], name)) for r in outgoing]
    inc = [(r["s"], name(r["s"]), r["p"], name(r["p"])) for r in incoming]
    return render_template(
        "resource.html", iri=iri, title=name(iri), outgoing=out, incoming=inc, incoming_limit=INCOMING_LIMIT
    )


def _object_label(term: Node, name) -> str:
    if isinstance(term, Literal):
        return str(term) + (f" @{term.language}" if term.language else "")
    return name(term)


@bp.app_errorhandler(PoolError)
def stopped_work(error: PoolError):
    """Work a worker pool could not do (busy, stopped at its time limit, crashed): 503 with the reason; nothing
    was written, since every write validates before it writes."""
    return error_page(ServiceUnavailable(description=_("This could not be done now: %(reason)s.", reason=str(error))))


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(409)
@bp.app_errorhandler(413)
@bp.app_errorhandler(500)
def error_page(error):
    code = getattr(error, "code", 500)
    message = getattr(error, "description", str(error))
    if message == getattr(type(error), "description", None):  # Werkzeug's generic English text
        message = {
            400: _("The request could not be understood."),
            404: _("There is no page at this address."),
            413: _("The request is larger than this server accepts (%(limit)s bytes at most).",
                   limit=context.settings().max_request_bytes),
            500: _("Something went wrong on the server."),
        }.get(code, message)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=code), code
    titles = {400: _("Bad request"), 403: _("Forbidden"), 404: _("Not found"), 409: _("Conflict"),
              413: _("Request too large"), 500: _("Server error"), 503: _("Service unavailable")}
    return render_template("error.html", code=code, title=titles.get(code, _("Error")), message=message), code
