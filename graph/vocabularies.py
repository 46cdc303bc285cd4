"""Putting the CBD thesaurus labels in place in our vocabularies (``loaders/thesaurus.py`` makes them).

The CBD's titles are official: for each concept, property and language the thesaurus gave, they replace
ours, and the concept loses ``tsc:translatedLabelLanguage`` for that language (and cites its thesaurus
term as ``dcterms:source``, as every unmarked concept cites one). Other languages and properties stay.

The labels last taken are also kept in the private graph ``settings.thesaurus_graph``, so that
``tscgraph setup`` — which installs the shipped vocabularies again — puts them back
(:func:`graph.loading.install_ontology`).
"""

from __future__ import annotations

from collections import defaultdict

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from graph.changes import after_write
from graph.namespaces import TSC, bind_prefixes
from graph.settings import Settings
from graph.store import Store
from graph.writelock import WRITE_LOCK

#: The properties a thesaurus answer fills: prefLabel (targets, indicators), altLabel (goals).
LABEL_PROPERTIES = (SKOS.prefLabel, SKOS.altLabel)
TERMS_IRI = "https://api.cbd.int/api/v2013/thesaurus/terms/"

LabelKey = tuple[URIRef, URIRef, str]  # concept, property, language


def label_keys(labels: Graph) -> set[LabelKey]:
    """The (concept, property, language) that ``labels`` gives; raises ``ValueError`` for two prefLabels
    of one concept in one language (SKOS allows one)."""
    keys: set[LabelKey] = set()
    for concept, prop, label in labels:
        if prop not in LABEL_PROPERTIES or not isinstance(label, Literal) or not label.language:
            raise ValueError(f"not a language-tagged skos:prefLabel or skos:altLabel: {concept} {prop} {label!r}")
        key = (concept, prop, label.language.lower())
        if prop == SKOS.prefLabel and key in keys:
            raise ValueError(f"two skos:prefLabel in {key[2]!r} for {concept}")
        keys.add(key)  # type: ignore[arg-type]
    return keys


def replace_labels(graph: Graph, labels: Graph) -> Graph:
    """A copy of ``graph`` where, for each (concept, property, language) in ``labels``, the old labels
    are replaced by the new ones. Nothing else changes."""
    out = bind_prefixes(Graph())
    out += graph
    for concept, prop, lang in label_keys(labels):
        for old in list(out.objects(concept, prop)):
            if isinstance(old, Literal) and (old.language or "").lower() == lang:
                out.remove((concept, prop, old))
    out += labels
    return out


def apply_labels(ontology: Graph, labels: Graph) -> Graph:
    """The ontology with the thesaurus ``labels`` in place (pure: ``ontology`` is not changed).

    Labels are replaced per (concept, property, language); a goal's prefLabel ("Goal A") stays since the
    thesaurus gives goals altLabels. Each concept whose prefLabel was refreshed drops
    ``tsc:translatedLabelLanguage`` for the languages the answer gave (a goal keeps it: its name is still
    ours); each refreshed concept cites its thesaurus term (its ``skos:exactMatch`` there) as source.
    Labels of concepts the ontology does not describe (any more) are left out.
    """
    labels = _about(labels, set(ontology.subjects()))
    out = replace_labels(ontology, labels)
    languages: dict[URIRef, set[str]] = defaultdict(set)
    for concept, prop, lang in label_keys(labels):
        official = languages[concept]  # every refreshed concept cites its term, below
        if prop == SKOS.prefLabel:
            official.add(lang)
    for concept, langs in languages.items():
        for lang in langs:  # only a CBD prefLabel makes the concept's name official ("Objectif A" stays ours)
            out.remove((concept, TSC.translatedLabelLanguage, Literal(lang)))
        for term in list(out.objects(concept, SKOS.exactMatch)):
            if str(term).startswith(TERMS_IRI):
                out.add((concept, DCTERMS.source, term))
    return out


def _about(labels: Graph, concepts: set) -> Graph:
    kept = Graph()
    for triple in labels:
        if triple[0] in concepts:
            kept.add(triple)
    return kept


def changed_concepts(before: Graph, after: Graph, labels: Graph) -> list[URIRef]:
    """The concepts of ``labels`` whose description differs between ``before`` and ``after``."""
    concepts = sorted({concept for concept, _prop, _lang in label_keys(labels)}, key=str)
    return [c for c in concepts if set(before.predicate_objects(c)) != set(after.predicate_objects(c))]


def refresh_from_thesaurus(store: Store, settings: Settings, labels: Graph) -> int:
    """Put ``labels`` in place in the ontology graph and keep them in the private thesaurus graph (newer
    replacing older per concept, property and language), both in one transaction; returns the number of
    concepts changed. Read then replaced: call it holding the store alone, as the CLI does (one process
    opens the store for writing; the server's threads take turns on the write lock). The changed concepts are logged in the ontology graph's change feed."""
    with WRITE_LOCK:
        ontology = store.read_graph(settings.ontology_graph)
        refreshed = apply_labels(ontology, labels)
        kept = replace_labels(store.read_graph(settings.thesaurus_graph), labels)
        store.replace_graphs({settings.ontology_graph: refreshed, settings.thesaurus_graph: kept})
        changed = changed_concepts(ontology, refreshed, labels)
        after_write(store, [settings.ontology_graph], records=changed)
    return len(changed)
