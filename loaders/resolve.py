"""Resolve the text of a spreadsheet cell to a concept of our reference vocabularies.

CHM staff type "Target 3", "T3", "cible 3", "30x30" or just "3" for GBF target 3, "Art. 18" for CBD
article 18, "France", "FR" or "Guyane" for a place, "Formation" or "training" for a modality. The
resolver knows every label (``skos:prefLabel``, ``skos:altLabel``) and notation of the vocabularies in
``ontology/*.ttl``, in every language, compared without case, accents or repeated spaces; numbered
concepts (GBF targets, CBD articles) also by their number behind a usual prefix; and the few aliases
no label carries, kept as data in ``loaders/aliases.toml``. The vocabularies are read once per
:class:`Resolver`; :func:`default_resolver` shares one for the process.

A label that two concepts of one scheme share is ambiguous and resolves to nothing (the loader then
reports the cell), rather than to an arbitrary one of them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from graph.namespaces import TSC, VOCAB
from graph.settings import ROOT
from graph.text import fold
from graph.validation import read_turtle_dir

ALIASES_FILE = Path(__file__).resolve().parent / "aliases.toml"


@dataclass(frozen=True)
class Scheme:
    """A set of concepts a column may name: how to find its members, what a person calls it."""

    name: str                  # the name used in mapping files
    description: str           # for problems: "not a GBF target …"
    member_class: URIRef | None = None   # members by rdf:type …
    in_scheme: URIRef | None = None      # … or by skos:inScheme
    number_pattern: str | None = None    # numbered concepts: a regex whose group 1 is the number


#: The schemes a mapping file may name with ``scheme = "…"``.
SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme("gbf-target", "a GBF target (1-23, by number, label or alias)", member_class=TSC.GBFTarget,
               number_pattern=r"(?:km ?)?(?:gbf )?(?:target|cible|meta|t) ?(\d{1,2})"),
        Scheme("cbd-article", "a CBD article (1-42, by number or label)", member_class=TSC.CBDArticle,
               number_pattern=r"(?:cbd )?(?:article|art\.?|art) ?(\d{1,2})"),
        Scheme("place", "a place (ISO 3166-1 alpha-2 code, or name in English or French)", in_scheme=VOCAB["place"]),
        Scheme("modality", "a modality of cooperation (by label in English or French)", in_scheme=VOCAB["modality"]),
        Scheme("actor-type", "a type of actor (by label in English or French)", in_scheme=VOCAB["actor-type"]),
        Scheme("status", "a status (by label in English or French)", in_scheme=VOCAB["status"]),
    )
}


def normalise(text: str) -> str:
    """The form in which labels are compared: no accents, case-folded, single spaces, no outer dots."""
    text = text.replace("\u2019", "'")  # typographic apostrophe, as word processors type it
    return " ".join(fold(text).split()).strip(" .")


class Resolver:
    """Label → concept lookups for every scheme of :data:`SCHEMES`, built once from the vocabularies."""

    def __init__(self, vocabularies: Graph, aliases: dict[str, dict[str, str]] | None = None) -> None:
        self._index: dict[str, dict[str, URIRef]] = {}
        self._numbers: dict[str, dict[int, URIRef]] = {}
        for scheme in SCHEMES.values():
            self._index[scheme.name], self._numbers[scheme.name] = _scheme_index(vocabularies, scheme)
        for scheme_name, table in (aliases or {}).items():
            if scheme_name not in SCHEMES:
                raise ValueError(f"aliases: unknown scheme {scheme_name!r}")
            for alias, target in table.items():
                concept = self._by_key(scheme_name, normalise(target))
                if concept is None:
                    raise ValueError(f"aliases: {alias!r} points to {target!r}, not {SCHEMES[scheme_name].description}")
                self._index[scheme_name].setdefault(normalise(alias), concept)

    @classmethod
    def from_ontology(cls, ontology_dir: Path = ROOT / "ontology", aliases_file: Path = ALIASES_FILE) -> "Resolver":
        """Read the vocabularies of ``ontology_dir`` and the aliases file (the I/O around the index)."""
        with open(aliases_file, "rb") as f:
            aliases = tomllib.load(f)
        return cls(read_turtle_dir(ontology_dir), aliases)

    def resolve(self, scheme: str, text: str) -> URIRef | None:
        """The concept of ``scheme`` that ``text`` names, or None when none (or more than one) does."""
        if scheme not in SCHEMES:
            raise KeyError(f"unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}")
        return self._by_key(scheme, normalise(text))

    def _by_key(self, scheme: str, key: str) -> URIRef | None:
        if not key:
            return None
        found = self._index[scheme].get(key)
        if found is not None:
            return found
        pattern = SCHEMES[scheme].number_pattern
        if pattern is not None:
            match = re.fullmatch(rf"(?:{pattern}|(\d{{1,2}}))", key)
            if match:
                return self._numbers[scheme].get(int(match.group(1) or match.group(2)))
        return None


def _scheme_index(vocabularies: Graph, scheme: Scheme) -> tuple[dict[str, URIRef], dict[int, URIRef]]:
    """Every normalised label and notation of the scheme's members; numbered members by number."""
    if scheme.member_class is not None:
        members = set(vocabularies.subjects(RDF.type, scheme.member_class))
    else:
        members = set(vocabularies.subjects(SKOS.inScheme, scheme.in_scheme))
    index: dict[str, URIRef] = {}
    ambiguous: set[str] = set()
    numbers: dict[int, URIRef] = {}
    for concept in members:
        if not isinstance(concept, URIRef):
            continue
        names = [o for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.notation) for o in vocabularies.objects(concept, p)]
        for name in names:
            if not isinstance(name, Literal):
                continue
            key = normalise(str(name))
            if index.get(key, concept) != concept:
                ambiguous.add(key)
            index[key] = concept
        if scheme.number_pattern is not None:
            for notation in vocabularies.objects(concept, SKOS.notation):
                if str(notation).isdigit():
                    numbers[int(str(notation))] = concept
    for key in ambiguous:
        del index[key]
    return index, numbers


@lru_cache(maxsize=1)
def default_resolver() -> Resolver:
    """One resolver over the bundled vocabularies, shared by every load in the process."""
    return Resolver.from_ontology()
