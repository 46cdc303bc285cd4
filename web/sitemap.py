"""sitemap.xml: the section pages and the page of every record and vocabulary term of the public graphs.

Every subject typed with a class of the ontology (``tsc:``) in a public graph (see :mod:`web.dumps`) and
served at its own path is listed, with its other-language versions (``xhtml:link hreflang``). A site
map holds at most 50,000 URLs (sitemaps.org): past that, ``/sitemap.xml`` becomes a sitemap index of
``/sitemaps/1.xml``, ``/sitemaps/2.xml``…  The split is the pure function :func:`split`; the limit can
be lowered for an app with ``app.config["TSCGRAPH_SITEMAP_LIMIT"]`` (tests do).
"""

from __future__ import annotations

from typing import Sequence
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from flask import current_app
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from graph.namespaces import TSC
from graph.settings import Settings
from graph.store.base import Store
from web.dumps import public_graphs
from web.links import path_for_iri

LIMIT = 50_000
#: The site's sections, listed when the app serves them (areas of the site are added one by one).
SECTIONS = ("/", "/actors", "/projects", "/gbf", "/cbd", "/commitments", "/biobridge", "/knowledge", "/ontology", "/dumps/")
#: No ORDER BY: the paths are sorted in Python (a sort of strings, cheap), the query stays a scan.
RECORDS = 'SELECT DISTINCT ?s WHERE { ?s a ?class FILTER(STRSTARTS(STR(?class), "%s")) }' % TSC

SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
XHTML_NS = 'xmlns:xhtml="http://www.w3.org/1999/xhtml"'


def limit() -> int:
    return int(current_app.config.get("TSCGRAPH_SITEMAP_LIMIT", LIMIT))


def served(path: str) -> bool:
    """Whether this app answers GET ``path`` (so the sitemap never lists a page of an area not installed)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path.split("?", 1)[0], method="GET")
    except MethodNotAllowed:
        return False
    except HTTPException:
        return False
    return True


def page_paths(store: Store, settings: Settings) -> list[str]:
    """Every path the sitemap lists: sections first, then records and terms sorted."""
    graphs = public_graphs(store)
    paths = set()
    if graphs:
        for row in store.select(RECORDS, default_graphs=graphs):
            path = path_for_iri(row["s"])
            if path is not None and "#" not in str(row["s"]):
                paths.add(path)
    return [p for p in SECTIONS if served(p)] + sorted(paths)


def split(paths: Sequence[str], size: int) -> list[Sequence[str]]:
    """The paths cut into site maps of at most ``size`` URLs (one site map when they fit)."""
    if size <= 0:
        raise ValueError("a site map holds at least one URL")
    return [paths[i:i + size] for i in range(0, len(paths), size)] or [[]]


def urlset(root: str, paths: Sequence[str], languages: Sequence[str]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f"<urlset {SITEMAP_NS} {XHTML_NS}>"]
    for path in paths:
        url = root + path
        out.append(f"<url><loc>{escape(url)}</loc>")
        if len(languages) > 1:
            for lang in languages:
                alternate = url + ("&" if "?" in url else "?") + urlencode({"lang": lang})
                out.append(f'<xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={quoteattr(alternate)}/>')
        out.append("</url>")
    out.append("</urlset>")
    return "\n".join(out) + "\n"


def index(root: str, count: int) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f"<sitemapindex {SITEMAP_NS}>"]
    out.extend(f"<sitemap><loc>{escape(root)}/sitemaps/{n}.xml</loc></sitemap>" for n in range(1, count + 1))
    out.append("</sitemapindex>")
    return "\n".join(out) + "\n"


def robots(root: str) -> str:
    """Crawlers are welcome on pages; query answers (any text as a GET parameter) are not pages."""
    return "\n".join([
        "User-agent: *",
        "Disallow: /sparql?",
        "Disallow: /data",
        "Disallow: /resource?",
        "Disallow: /class?",
        "Allow: /",
        f"Sitemap: {root}/sitemap.xml",
    ]) + "\n"
