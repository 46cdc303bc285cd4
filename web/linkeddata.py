"""Dereferenceable IRIs: every IRI we serve answers at its own path, as a page or as RDF.

``/id/…`` (the deployment's records, under ``base_iri``), ``/vocab/…`` and ``/ontology`` (the shared
vocabularies and ontology, see :mod:`web.links`). The format is negotiated on ``Accept`` with q-values
(:func:`graph.formats.negotiate`): browsers get HTML — the page registered for the resource's class
(:mod:`web.pages`), the ontology or vocabulary page, or the generic resource page — and RDF clients get
Turtle, JSON-LD, N-Triples, RDF/XML, TriG and N-Quads — the last two as a dataset whose default graph is
the description (:func:`graph.formats.graph_document`). A suffix (``.ttl``, ``.jsonld``, ``.nt``,
``.rdf``, ``.trig``, ``.nq``) or an RDF ``format=`` parameter forces the format; ``Link: rel=alternate``
headers (and ``<link rel="alternate">`` in pages) advertise them. Unknown IRI: 404; nothing acceptable:
406 listing what is offered. Responses vary on ``Accept``.

What the RDF holds is :mod:`graph.describe`; every page gets the schema.org JSON-LD of its subject
(:mod:`web.schemaorg`) through ``g.jsonld``. This blueprint also serves ``/sitemap.xml``,
``/robots.txt`` and the data dumps (``/dumps/``).
"""

from __future__ import annotations

import re
from email.utils import formatdate

from flask import Blueprint, Response, abort, g, make_response, render_template, request, send_file
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from graph.describe import describe, description_reads, is_known
from graph.formats import GRAPH_FORMATS, HTML, Format, NotAcceptable, graph_document, negotiate
from graph.iris import is_iri
from graph.namespaces import ONTOLOGY_IRI, TSC, bind_prefixes
from web import context, dumps, pages, sitemap
from web.browse import resource_page
from web.i18n import current_lang
from web.labels import Namer, pick_text
from web.links import iri_for_path
from web.schemaorg import resource_jsonld, webpage_jsonld

bp = Blueprint("linkeddata", __name__)

#: The suffixes that force a format, and the order alternates are advertised in.
SUFFIXES = {".ttl": "turtle", ".jsonld": "jsonld", ".nt": "ntriples", ".rdf": "rdfxml", ".trig": "trig", ".nq": "nquads"}
FORMATS = {f.key: f for f in GRAPH_FORMATS}
SUFFIX_OF = {key: suffix for suffix, key in SUFFIXES.items()}


def text_response(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status, mimetype="text/plain")
    response.vary.add("Accept")
    return response


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``/id/x.ttl`` → (``/id/x``, Turtle); a path without a format suffix is returned as it is."""
    for suffix, key in SUFFIXES.items():
        if path.endswith(suffix) and len(path) > len(suffix) + 1:
            return path[: -len(suffix)], FORMATS[key]
    return path, None


def choose_format(forced: Format | None) -> Format:
    """The suffix's format, else an RDF ``format=`` parameter, else the best match of ``Accept`` (HTML included).

    Other ``format=`` values (``json``…) are left to the page, which has its own data views.
    """
    if forced is not None:
        return forced
    wanted = (request.args.get("format") or "").strip().lower()
    if wanted and wanted != "json":
        for fmt in GRAPH_FORMATS:
            if wanted in (fmt.key, fmt.media_type) or wanted in fmt.aliases:
                return fmt
    if wanted in ("html", "json"):
        return HTML
    return negotiate("graph", request.headers.get("Accept"), None, allow_html=True)


def alternates(path: str) -> list[tuple[str, str]]:
    """(media type, URL) of the other representations of the resource at ``path``."""
    return [(FORMATS[key].media_type, path + suffix) for suffix, key in SUFFIXES.items()]


def link_header(path: str) -> str:
    items = [f'<{path}>; rel="alternate"; type="text/html"']
    items += [f'<{url}>; rel="alternate"; type="{media}"' for media, url in alternates(path)]
    return ", ".join(items)


def holds(store, iri: URIRef) -> bool:
    """Whether the store knows ``iri``; a path that makes no IRI (a space, a quote…) names nothing: a 404, not
    a store error."""
    return is_iri(str(iri)) and is_known(store, iri)


def serve(path: str, forced: Format | None):
    """Answer for the IRI of ``path`` (without suffix) in the negotiated or ``forced`` format."""
    iri = iri_for_path(path)
    store = context.store()
    known = str(iri) == ONTOLOGY_IRI or holds(store, iri)
    try:
        fmt = choose_format(forced)
    except NotAcceptable as exc:
        if not known:
            return text_response(404, f"nothing is known about <{iri}>")
        return text_response(406, str(exc))
    if not known:
        if fmt is HTML:
            abort(404, description=f"nothing is known about <{iri}>")
        return text_response(404, f"nothing is known about <{iri}>")
    description = describe(store, iri, context.settings().ontology_graph)
    if fmt is HTML:
        response = make_response(html_page(iri, path, description))
    else:
        if forced is None and str(iri) != ONTOLOGY_IRI and (iri, None, None) in description:
            # Made of the description alone. A suffix's path also asked whether an IRI with the suffix exists, and
            # the ontology document reads every term of its graph: those say nothing.
            context.answer_reads(*description_reads(description, iri))
        body = graph_document(bind_prefixes(description), fmt)
        response = Response(body, mimetype=fmt.media_type)
        if forced is None:
            response.headers["Content-Location"] = path + SUFFIX_OF.get(fmt.key, "")
    response.vary.add("Accept")
    response.headers["Link"] = link_header(path)
    return response


def html_page(iri: URIRef, path: str, description: Graph):
    g.jsonld = resource_jsonld(description, iri, current_lang())
    g.alternates = alternates(path)
    if str(iri) == ONTOLOGY_IRI:
        return ontology_page(description)
    types = list(description.objects(iri, RDF.type))
    view = pages.view_for(types)
    if view is not None:
        return view(iri)
    if SKOS.ConceptScheme in types:
        return vocabulary_page(iri, description)
    return resource_page(iri)


# ------------------------------------------------------------------ pages of the ontology and vocabularies


def _text(graph: Graph, subject, *predicates) -> str | None:
    return pick_text([o for p in predicates for o in graph.objects(subject, p) if isinstance(o, Literal)])


def ontology_page(graph: Graph):
    """The ontology as a readable document: its classes and properties, each at its ``#Term`` anchor."""
    onto = URIRef(ONTOLOGY_IRI)
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(str(TSC))}
    namer = Namer(set(graph.objects()) | terms)

    def entry(term: URIRef) -> dict:
        links = lambda p: sorted(  # noqa: E731
            (o for o in graph.objects(term, p) if isinstance(o, URIRef)), key=lambda o: namer(o).casefold())
        return {
            "iri": term, "anchor": str(term).split("#", 1)[1], "label": namer(term),
            "comment": _text(graph, term, RDFS.comment, SKOS.definition),
            "parents": [(o, namer(o)) for o in links(RDFS.subClassOf) + links(RDFS.subPropertyOf)],
            "domain": [(o, namer(o)) for o in links(RDFS.domain)],
            "range": [(o, namer(o)) for o in links(RDFS.range)],
        }

    kinds = {s: set(graph.objects(s, RDF.type)) for s in terms}
    classes = sorted((entry(t) for t in terms if OWL.Class in kinds[t] or RDFS.Class in kinds[t]),
                     key=lambda e: e["label"].casefold())
    properties = sorted((entry(t) for t in terms if kinds[t] & {OWL.ObjectProperty, OWL.DatatypeProperty,
                                                               OWL.AnnotationProperty, RDF.Property}),
                        key=lambda e: e["label"].casefold())
    return render_template(
        "ontology.html", iri=onto, title=_text(graph, onto, DCTERMS.title) or namer(onto),
        description=_text(graph, onto, DCTERMS.description), version=graph.value(onto, OWL.versionInfo),
        licence=graph.value(onto, DCTERMS.license), classes=classes, properties=properties,
    )


def natural(code: object) -> tuple:
    """Sort key of a notation: "2" before "10", "1.2" before "1.10"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", str(code or "")))


def vocabulary_page(scheme: URIRef, graph: Graph):
    """A concept scheme: its description and its concepts by kind (goals, targets…), linked to their pages."""
    concepts = set(graph.subjects(SKOS.inScheme, scheme))
    kinds = {c: next((t for t in sorted(graph.objects(c, RDF.type), key=str) if t != SKOS.Concept), SKOS.Concept)
             for c in concepts}
    namer = Namer(concepts | {scheme} | set(kinds.values()))
    groups: dict = {}
    for c in concepts:
        groups.setdefault(kinds[c], []).append(
            {"iri": c, "label": namer(c), "notation": graph.value(c, SKOS.notation),
             "definition": _text(graph, c, SKOS.definition)})
    sections = sorted(
        ((kind, namer(kind), sorted(items, key=lambda i: (natural(i["notation"]), i["label"].casefold())))
         for kind, items in groups.items()),
        key=lambda section: section[1].casefold(),
    )
    return render_template(
        "vocabulary.html", iri=scheme, title=namer(scheme),
        description=_text(graph, scheme, DCTERMS.description, SKOS.definition),
        sections=sections, count=len(concepts),
    )


# ------------------------------------------------------------------ routes


@bp.get("/id/<path:rest>")
@bp.get("/vocab/<path:rest>")
def dereference(rest: str):
    path, forced = split_suffix(request.path)
    if forced is not None and holds(context.store(), iri_for_path(request.path)):
        path, forced = request.path, None  # an IRI that really ends with the suffix
    return serve(path, forced)


@bp.get("/ontology")
def ontology():
    return serve("/ontology", None)


@bp.app_context_processor
def _page_jsonld() -> dict:
    return {"webpage_jsonld": webpage_jsonld}


@bp.get("/ontology<any('.ttl', '.jsonld', '.nt', '.rdf', '.trig', '.nq'):suffix>")
def ontology_variant(suffix: str):
    return serve("/ontology", FORMATS[SUFFIXES[suffix]])


@bp.get("/sitemap.xml")
def sitemap_xml():
    paths = sitemap.page_paths(context.store(), context.settings())
    parts = sitemap.split(paths, sitemap.limit())
    root = request.url_root.rstrip("/")
    if len(parts) == 1:
        body = sitemap.urlset(root, parts[0], context.settings().languages)
    else:
        body = sitemap.index(root, len(parts))
    return Response(body, mimetype="application/xml")


@bp.get("/sitemaps/<int:number>.xml")
def sitemap_part(number: int):
    parts = sitemap.split(sitemap.page_paths(context.store(), context.settings()), sitemap.limit())
    if len(parts) == 1 or not 1 <= number <= len(parts):
        abort(404, description=f"there is no site map number {number}: see /sitemap.xml")
    root = request.url_root.rstrip("/")
    return Response(sitemap.urlset(root, parts[number - 1], context.settings().languages), mimetype="application/xml")


@bp.get("/robots.txt")
def robots_txt():
    return Response(sitemap.robots(request.url_root.rstrip("/")), mimetype="text/plain")


# ------------------------------------------------------------------ dumps


def dump_cache() -> dumps.Dumps:
    from flask import current_app

    return current_app.extensions.setdefault("tscgraph.dumps", dumps.Dumps(context.settings().dumps_dir))


@bp.get("/dumps/")
def dumps_page():
    cache, marker = dump_cache(), context.data_version()
    items = []
    for dump in dumps.DUMPS:
        built = cache.built(dump, marker)
        items.append({"dump": dump, "size": built.stat().st_size if built else None,
                      "modified": formatdate(built.stat().st_mtime, usegmt=True) if built else None})
    return render_template("dumps.html", items=items, graphs=dumps.public_graphs(context.store()))


@bp.get("/dumps/<name>")
def dump_file(name: str):
    dump = dumps.BY_NAME.get(name)
    if dump is None:
        abort(404, description=f"there is no dump {name!r}: see /dumps/")
    path, key = dump_cache().ensure(context.store(), context.settings(), dump, context.data_version())
    response = send_file(path, mimetype="application/gzip", as_attachment=True, download_name=name,
                         conditional=True, etag=f"{key}-{name}", max_age=0)
    return response


def dump_links() -> list[tuple[str, str, int | None]]:
    """(URL, media type, byte size when already built) of each dump, for the VoID description."""
    cache, marker = dump_cache(), context.data_version()
    root = request.url_root.rstrip("/")
    out = []
    for dump in dumps.DUMPS:
        built = cache.built(dump, marker)
        out.append((f"{root}/dumps/{dump.name}", dump.media_type, built.stat().st_size if built else None))
    return out
