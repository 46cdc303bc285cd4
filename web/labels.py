"""Labels of terms, from the graph, in the reader's language: one batched lookup for a whole page.

A page shows hundreds of terms: one query per term, or one big join, was the slow part of a page
(70 s for a busy actor at 1M triples). :func:`labels_of` asks for every label of every term in one
query per 500 terms; :func:`pick_label` then chooses the reader's language, the clearing-house's
default language, English, an untagged label, any label, and last the compact IRI.
"""

from __future__ import annotations

from typing import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS
from rdflib.term import Node

from graph.changekeys import predicate_key
from graph.namespaces import compact
from web import context
from web.i18n import current_lang

LABELS_OF_TERMS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label ?lang WHERE {{
  VALUES ?term {{ {terms} }}
  {{ ?term skos:prefLabel ?label }} UNION {{ ?term dcterms:title ?label }} UNION {{ ?term rdfs:label ?label }}
  BIND(LANG(?label) AS ?lang)
}}
"""

Labels = dict[Node, dict[str, str]]


#: The keys (:mod:`graph.changekeys`) of the properties a label is read from: a term's labels change only with them.
LABEL_KEYS = frozenset(predicate_key(str(p)) for p in (SKOS.prefLabel, DCTERMS.title, RDFS.label))
#: Terms whose labels a reader keeps across writes that did not change them (:class:`web.context.SubjectTable`).
KEPT_LABELS = 100_000


def labels_of(terms: Iterable[Node]) -> Labels:
    """term → {language: label} for every IRI of ``terms`` that has a label.

    A term's labels are kept across writes that did not change them (a page after a write asks again the
    labels of the same vocabulary terms). The IRIs go into a VALUES block: they come from the store's own
    answers (or from a request path or argument already checked to be an IRI), never from free text.
    """
    iris = sorted({t for t in terms if isinstance(t, URIRef)}, key=str)
    found = context.subject_table("labels", KEPT_LABELS, LABEL_KEYS).get_many(iris, _read_labels)
    return {term: labels for term, labels in found.items() if labels}


def _read_labels(iris: list) -> dict:
    labels: Labels = {term: {} for term in iris}
    for start in range(0, len(iris), 500):
        block = " ".join(t.n3() for t in iris[start:start + 500])
        for r in context.store().select(LABELS_OF_TERMS.format(terms=block)):
            labels[r["term"]].setdefault(str(r.get("lang", "")), str(r["label"]))
    return {term: context.About(by_lang, frozenset((str(term),))) for term, by_lang in labels.items()}


def pick_label(term: Node, by_lang: dict[str, str], lang: str | None = None) -> str:
    """The best of a term's labels for a reader of ``lang`` (see the module's docstring)."""
    if isinstance(term, Literal):
        return str(term)
    lang = lang or current_lang()
    for choice in (lang, context.settings().default_lang, "en", ""):
        if choice in by_lang:
            return by_lang[choice]
    if by_lang:
        return by_lang[sorted(by_lang)[0]]
    return compact(term)


def pick_text(values: Iterable[Literal], lang: str | None = None) -> str | None:
    """The value of a language-tagged text (title, description) best suited to the reader, or None."""
    by_lang: dict[str, str] = {}
    for value in values:
        by_lang.setdefault(value.language or "", str(value))
    if not by_lang:
        return None
    lang = lang or current_lang()
    for choice in (lang, context.settings().default_lang, "en", ""):
        if choice in by_lang:
            return by_lang[choice]
    return by_lang[sorted(by_lang)[0]]


class Namer:
    """Labels of a set of terms fetched once, then asked for one by one: ``name(term)``."""

    def __init__(self, terms: Iterable[Node] = ()):
        self.labels: Labels = labels_of(terms)

    def add(self, terms: Iterable[Node]) -> None:
        missing = [t for t in terms if isinstance(t, URIRef) and t not in self.labels]
        self.labels.update(labels_of(missing))
        for term in missing:
            self.labels.setdefault(term, {})

    def __call__(self, term: Node) -> str:
        return pick_label(term, self.labels.get(term, {}))


def label(term: Node) -> str:
    """Best label of one ``term`` (one query: for a page's many terms use :class:`Namer`)."""
    return pick_label(term, labels_of([term]).get(term, {}))
