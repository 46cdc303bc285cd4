"""Where a term is shown: the IRI ↔ path mapping that makes our IRIs dereferenceable.

Two IRI spaces are served by this application, each mapped onto the server's own paths:

* the deployment's records and graphs, under the configured ``base_iri``
  (``{base}id/project/x`` ↔ ``/id/project/x``);
* the shared ontology and reference vocabularies under ``https://w3id.org/tscgraph/``
  (``…/vocab/gbf/target/3`` ↔ ``/vocab/gbf/target/3``, ``…/ontology`` ↔ ``/ontology``), which
  every clearing-house running tscgraph serves identically, so a w3id redirect may point at any.

The server is expected to answer at the root of its base IRI (behind a reverse proxy in production);
any other IRI is shown through the generic page ``/resource?iri=…``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import request, url_for
from markupsafe import Markup
from rdflib import URIRef
from rdflib.term import Node

from graph.namespaces import ONTOLOGY_IRI, VOCAB
from web import context

#: The shared IRI space of the ontology and the vocabularies (served by every deployment).
SHARED_SPACE = ONTOLOGY_IRI.rsplit("/", 1)[0] + "/"
#: The first path segments this application serves as dereferenceable IRIs.
SHARED_ROOTS = ("ontology", str(VOCAB)[len(SHARED_SPACE):].strip("/"))


def path_for_iri(iri: Node) -> str | None:
    """The local path at which ``iri`` dereferences, or None when it is not ours to serve."""
    text = str(iri)
    if not isinstance(iri, URIRef) or "#" in text and not text.startswith(SHARED_SPACE + "ontology#"):
        return None
    base = context.settings().base_iri
    if text.startswith(base) and len(text) > len(base):
        return "/" + quote(text[len(base):], safe="/:@!$&'()*+,;=-._~%")
    if text.startswith(SHARED_SPACE):
        rest = text[len(SHARED_SPACE):].split("#", 1)[0]
        if rest.split("/", 1)[0] in SHARED_ROOTS:
            return "/" + rest
    return None


def iri_for_path(path: str) -> URIRef:
    """The IRI a request path stands for (the inverse of :func:`path_for_iri`)."""
    rest = path.lstrip("/")
    if rest.split("/", 1)[0] in SHARED_ROOTS:
        return URIRef(SHARED_SPACE + rest)
    return URIRef(context.settings().base_iri + rest)


def href(iri: Node, **args: str) -> str:
    """Link to the page of ``iri``: its own path when we serve it, else the generic resource page."""
    path = path_for_iri(iri)
    if path is None:
        return url_for("browse.resource", iri=str(iri), **args)
    # ontology terms are fragments of one document: link to the document's anchor
    fragment = str(iri).split("#", 1)[1] if "#" in str(iri) else ""
    query = ("?" + urlencode(args)) if args else ""
    return path + query + (("#" + fragment) if fragment else "")


#: The schemes a value from the data may link to; anything else (``javascript:``, ``data:``, ``file:``…) is shown
#: as text, so a submitted ``dcterms:source`` can never become a script or a local link in a reader's browser.
LINKABLE_SCHEMES = ("http", "https", "mailto")


def is_linkable(url: object) -> bool:
    scheme, sep, _rest = str(url).strip().partition(":")
    return bool(sep) and scheme.lower() in LINKABLE_SCHEMES and not any(c.isspace() or ord(c) < 32 for c in scheme)


def external_link(url: object, rel: str = "external") -> Markup:
    """``url`` as a link when it is http(s) or mailto (see :data:`LINKABLE_SCHEMES`), else as plain text."""
    if not is_linkable(url):
        return Markup("%s") % str(url)
    if not rel:
        return Markup('<a href="%s">%s</a>') % (str(url).strip(), str(url))
    return Markup('<a href="%s" rel="%s">%s</a>') % (str(url).strip(), rel, str(url))


#: The highest page number a listing accepts: past it a number is bad input (400), not an offset to compute.
MAX_PAGE = 1_000_000


def page_number() -> int:
    """The request's ``page`` (1 when absent); 400 unless a whole number from 1 to :data:`MAX_PAGE`."""
    from flask import abort

    from web.i18n import gettext as _

    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        abort(400, description=_("The page number must be a whole number from 1 to %(most)s.", most=MAX_PAGE))
    return int(text)


def url_with(**changes: str) -> str:
    """This page's URL with some query parameters changed (language switch, other formats)."""
    args = request.args.to_dict()
    args.update(changes)
    return request.path + "?" + urlencode(args)


def init_app(app) -> None:
    app.jinja_env.globals.update(href=href, url_with=url_with, external_link=external_link)
