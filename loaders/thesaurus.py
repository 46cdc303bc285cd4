"""CBD thesaurus → refreshed labels for our GBF goals, targets and headline indicators.

The CBD publishes the GBF's official titles in its thesaurus (``GET …/thesaurus/domains/{DOMAIN}/terms``,
a JSON array of terms: ``identifier``, ``title`` and ``shortTitle`` by language, …; the shape is
described in /work/shared/reference/gbf.json). Our concepts in ``ontology/gbf.ttl`` carry the CBD
identifier (``dcterms:identifier "GBF-TARGET-03"``, also ``skos:exactMatch <…/thesaurus/terms/GBF-TARGET-03>``),
so each term is matched by identifier, never by label — which also covers the irregular identifiers
(indicator 2.1 is ``GBF-INDICATOR-2.2``, B.1 is ``GBF-INDICATOR-B1``).

:func:`load_thesaurus` is pure and makes only the refreshed labels; :func:`graph.vocabularies.apply_labels`
puts them in place of the old ones per language (the CBD's titles are official: it drops
``tsc:translatedLabelLanguage`` for every language the answer gave), ``tscgraph refresh-labels`` writes them.
:func:`fetch_thesaurus` is the thin network shell, used only when the CBD is reachable; tests never call it.

Labels: per language (en, fr, es), the term's ``shortTitle`` else its ``title``, without the CBD's
numbering prefix ("GBF-T01. ", "GBF-G-B. ", an indicator's "A.1 "). Targets and indicators get them
as ``skos:prefLabel``. Goals get them as ``skos:altLabel``: a goal's prefLabel stays "Goal A" /
"Objectif A", as in ``ontology/gbf.ttl``, where the CBD's short title of Goal B is already an altLabel.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from graph.namespaces import GBF, TSC, bind_prefixes
from loaders import Loaded, Problem
from loaders.net import FetchError, Policy, fetch_body

LANGUAGES = ("en", "fr", "es")
TERMS_IRI = "https://api.cbd.int/api/v2013/thesaurus/terms/"
#: The classes of our concepts a thesaurus answer may refresh.
CLASSES = (TSC.GBFGoal, TSC.GBFTarget, TSC.HeadlineIndicator)
#: The domains ``tscgraph refresh-labels`` fetches by default (names from /work/shared/reference/gbf.json).
DEFAULT_DOMAINS = ("GBF-GOALS", "GBF-TARGETS", "GBF-HEADLINE-INDICATORS")
DEFAULT_URL_TEMPLATE = "https://api.cbd.int/api/v2013/thesaurus/domains/{domain}/terms"
MAX_ANSWER_BYTES = 5 * 1024 * 1024  # the whole GBF-GOALS-TARGETS answer is far smaller


def fetch_thesaurus(domain: str, url_template: str = DEFAULT_URL_TEMPLATE, timeout: float = 20.0) -> bytes:
    """The CBD's answer for ``domain`` (e.g. ``GBF-TARGETS``), as bytes; raises ``OSError`` when unreachable.

    The domain is checked so that it cannot change the URL's shape; the answer is cut at
    :data:`MAX_ANSWER_BYTES` (a longer one is refused) so a misbehaving server cannot exhaust memory. The
    guarded client (:mod:`loaders.net`) fetches it: the template's own address is the operator's choice, a
    redirect is followed only to a public address.
    """
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", domain):
        raise ValueError(f"not a CBD thesaurus domain: {domain!r}")
    url = url_template.format(domain=domain)
    try:
        return fetch_body(url, Policy.for_operator(url), headers={"Accept": "application/json"}, timeout=timeout,
                          max_bytes=MAX_ANSWER_BYTES)
    except FetchError as exc:
        raise OSError(exc.reason) from None


def load_thesaurus(data: bytes | str, source: str, ontology_graph: Graph) -> Loaded:
    """Refreshed labels for our concepts named in a thesaurus answer; problems for what does not fit.

    Reported: an answer that is not a JSON array of terms; a term without identifier or without any
    title in en/fr/es; a term that matches none of our concepts; the same term twice; and our
    concepts of the kinds the answer covers (goals, targets, indicators) that it lacks.
    """
    graph = bind_prefixes(Graph())
    loaded = Loaded(graph)
    try:
        terms = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        loaded.problems.append(Problem(source, "document", "not JSON", str(exc)))
        return loaded
    except RecursionError:
        loaded.problems.append(Problem(source, "document", "not JSON: nested too deeply to read"))
        return loaded
    if not isinstance(terms, list):
        loaded.problems.append(Problem(source, "document", "not a JSON array of thesaurus terms"))
        return loaded
    concepts = _concepts_by_identifier(ontology_graph)
    seen: dict[URIRef, str] = {}
    for index, term in enumerate(terms):
        where = f"term[{index}]"
        identifier = term.get("identifier") if isinstance(term, dict) else None
        if not isinstance(identifier, str) or not identifier.strip():
            loaded.problems.append(Problem(source, where, "term has no identifier; left out"))
            continue
        identifier = identifier.strip()
        where = f"{where} {identifier}"
        if identifier not in concepts:
            loaded.problems.append(Problem(source, where, "term matches none of our concepts", identifier))
            continue
        concept, kind, notation = concepts[identifier]
        if concept in seen:
            loaded.problems.append(Problem(source, where, "term given twice; the first is kept", identifier))
            continue
        seen[concept] = identifier
        labels = _labels(term, notation)
        for lang in [lang for lang, text in labels.items() if not _is_text(text)]:
            loaded.problems.append(Problem(source, where, f"the {lang} title is not Unicode text (a lone surrogate "
                                           "escape such as \\ud800); that title is left out", identifier))
            del labels[lang]
        if not labels:
            loaded.problems.append(Problem(source, where, "term has no title in en, fr or es; labels left as they are",
                                           identifier))
            continue
        prop = SKOS.altLabel if kind == TSC.GBFGoal else SKOS.prefLabel
        for lang, text in labels.items():
            graph.add((concept, prop, Literal(text, lang=lang)))
        loaded.records += 1
    covered = {kind for concept, kind, _ in concepts.values() if concept in seen}
    for identifier, (concept, kind, _) in sorted(concepts.items(), key=lambda item: _natural(item[0])):
        if kind in covered and concept not in seen:
            loaded.problems.append(Problem(source, "answer", "our concept has no term in the answer; its labels "
                                           "were not refreshed", identifier))
    return loaded


def _concepts_by_identifier(ontology: Graph) -> dict[str, tuple[URIRef, URIRef, str]]:
    """CBD identifier → (our concept, its class, its notation), from dcterms:identifier or skos:exactMatch."""
    out: dict[str, tuple[URIRef, URIRef, str]] = {}
    for kind in CLASSES:
        for concept in ontology.subjects(RDF.type, kind):
            if not isinstance(concept, URIRef) or not str(concept).startswith(str(GBF)):
                continue
            notation = str(ontology.value(concept, SKOS.notation) or "")
            ids = {str(i) for i in ontology.objects(concept, DCTERMS.identifier)}
            ids |= {str(m)[len(TERMS_IRI):] for m in ontology.objects(concept, SKOS.exactMatch)
                    if str(m).startswith(TERMS_IRI)}
            for identifier in ids:
                out[identifier] = (concept, kind, notation)
    return out


def _labels(term: dict[str, Any], notation: str) -> dict[str, str]:
    """Per language, the short title else the title, without the CBD's numbering prefix."""
    out = {}
    for lang in LANGUAGES:
        for field in ("shortTitle", "title"):
            texts = term.get(field)
            text = texts.get(lang) if isinstance(texts, dict) else None
            if isinstance(text, str) and text.strip():
                out[lang] = _strip_prefix(" ".join(text.split()), notation)
                break
    return {lang: text for lang, text in out.items() if text}


def _is_text(text: str) -> bool:
    """JSON may escape half a surrogate pair (``"\\ud800"``): no store or serialiser takes that as text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strip_prefix(text: str, notation: str) -> str:
    """'GBF-T01. Plan and…' → 'Plan and…'; 'A.1 Red List…' (indicator A.1) → 'Red List…'."""
    text = re.sub(r"^GBF-[A-Z0-9-]+\.\s+", "", text)
    if notation:
        text = re.sub(rf"^{re.escape(notation)}\.?\s+", "", text)
    return text


def _natural(identifier: str) -> tuple:
    """Sort key putting GBF-TARGET-2 before GBF-TARGET-10 (numbers compared as numbers)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", identifier))
