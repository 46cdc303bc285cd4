"""Likely duplicates across sources: proposed as ``owl:sameAs`` links for an editor to confirm, never merged.

The same organisation or project may reach the public graphs twice under different IRIs: once in the
local graph, once (or more) in harvested graphs (``{base}graph/harvest/{name}``). :func:`proposals`
finds pairs of ``tsc:Actor`` records, and of ``tsc:Project`` records, of the local and harvested graphs
that share

* a **name** (actors: ``skos:prefLabel`` or ``skos:altLabel``; projects: ``dcterms:title``; any language),
  compared case-folded, without accents, punctuation or spaces (:func:`name_key`);
* a **website** (``schema:url``) compared by host and path, whatever the scheme, ``www.`` or a trailing
  slash (:func:`website_key`);
* an **identifier** (``dcterms:identifier``), compared case-folded with its spaces collapsed.

Each pair comes with its reasons and a score (:data:`WEIGHTS` combined as independent evidence:
``1 − Π(1 − w)``). It scales by grouping: one SPARQL query per property, records grouped by their
normalised key in Python, pairs made within each group only — never a pairwise join. A key shared by
more than :data:`MAX_GROUP` records (a placeholder title, a portal every project links to) says
nothing about any two of them and is skipped.

Pairs already linked by ``owl:sameAs`` in a public graph (directly or through other links) and pairs an
editor already decided are not proposed again.

Decisions (:func:`confirm`, :func:`dismiss`) are kept in the private moderation graph, in PROV terms::

    <{base}id/duplicate-decision/{digest of the pair}> a prov:Activity ;
        prov:used <a> , <b> ;
        prov:generated <…#statement> ;
        prov:wasAssociatedWith <{base}id/editor/{login}> ;
        prov:startedAtTime "…"^^xsd:dateTime ; prov:endedAtTime "…"^^xsd:dateTime ;
        rdfs:comment "…"@en .
    <…#statement> a rdf:Statement ; rdf:subject <a> ; rdf:object <b> ;
        rdf:predicate owl:sameAs        # confirmed: the same triple is written to the local graph
        rdf:predicate owl:differentFrom # dismissed: the editor's judgement, kept private, published nowhere
    <{base}id/editor/{login}> a prov:Agent ; foaf:name "{login}" .

A confirmation writes ``<a> owl:sameAs <b>`` into the local graph (public) in the same transaction as its
decision record; a dismissal writes only its decision record. Nothing is merged, changed or deleted.
Callers pass the raw store; web callers refresh their query snapshots afterwards.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import combinations
from urllib.parse import quote, urlsplit

from rdflib import Literal, URIRef
from rdflib.namespace import FOAF, OWL, PROV, RDF, RDFS
from rdflib.term import Node

from graph.changes import after_write
from graph.settings import Settings
from graph.store import Store
from graph.submissions import _iri, _ntriples, _time
from graph.text import fold
from graph.writelock import WRITE_LOCK

#: How much each kind of shared value says that two records are one (combined as independent evidence).
WEIGHTS = {"identifier": 0.9, "website": 0.7, "name": 0.6}
#: A key shared by more records than this is not distinctive: no pair is made from it.
MAX_GROUP = 25
#: Shorter name keys (after normalisation) are not compared: too many unrelated records share them.
MIN_NAME = 3

KINDS = {"actor": "https://w3id.org/tscgraph/ontology#Actor", "project": "https://w3id.org/tscgraph/ontology#Project"}
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA_URL = "https://schema.org/url"

#: (reason, record kind, property): one query each.
PROPERTIES = (
    ("name", "actor", SKOS + "prefLabel"),
    ("name", "actor", SKOS + "altLabel"),
    ("name", "project", DCTERMS + "title"),
    ("website", None, SCHEMA_URL),
    ("identifier", None, DCTERMS + "identifier"),
)

VALUES_QUERY = """
SELECT ?g ?s ?class ?v WHERE {
  VALUES ?class { %(classes)s }
  GRAPH ?g { ?s a ?class ; <%(property)s> ?v }
  FILTER(isIRI(?s) && (?g = <%(local)s> || STRSTARTS(STR(?g), "%(harvest)s")))
}
"""

SAME_AS_QUERY = "SELECT ?g ?a ?b WHERE { GRAPH ?g { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b } }"

DECIDED_QUERY = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?a ?b WHERE { GRAPH <%(moderation)s> {
  ?decision prov:generated ?statement . ?statement a rdf:Statement ; rdf:subject ?a ; rdf:object ?b .
  FILTER(STRSTARTS(STR(?decision), "%(prefix)s"))
} }
"""


class DuplicateError(Exception):
    """The pair is not a current proposal (or no longer one); nothing was written."""


# ------------------------------------------------------------------ normalising (pure)


def _plain(text: str) -> str:
    return fold(text)


def name_key(text: str) -> str:
    """``"Office Français de la Biodiversité !"`` → ``"officefrancaisdelabiodiversite"``: case-folded, accents,
    punctuation and spaces removed (letters of any script kept)."""
    return "".join(c for c in _plain(text) if c.isalnum())


def website_key(url: str) -> str | None:
    """``"https://www.Example.org/a/"`` → ``"example.org/a"``: host (lower case, without ``www.`` or port) and
    path (without trailing slash), query kept; None for what is not a web address."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if not host or parts.scheme.lower() not in ("http", "https", ""):
        return None
    if host.startswith("www."):
        host = host[4:]
    key = host + parts.path.rstrip("/")
    return key + ("?" + parts.query if parts.query else "")


def identifier_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def key_of(reason: str, value: str) -> str | None:
    if reason == "name":
        key = name_key(value)
        return key if len(key) >= MIN_NAME else None
    if reason == "website":
        return website_key(value)
    key = identifier_key(value)
    return key or None


def score(reasons) -> float:
    """1 − Π(1 − weight) over the distinct kinds of reason."""
    left = 1.0
    for kind in {r.kind for r in reasons}:
        left *= 1 - WEIGHTS[kind]
    return round(1 - left, 3)


# ------------------------------------------------------------------ the model


@dataclass
class Record:
    """One record as the proposals show it: where it comes from and the values compared."""

    iri: URIRef
    kind: str
    graphs: set[str] = field(default_factory=set)
    names: set[Literal] = field(default_factory=set)
    websites: set[str] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Reason:
    kind: str  # name, website, identifier
    value: str  # the normalised value both records share


@dataclass(frozen=True)
class Candidate:
    a: URIRef
    b: URIRef
    kind: str  # actor, project
    reasons: tuple[Reason, ...]
    score: float

    @property
    def pair(self) -> frozenset:
        return frozenset((self.a, self.b))


@dataclass(frozen=True)
class Proposals:
    candidates: list[Candidate]
    records: dict[URIRef, Record]

    def find(self, a: URIRef, b: URIRef) -> Candidate | None:
        wanted = frozenset((a, b))
        return next((c for c in self.candidates if c.pair == wanted), None)


class _Links:
    """Union-find over ``owl:sameAs``: records already said to be one, directly or through others."""

    def __init__(self, pairs=()) -> None:
        self.parent: dict = {}
        for a, b in pairs:
            self.union(a, b)

    def find(self, x):
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb

    def linked(self, a, b) -> bool:
        return self.find(a) == self.find(b)


def find_candidates(entries, same_as=(), decided=(), local_graph: str | None = None,
                    max_group: int = MAX_GROUP) -> Proposals:
    """The proposals from ``entries`` = (graph, record IRI, record kind, reason, value) rows.

    ``same_as``: (a, b) pairs already linked; ``decided``: (a, b) pairs an editor already decided.
    Pairs are ordered: the local graph's record first, then by IRI; best score first."""
    records: dict[URIRef, Record] = {}
    groups: dict[tuple[str, str, str], set[URIRef]] = defaultdict(set)
    for graph, iri, kind, reason, value in entries:
        record = records.get(iri)
        if record is None:
            record = records[iri] = Record(iri, kind)
        elif record.kind != kind:
            continue  # typed both actor and project: compared as the first kind seen
        record.graphs.add(str(graph))
        text = str(value)
        if reason == "name":
            record.names.add(value if isinstance(value, Literal) else Literal(text))
        elif reason == "website":
            record.websites.add(text)
        else:
            record.identifiers.add(text)
        key = key_of(reason, text)
        if key is not None:
            groups[(kind, reason, key)].add(iri)
    links = _Links(same_as)
    done = {frozenset(p) for p in decided}
    reasons: dict[frozenset, set[Reason]] = defaultdict(set)
    for (kind, reason, key), members in groups.items():
        if len(members) < 2 or len(members) > max_group:
            continue
        for a, b in combinations(sorted(members, key=str), 2):
            pair = frozenset((a, b))
            if pair not in done and not links.linked(a, b):
                reasons[pair].add(Reason(reason, key))

    def first(iri: URIRef) -> tuple:
        return (local_graph not in records[iri].graphs, str(iri))

    candidates = []
    for pair, found in reasons.items():
        a, b = sorted(pair, key=first)
        ordered = tuple(sorted(found, key=lambda r: (-WEIGHTS[r.kind], r.value)))
        candidates.append(Candidate(a, b, records[a].kind, ordered, score(ordered)))
    candidates.sort(key=lambda c: (-c.score, c.kind, str(c.a), str(c.b)))
    involved = {iri for c in candidates for iri in (c.a, c.b)}
    return Proposals(candidates, {iri: records[iri] for iri in involved})


# ------------------------------------------------------------------ store queries


def decision_prefix(settings: Settings) -> str:
    return settings.base_iri + "id/duplicate-decision/"


def decision_iri(settings: Settings, a: URIRef, b: URIRef) -> URIRef:
    """One decision per unordered pair."""
    digest = hashlib.sha256("\n".join(sorted((str(a), str(b)))).encode()).hexdigest()[:32]
    return URIRef(decision_prefix(settings) + digest)


def entries(store: Store, settings: Settings):
    """(graph, record, kind, reason, value) of the local and harvested graphs: one query per property."""
    kind_of = {URIRef(iri): kind for kind, iri in KINDS.items()}
    for reason, kind, prop in PROPERTIES:
        classes = [KINDS[kind]] if kind else list(KINDS.values())
        query = VALUES_QUERY % {"classes": " ".join(f"<{c}>" for c in classes), "property": prop,
                                "local": settings.local_graph, "harvest": settings.graph_base + "harvest/"}
        for row in store.select(query):
            yield str(row["g"]), row["s"], kind_of[row["class"]], reason, row["v"]


def same_as_pairs(store: Store, settings: Settings) -> list[tuple[Node, Node]]:
    return [(r["a"], r["b"]) for r in store.select(SAME_AS_QUERY) if settings.is_public_graph(str(r["g"]))]


def decided_pairs(store: Store, settings: Settings) -> list[tuple[Node, Node]]:
    rows = store.select(DECIDED_QUERY % {"moderation": settings.moderation_graph, "prefix": decision_prefix(settings)})
    return [(r["a"], r["b"]) for r in rows]


def proposals(store: Store, settings: Settings, max_group: int = MAX_GROUP) -> Proposals:
    """The current proposals over the public local and harvested graphs (raw store: decisions are private)."""
    return find_candidates(entries(store, settings), same_as_pairs(store, settings), decided_pairs(store, settings),
                           local_graph=settings.local_graph, max_group=max_group)


# ------------------------------------------------------------------ decisions


def confirm(store: Store, settings: Settings, a: URIRef, b: URIRef, editor: str, reasons=()) -> URIRef:
    """Write ``<a> owl:sameAs <b>`` into the local graph with its decision record, in one transaction."""
    return _decide(store, settings, a, b, editor, OWL.sameAs, reasons)


def dismiss(store: Store, settings: Settings, a: URIRef, b: URIRef, editor: str, reasons=()) -> URIRef:
    """Record that ``editor`` judged ``a`` and ``b`` different records: nothing public is written."""
    return _decide(store, settings, a, b, editor, OWL.differentFrom, reasons)


def _decide(store: Store, settings: Settings, a: URIRef, b: URIRef, editor: str, predicate: URIRef,
            reasons) -> URIRef:
    if not isinstance(editor, str) or not editor.strip():
        raise DuplicateError("the editor's name is missing")
    a, b = URIRef(str(a)), URIRef(str(b))
    if a == b:
        raise DuplicateError("a record is not a duplicate of itself")
    decision = decision_iri(settings, a, b)
    with WRITE_LOCK:  # checked again under the lock: another editor may have decided meanwhile
        if frozenset((a, b)) in {frozenset(p) for p in decided_pairs(store, settings)}:
            raise DuplicateError("this pair was already decided")
        if _Links(same_as_pairs(store, settings)).linked(a, b):
            raise DuplicateError("these records are already linked by owl:sameAs")
        now = datetime.now(timezone.utc)
        agent = URIRef(f"{settings.base_iri}id/editor/{quote(editor.strip(), safe='')}")
        statement = URIRef(f"{decision}#statement")
        why = ", ".join(f"{r.kind} {r.value!r}" for r in reasons) or "no reason recorded"
        comment = (f"Confirmed duplicate ({why}): owl:sameAs written to the local graph." if predicate == OWL.sameAs
                   else f"Dismissed as a duplicate ({why}): not to be proposed again.")
        triples = [
            (decision, RDF.type, PROV.Activity), (decision, PROV.used, a), (decision, PROV.used, b),
            (decision, PROV.generated, statement), (decision, PROV.wasAssociatedWith, agent),
            (decision, PROV.startedAtTime, _time(now)), (decision, PROV.endedAtTime, _time(now)),
            (decision, RDFS.comment, Literal(comment, lang="en")),
            (statement, RDF.type, RDF.Statement), (statement, RDF.subject, a), (statement, RDF.predicate, predicate),
            (statement, RDF.object, b),
            (agent, RDF.type, PROV.Agent), (agent, FOAF.name, Literal(editor.strip())),
        ]
        public = (f"GRAPH {_iri(settings.local_graph)} {{ {_iri(a)} {_iri(OWL.sameAs)} {_iri(b)} . }}\n"
                  if predicate == OWL.sameAs else "")
        store.update(f"INSERT DATA {{ {public}GRAPH {_iri(settings.moderation_graph)} {{\n{_ntriples(triples)}\n}} }}")
        if public:
            after_write(store, [settings.local_graph], records=[a])
    return decision


__all__ = ["Candidate", "DuplicateError", "Proposals", "Reason", "Record", "confirm", "dismiss", "find_candidates",
           "identifier_key", "name_key", "proposals", "website_key"]
