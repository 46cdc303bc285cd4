"""BioBridge matchmaking: which cooperation offers could meet a request (and which requests an offer could meet).

Pure functions over plain features, so that the ranking is tested on hand-built records and reused by any
caller (pages, API, a harvester). Reading the features from the store is the caller's job
(:mod:`web.biobridge` does it in two queries per page).

What counts, and how much (points per shared item; the order is the issue's: what the two records are
about first, then how, then in which language, then where):

==================  ======  ==============================================================
reason              points  when
==================  ======  ==============================================================
``target``          20      each GBF target both records contribute to
``modality``        12      each modality both name (training, twinning…)
``theme``           6       each theme (``dcterms:subject``) both name, compared case- and
                            space-insensitively within one language; themes are written in
                            several languages, so the shared themes are counted in the
                            language where most are shared, not once per language
``language``        4       each working language both name
``place``           2       each place both name
``country``         1       no place shared, but the places meet one level up: a region or
                            overseas territory and its country (``skos:broader``), or two
                            places of the same country (Mayotte and Réunion: France)
==================  ======  ==============================================================

Decisions, so that a suggestion means something:

* **A suggestion shares what the records are about**: at least one GBF target or one theme. A shared
  modality, language or place says *how* or *where*, not *what*; alone it would pair a request for
  training in detecting modified organisms with any training offer (the bundled Andean request,
  which the data says no offer fits, shows it). Offers that share nothing are never suggested.
* **Closed records are not suggested** (a closed offer can no longer meet anything). Matched ones are:
  an offer may serve several requests, and the pair already matched (``tsc:matches``, either way)
  is flagged ``matched`` so that pages can mark it.
* **Ties** are broken by more shared targets, then the record's IRI: the order is total and stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from rdflib import Literal, URIRef

from graph.namespaces import VOCAB

#: Points per shared item (see the module docstring).
WEIGHTS: Mapping[str, int] = {"target": 20, "modality": 12, "theme": 6, "language": 4, "place": 2, "country": 1}
#: The kinds of reason of which a suggestion needs at least one.
QUALIFYING = frozenset({"target", "theme"})
#: The status of records that are never suggested.
CLOSED = URIRef(VOCAB + "status/closed")


def normalise_theme(text: str) -> str:
    """A theme as compared: case-folded, inner spaces collapsed ("Coral  Reefs" = "coral reefs")."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Features:
    """What a cooperation offer or request says about itself, as far as matching goes.

    ``themes`` maps a language to that language's themes (as written); ``broader`` holds the broader
    places of ``places`` (skos:broader, one level).
    """

    iri: URIRef
    targets: frozenset = frozenset()
    modalities: frozenset = frozenset()
    themes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    places: frozenset = frozenset()
    broader: frozenset = frozenset()
    status: URIRef | None = None
    matches: frozenset = frozenset()


@dataclass(frozen=True)
class Reason:
    """One thing two records share: its kind (a key of :data:`WEIGHTS`), the shared value, its points.

    ``value`` is an IRI (target, modality, place, country), a language code, or a theme as the
    candidate writes it; ``lang`` is the language of a theme.
    """

    kind: str
    value: object
    points: int
    lang: str | None = None


@dataclass(frozen=True)
class Suggestion:
    other: URIRef
    score: int
    reasons: tuple[Reason, ...]
    matched: bool = False

    def count(self, kind: str) -> int:
        return sum(1 for r in self.reasons if r.kind == kind)


def features_from_rows(iri: URIRef, rows: Iterable[tuple[str, object]]) -> Features:
    """Features from ``(kind, value)`` pairs, kinds as in :data:`WEIGHTS` plus ``broader``, ``status``, ``matches``.

    A theme value is a language-tagged :class:`~rdflib.Literal`; a language is a code (any case).
    """
    sets: dict[str, set] = {k: set() for k in ("target", "modality", "language", "place", "broader", "matches")}
    themes: dict[str, set[str]] = {}
    status = None
    for kind, value in rows:
        if kind == "theme":
            lang = value.language if isinstance(value, Literal) and value.language else ""
            themes.setdefault(lang.lower(), set()).add(str(value))
        elif kind == "language":
            sets["language"].add(str(value).lower())
        elif kind == "status":
            status = value
        elif kind in sets:
            sets[kind].add(value)
    return Features(
        iri=iri,
        targets=frozenset(sets["target"]),
        modalities=frozenset(sets["modality"]),
        themes={lang: frozenset(values) for lang, values in themes.items()},
        languages=frozenset(sets["language"]),
        places=frozenset(sets["place"]),
        broader=frozenset(sets["broader"]),
        status=status,
        matches=frozenset(sets["matches"]),
    )


def shared_themes(mine: Features, other: Features, prefer: str | None = None) -> tuple[str | None, list[str]]:
    """The language in which most themes are shared (``prefer`` wins a tie), and those themes as ``other`` writes them."""
    best: tuple[str | None, list[str]] = (None, [])
    languages = sorted(set(mine.themes) & set(other.themes), key=lambda lang: (lang != prefer, lang))
    for lang in languages:
        wanted = {normalise_theme(t) for t in mine.themes[lang]}
        found = sorted({t for t in other.themes[lang] if normalise_theme(t) in wanted}, key=normalise_theme)
        if len(found) > len(best[1]):
            best = (lang, found)
    return best


def reasons_for(mine: Features, other: Features, prefer_lang: str | None = None) -> tuple[Reason, ...]:
    """Everything ``mine`` and ``other`` share, as reasons with their points, in weight order."""
    reasons: list[Reason] = []
    for target in sorted(mine.targets & other.targets, key=target_order):
        reasons.append(Reason("target", target, WEIGHTS["target"]))
    for modality in sorted(mine.modalities & other.modalities, key=str):
        reasons.append(Reason("modality", modality, WEIGHTS["modality"]))
    lang, themes = shared_themes(mine, other, prefer_lang)
    reasons.extend(Reason("theme", theme, WEIGHTS["theme"], lang) for theme in themes)
    for code in sorted(mine.languages & other.languages, key=lambda c: (c != prefer_lang, c)):
        reasons.append(Reason("language", code, WEIGHTS["language"]))
    places = mine.places & other.places
    if places:
        reasons.extend(Reason("place", p, WEIGHTS["place"]) for p in sorted(places, key=str))
    else:
        areas = (mine.places | mine.broader) & (other.places | other.broader)
        reasons.extend(Reason("country", p, WEIGHTS["country"]) for p in sorted(areas, key=str))
    return tuple(reasons)


def rank(mine: Features, others: Iterable[Features], prefer_lang: str | None = None) -> list[Suggestion]:
    """The records of ``others`` that could go with ``mine``, best first (see the module docstring).

    ``prefer_lang`` only chooses the language in which shared themes are reported (and which shared
    language is named first); it never changes a score or the order.
    """
    suggestions = []
    for other in others:
        if other.iri == mine.iri or other.status == CLOSED:
            continue
        reasons = reasons_for(mine, other, prefer_lang)
        if not any(r.kind in QUALIFYING for r in reasons):
            continue
        matched = other.iri in mine.matches or mine.iri in other.matches
        suggestions.append(Suggestion(other.iri, sum(r.points for r in reasons), reasons, matched))
    suggestions.sort(key=lambda s: (-s.score, -s.count("target"), str(s.other)))
    return suggestions


def target_order(target) -> tuple:
    """GBF targets in their numeric order (…/target/3 before …/target/21), other IRIs after."""
    tail = str(target).rsplit("/", 1)[-1]
    return (0, int(tail), "") if tail.isdigit() else (1, 0, str(target))
