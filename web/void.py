"""The VoID description of the dataset, with counts and its data dumps, at ``/.well-known/void`` (RFC 5785 / VoID §7)."""

from __future__ import annotations

from flask import Blueprint, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from graph.namespaces import ONTOLOGY_IRI, TSC
from graph.stats import store_stats
from web import context
from web.linkeddata import dump_links
from web.sparql import rdf_response

bp = Blueprint("void", __name__)
VOID = "http://rdfs.org/ns/void#"


def void_graph() -> Graph:
    settings = context.settings()
    store = context.store()
    stats = store_stats(store)
    v = lambda local: URIRef(VOID + local)  # noqa: E731
    g = Graph()
    g.bind("void", VOID)
    dataset = URIRef(settings.base_iri + "dataset")
    g.add((dataset, RDF.type, v("Dataset")))
    g.add((dataset, DCTERMS.title, Literal("Technical and scientific cooperation for biodiversity", lang="en")))
    g.add((dataset, DCTERMS.title, Literal("Coopération technique et scientifique pour la biodiversité", lang="fr")))
    g.add((dataset, v("sparqlEndpoint"), URIRef(request.url_root.rstrip("/") + "/sparql")))
    g.add((dataset, v("uriSpace"), Literal(settings.base_iri + "id/")))
    g.add((dataset, v("vocabulary"), URIRef(ONTOLOGY_IRI)))
    g.add((dataset, v("triples"), Literal(stats.total, datatype=XSD.integer)))
    entities = sum(int(n) for c, n in stats.classes if str(c).startswith(str(TSC)))
    g.add((dataset, v("entities"), Literal(entities, datatype=XSD.integer)))
    for url, media_type, size in dump_links():
        dump = URIRef(url)
        g.add((dataset, v("dataDump"), dump))
        g.add((dump, DCTERMS["format"], Literal(media_type)))
        g.add((dump, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + media_type)))
        g.add((dump, DCAT.compressFormat, URIRef("https://www.iana.org/assignments/media-types/application/gzip")))
        if size is not None:  # known once built; asking for it does not build it
            g.add((dump, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
    for cls, count in stats.classes:
        partition = BNode()
        g.add((dataset, v("classPartition"), partition))
        g.add((partition, v("class"), cls))
        g.add((partition, v("entities"), Literal(int(count), datatype=XSD.integer)))
    for name, count in stats.graphs:
        subset = URIRef(str(name))
        g.add((dataset, v("subset"), subset))
        g.add((subset, RDF.type, v("Dataset")))
        g.add((subset, v("triples"), Literal(int(count), datatype=XSD.integer)))
    return g


@bp.get("/.well-known/void")
def void():
    response = rdf_response(void_graph())
    if any(size is None for _url, _media, size in dump_links()):
        # a dump's size is said once it is built, which no write announces: not kept until then
        response.headers["Cache-Control"] = "no-store"
    return response
