"""Minting the IRIs of local records: ``{base}id/{kind}/{slug}``, the slug readable and stable; checking IRIs
that come from outside.

Forms, spreadsheets and harvested sources all name records this one way, so the same title or
identifier gives the same IRI whichever door it came through (re-importing a sheet updates its records).
"""

from __future__ import annotations

import re
import unicodedata

import pyoxigraph


def slugify(text: str, limit: int | None = 48, empty: str = "record") -> str:
    """ASCII lower case, runs of anything else made one hyphen, cut at ``limit`` characters (None: no cut;
    identifiers that must not collide, such as IATI's, are not cut)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if limit is not None:
        slug = slug[:limit].strip("-")
    return slug or empty


def is_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI the store takes (RFC 3987, checked by the engine's own parser).

    Parameters that name an IRI (``?graph=``, ``default-graph-uri``, ``iri=``, facet values, query
    parameters) are checked with this, so that what a check lets through is never refused later by the
    store — a server error — instead of now, as the client's bad input. (The embedded engine's parser is the
    strictest of the backends', and rdflib's URIRef would accept anything, with a warning in the log.)
    """
    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True
