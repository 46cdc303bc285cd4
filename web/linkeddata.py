"""Dereferenceable IRIs: every IRI we serve answers at its own path, as a page or as RDF.

``/id/…`` (the deployment's records, under ``base_iri``), ``/vocab/…`` and ``/ontology`` (the shared
vocabularies and ontology, see :mod:`web.links`). A browser gets the page registered for the
resource's class (:mod:`web.pages`), or the generic resource page.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from rdflib import URIRef

from web import context, pages
from web.browse import resource_page
from web.links import iri_for_path

bp = Blueprint("linkeddata", __name__)

#: Bound variables must be projected for pyoxigraph's substitutions (the same below).
TYPES_QUERY = "SELECT ?s ?type WHERE { ?s a ?type }"
KNOWN_QUERY = "SELECT ?s WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } } LIMIT 1"


def types_of(iri: URIRef) -> list[URIRef]:
    return [r["type"] for r in context.store().select(TYPES_QUERY, bindings={"s": iri})]


def html_page(iri: URIRef):
    types = types_of(iri)
    if not types and not context.store().select(KNOWN_QUERY, bindings={"s": iri}):
        abort(404, description=f"nothing is known about <{iri}>")
    view = pages.view_for(types)
    return view(iri) if view else resource_page(iri)


@bp.get("/id/<path:rest>")
@bp.get("/vocab/<path:rest>")
def dereference(rest: str):
    return html_page(iri_for_path(request.path))
