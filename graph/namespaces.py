"""The namespaces tscgraph mints or reuses, defined once.

``TSC`` is the ontology's one namespace constant; ``VOCAB`` roots the reference vocabularies.
Both are fixed for every deployment so that clearing-houses can federate; local records live
under each deployment's configurable base IRI (see :mod:`graph.settings`).
"""

from __future__ import annotations

from functools import lru_cache

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, XSD, NamespaceManager

TSC = Namespace("https://w3id.org/tscgraph/ontology#")
ONTOLOGY_IRI = "https://w3id.org/tscgraph/ontology"
VOCAB = Namespace("https://w3id.org/tscgraph/vocab/")
TSCSH = Namespace("https://w3id.org/tscgraph/shapes#")
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
VANN = Namespace("http://purl.org/vocab/vann/")
AS = Namespace("https://www.w3.org/ns/activitystreams#")

GBF = Namespace(VOCAB + "gbf/")
CBD = Namespace(VOCAB + "cbd/")
PLACE = Namespace(VOCAB + "place/")

#: Prefixes offered to every query and used to shorten IRIs in reports and tables.
PREFIXES: dict[str, str] = {
    "tsc": str(TSC),
    "tscsh": str(TSCSH),
    "gbf": str(GBF),
    "cbd": str(CBD),
    "place": str(PLACE),
    "vocab": str(VOCAB),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "as": str(AS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
    "xsd": str(XSD),
    "vann": str(VANN),
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",  # W3C WGS84 points (the places' coordinates)
}


def sparql_prologue() -> str:
    """PREFIX lines for every known prefix, for queries written without their own."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def namespace_manager() -> NamespaceManager:
    """A namespace manager binding our prefixes, for compact IRIs in output."""
    nm = NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        nm.bind(prefix, iri, override=True, replace=True)
    return nm


def compact(term) -> str:
    """A term in its short form (``gbf:target/3``) when a prefix fits, else as it is."""
    if not isinstance(term, URIRef):
        return str(term)
    try:
        return term.n3(_shared_namespace_manager())
    except Exception:  # noqa: BLE001 - unprefixable IRI
        return str(term)


@lru_cache(maxsize=1)
def _shared_namespace_manager() -> NamespaceManager:
    return namespace_manager()


def bind_prefixes(graph: Graph) -> Graph:
    """Bind our prefixes on ``graph`` (for readable serialisations) and return it."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph
