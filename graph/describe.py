"""What the RDF of one dereferenced IRI holds: pure functions over the store interface.

A **resource** is described by its concise bounded description (CBD): every triple whose subject it
is, and, for each blank node among the objects, that node's own triples, recursively (a project's
budget is a blank node). To that we add the ``rdf:type``, the labels (``skos:prefLabel``,
``dcterms:title``, ``rdfs:label``), ``skos:notation`` and ``skos:inScheme`` of the IRIs it points to,
so that a client can show the links without one request per link ("labelled CBD"). Incoming links
are not included: a busy actor is the object of thousands of statements (its page lists them; SPARQL
finds them).

A **concept scheme** (``…/vocab/gbf``) is described as a document: the scheme and the descriptions of
all its concepts (``skos:inScheme``). The **ontology** (``…/ontology``) is the ontology document: the
triples of the ontology graph whose subject is the ontology or one of its terms (the same named
graph also holds the vocabularies, which are served by scheme).

Blank nodes are followed by binding them in the next query: the embedded store keeps a blank node's
identity across queries. Every query binds its IRIs; nothing is pasted into SPARQL text.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from graph.changekeys import predicate_key
from graph.namespaces import ONTOLOGY_IRI, TSC, bind_prefixes
from graph.store.base import Store, Triple

OUTGOING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
KNOWN = "SELECT ?s WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } } LIMIT 1"
IS_SCHEME = "ASK { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> }"
CONCEPTS = "SELECT ?scheme ?c ?p ?o WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?scheme ; ?p ?o }"
#: FILTER IN, not a second VALUES: two VALUES blocks made the engine scan (103 ms at 1M triples, 0.7 ms so).
OBJECT_LABELS = """
SELECT ?term ?p ?o WHERE {{
  VALUES ?term {{ {terms} }}
  ?term ?p ?o
  FILTER(?p IN (<{type}>, <{pref}>, <{title}>, <{label}>, <{notation}>, <{scheme}>))
}}
"""
ONTOLOGY_TRIPLES = """
SELECT ?g ?s ?p ?o WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER(?s = <%s> || STRSTARTS(STR(?s), "%s"))
}
""" % (ONTOLOGY_IRI, str(TSC))

#: Blank nodes nested deeper than this are not followed (a guard against pathological data).
MAX_DEPTH = 8


def is_known(store: Store, iri: URIRef) -> bool:
    """Whether the store says anything about ``iri``, as subject or object."""
    return bool(store.select(KNOWN, bindings={"s": iri}))


def outgoing_closure(store: Store, subjects: Iterable[Node]) -> Iterator[Triple]:
    """The triples of ``subjects`` and, recursively, of the blank nodes they point to."""
    todo, seen, depth = list(subjects), set(), 0
    while todo and depth <= MAX_DEPTH:
        following = []
        for subject in todo:
            if subject in seen:
                continue
            seen.add(subject)
            for row in store.select(OUTGOING, bindings={"s": subject}):
                yield subject, row["p"], row["o"]
                if isinstance(row["o"], BNode):
                    following.append(row["o"])
        todo, depth = following, depth + 1


def add_object_labels(store: Store, graph: Graph, subjects: set[Node]) -> None:
    """Add the types and labels of the IRIs ``graph`` points to (outside ``subjects``): one query per 500."""
    objects = sorted({o for o in graph.objects() if isinstance(o, URIRef) and o not in subjects}, key=str)
    for start in range(0, len(objects), 500):
        block = " ".join(o.n3() for o in objects[start:start + 500])
        query = OBJECT_LABELS.format(terms=block, type=RDF.type, pref=SKOS.prefLabel, title=DCTERMS.title, label=RDFS.label,
                                    notation=SKOS.notation, scheme=SKOS.inScheme)
        for row in store.select(query):
            graph.add((row["term"], row["p"], row["o"]))


def describe_resource(store: Store, iri: URIRef) -> Graph:
    """The labelled concise bounded description of ``iri`` (see the module's docstring)."""
    graph = bind_prefixes(Graph())
    for triple in outgoing_closure(store, [iri]):
        graph.add(triple)
    add_object_labels(store, graph, {iri})
    return graph


def is_scheme(store: Store, iri: URIRef) -> bool:
    return store.query(IS_SCHEME, bindings={"s": iri}).boolean is True


def describe_scheme(store: Store, scheme: URIRef) -> Graph:
    """The scheme's own description and those of all its concepts."""
    graph = describe_resource(store, scheme)
    blanks = []
    for row in store.select(CONCEPTS, bindings={"scheme": scheme}):
        graph.add((row["c"], row["p"], row["o"]))
        if isinstance(row["o"], BNode):
            blanks.append(row["o"])
    for triple in outgoing_closure(store, blanks):
        graph.add(triple)
    return graph


def describe_ontology(store: Store, ontology_graph: str) -> Graph:
    """The ontology document: the ontology and its terms, from the ontology graph."""
    graph = bind_prefixes(Graph())
    blanks = []
    for row in store.select(ONTOLOGY_TRIPLES, bindings={"g": URIRef(ontology_graph)}):
        graph.add((row["s"], row["p"], row["o"]))
        if isinstance(row["o"], BNode):
            blanks.append(row["o"])
    for triple in outgoing_closure(store, blanks):
        graph.add(triple)
    return graph


def description_reads(graph: Graph, iri: URIRef) -> tuple[frozenset, frozenset]:
    """What :func:`describe` of ``iri`` (not the ontology) read to make ``graph``, as :mod:`graph.changekeys` says it:
    the triples of every IRI the description holds (the resource's own, its links' labels, a scheme's concepts) and,
    whatever their subject, the ``skos:inScheme`` triples (which concepts a scheme has). An answer made of the
    description alone is the same after a write that changed none of them."""
    subjects = frozenset(str(t) for t in graph.all_nodes() if isinstance(t, URIRef)) | {str(iri)}
    return subjects, frozenset({predicate_key(str(SKOS.inScheme))})


def describe(store: Store, iri: URIRef, ontology_graph: str) -> Graph:
    """The document served for ``iri``: the ontology, a concept scheme, or one resource."""
    if str(iri) == ONTOLOGY_IRI:
        return describe_ontology(store, ontology_graph)
    if is_scheme(store, iri):
        return describe_scheme(store, iri)
    return describe_resource(store, iri)
