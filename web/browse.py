"""Browsing the graph: what it holds (graphs, classes), instances of a class, one resource, named queries.

Every page is also data: add ``format=json`` (and ``format=csv`` for query results).
Labels come from the graph in the asked language (``lang=en|fr``), falling back to the other.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.namespaces import namespace_manager
from graph.settings import Settings
from graph.stats import store_stats
from graph.store import Store

bp = Blueprint("browse", __name__)
_NM = namespace_manager()

LABELS_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?lang WHERE {
  VALUES ?p { skos:prefLabel dcterms:title rdfs:label }
  ?s ?p ?label . BIND(LANG(?label) AS ?lang)
}
"""
INSTANCES_PAGED = """
SELECT DISTINCT ?class ?instance WHERE {{ ?instance a ?class }} ORDER BY ?instance LIMIT {limit} OFFSET {offset}
"""
OUTGOING_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?p ?o"
INCOMING_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?p ?s LIMIT 500"


def _store() -> Store:
    return current_app.extensions["tscgraph.store"]


def _settings() -> Settings:
    return current_app.config["TSCGRAPH"]


def _lang() -> str:
    lang = request.args.get("lang", _settings().default_lang)
    if lang not in ("en", "fr"):
        abort(400, description="lang must be 'en' or 'fr'")
    return lang


def _wants_json() -> bool:
    return request.args.get("format") == "json"


def label(term: Node, lang: str) -> str:
    """Best label of ``term`` in ``lang`` (then English, then any), else its compact IRI."""
    if not isinstance(term, URIRef):
        return str(term)
    rows = _store().select(LABELS_QUERY, bindings={"s": term})
    by_lang = {str(r["lang"]): str(r["label"]) for r in rows if "label" in r}
    for choice in (lang, "en", ""):
        if choice in by_lang:
            return by_lang[choice]
    if by_lang:
        return next(iter(by_lang.values()))
    return compact(term)


def compact(term: Node) -> str:
    if isinstance(term, URIRef):
        try:
            return term.n3(_NM)
        except Exception:  # noqa: BLE001 - unprefixable IRI
            return str(term)
    return str(term)


def _iri_arg() -> URIRef:
    iri = request.args.get("iri", "").strip()
    if not iri or "://" not in iri and not iri.startswith("urn:") or any(c in iri for c in ' <>"{}|\\^`'):
        abort(400, description="parameter iri must be an absolute IRI")
    return URIRef(iri)


@bp.app_template_filter("compact")
def _compact_filter(term: Node) -> str:
    return compact(term)


@bp.app_template_global("url_with")
def url_with(**changes: str) -> str:
    """This page's URL with some query parameters changed (language switch, other formats)."""
    from urllib.parse import urlencode

    args = request.args.to_dict()
    args.update(changes)
    return request.path + "?" + urlencode(args)


@bp.get("/")
def index():
    lang = _lang()
    stats = store_stats(_store())
    queries = current_app.extensions["tscgraph.queries"]
    if _wants_json():
        return jsonify(
            triples=stats.total,
            graphs=[{"graph": str(g), "triples": int(n)} for g, n in stats.graphs],
            classes=[{"class": str(c), "instances": int(n)} for c, n in stats.classes],
            queries=[{"name": q.name, "summary": q.summary} for q in queries.values()],
        )
    classes = [(c, label(c, lang), int(n)) for c, n in stats.classes]
    return render_template("index.html", stats=stats, classes=classes, queries=queries.values(), lang=lang)


@bp.get("/class")
def instances():
    lang = _lang()
    cls = _iri_arg()
    page_size = _settings().page_size
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400, description="page must be a positive integer")
    query = INSTANCES_PAGED.format(limit=page_size + 1, offset=(page - 1) * page_size)
    rows = [r["instance"] for r in _store().select(query, bindings={"class": cls})]
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    items = [(r, label(r, lang)) for r in rows]
    if _wants_json():
        return jsonify(
            {"class": str(cls), "page": page, "next": has_next, "instances": [{"iri": str(i), "label": lbl} for i, lbl in items]}
        )
    return render_template(
        "class.html", cls=cls, cls_label=label(cls, lang), items=items, page=page, has_next=has_next, lang=lang
    )


@bp.get("/resource")
def resource():
    lang = _lang()
    iri = _iri_arg()
    store = _store()
    outgoing = store.select(OUTGOING_QUERY, bindings={"s": iri})
    incoming = store.select(INCOMING_QUERY, bindings={"o": iri})
    if not outgoing and not incoming:
        abort(404, description=f"nothing is known about <{iri}>")
    if _wants_json():
        return jsonify(
            iri=str(iri),
            label=label(iri, lang),
            outgoing=[{"p": str(r["p"]), "o": str(r["o"])} for r in outgoing],
            incoming=[{"s": str(r["s"]), "p": str(r["p"])} for r in incoming],
        )
    out = [(r["p"], label(r["p"], lang), r["o"], _object_label(r["o"], lang)) for r in outgoing]
    inc = [(r["s"], label(r["s"], lang), r["p"], label(r["p"], lang)) for r in incoming]
    return render_template("resource.html", iri=iri, title=label(iri, lang), outgoing=out, incoming=inc, lang=lang)


def _object_label(term: Node, lang: str) -> str:
    if isinstance(term, Literal):
        return str(term) + (f" @{term.language}" if term.language else "")
    return label(term, lang)


@bp.app_errorhandler(400)
@bp.app_errorhandler(404)
@bp.app_errorhandler(500)
def error_page(error):
    code = getattr(error, "code", 500)
    message = getattr(error, "description", str(error))
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=code), code
    return render_template("error.html", code=code, message=message, lang="en"), code
