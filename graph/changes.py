"""Change feeds: per named graph, which records were created, updated or deleted, in order, and when.

Partners harvest increments instead of everything: each graph that holds records (the ontology and
vocabularies, the local graph, each harvest; see :func:`feed_of`) has a feed of ActivityStreams 2.0
activities kept in the public graph ``{base}graph/changes``::

    <{base}id/change/local/42> a as:Update ;          # as:Create | as:Update | as:Delete
        as:object <the record> ; as:target <{base}graph/local> ;
        as:endTime "…"^^xsd:dateTime ;
        tsc:changeNumber 42 ;                        # 1, 2, 3… per graph, no gap: pages never move
        tsc:recordDigest "sha256 hex" .              # the description after the change (not on Delete)

The feed is **derived from the graph's state**, not told by each writer: :func:`sync` compares each
record's description digest (:func:`record_digests`) with the digest of its newest activity and logs
the differences. Every write path calls :func:`after_write` once its transaction is done (checked
loads and imports, SPARQL Update, Graph Store Protocol, approvals, duplicate decisions, harvests,
``setup``). A write that names the records it touched has only those compared; the others compare the
whole graph. Syncing is idempotent — a second sync logs nothing — so should a process die between its
write and its sync, the next whole-graph sync of that graph (``tscgraph setup``, which ``make serve``
runs, or the graph's next load) logs what was missed, with that later time; a write that names its records
(an update, an approval, a harvest run) compares those.

Writes and syncs take :data:`graph.writes.WRITE_LOCK`, so change numbers never collide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from graph.namespaces import AS, TSC
from graph.querytext import values_clause
from graph.store import Store
from graph.store.oxigraph import ntriples_terms
from graph.writelock import WRITE_LOCK

#: Graphs with a feed, by their path under ``{base}graph/``: exact names, and prefixes of families.
FEED_GRAPHS = ("ontology", "local")
FEED_FAMILIES = ("harvest/",)
CHANGES_SUFFIX = "graph/changes"
ACTIVITY_TYPES = {"Create": AS.Create, "Update": AS.Update, "Delete": AS.Delete}

#: The newest activity of each record of one feed (``{target}``, ``{log}``, optional ``{only}`` filled in code).
STATE_QUERY = """
PREFIX as: <https://www.w3.org/ns/activitystreams#>
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT ?object ?n ?digest WHERE {{
  GRAPH <{log}> {{ {only}
                  ?activity as:object ?object .
                  ?activity as:target <{target}> ; tsc:changeNumber ?n .
                  OPTIONAL {{ ?activity tsc:recordDigest ?digest }} }}
}}
"""

LAST_QUERY = """
PREFIX as: <https://www.w3.org/ns/activitystreams#>
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT (MAX(?n) AS ?last) WHERE {{ GRAPH <{log}> {{ ?activity as:target <{target}> ; tsc:changeNumber ?n }} }}
"""
#: How many activities a feed holds: its last number, since numbers run from 1 without a gap (checked).
COUNT_QUERY = """
PREFIX as: <https://www.w3.org/ns/activitystreams#>
SELECT (COUNT(?activity) AS ?count) WHERE {{ GRAPH <{log}> {{ ?activity as:target <{target}> }} }}
"""
#: Whether activity ``{number}`` is the feed's last: it exists, and the next does not.
IS_LAST_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT ?next WHERE {{ GRAPH <{log}> {{ <{activity}> tsc:changeNumber {number} .
                                      OPTIONAL {{ <{following}> tsc:changeNumber ?next }} }} }}
"""

#: A record's description as :func:`graph.writes.description_deletes` removes it: its triples, its blank
#: nodes' and theirs (two levels: a budget is a blank node).
DESCRIPTIONS_QUERY = """
CONSTRUCT {{ ?r ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 }} WHERE {{
  VALUES ?r {{ {records} }}
  GRAPH <{graph}> {{ ?r ?p ?o
    OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2 OPTIONAL {{ FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 }} }} }}
}}
"""


#: The triples of a graph whose subject is a blank node (a record's budget…): few, read before the streamed pass.
BLANK_SUBJECTS_QUERY = "SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(isBlank(?s)) }} }}"

#: Activities written per transaction: a whole-graph sync after a bulk load of 10M triples logs 450k records, and one
#: transaction of 2.7M triples would be held in memory whole. Numbers go up chunk by chunk, so a sync cut between two
#: chunks leaves a feed without gap, and the next sync logs the rest (it is idempotent).
ACTIVITIES_PER_WRITE = 20_000


@dataclass
class Changes:
    """What one sync logged for one graph."""

    graph: str
    created: list[URIRef] = field(default_factory=list)
    updated: list[URIRef] = field(default_factory=list)
    deleted: list[URIRef] = field(default_factory=list)
    first: int = 0  # the change number of the first activity logged (0: none)

    def __len__(self) -> int:
        return len(self.created) + len(self.updated) + len(self.deleted)


# ------------------------------------------------------------------ pure parts


def feed_of(graph_iri: str) -> tuple[str, str] | None:
    """``(changes graph, feed name)`` of a graph with a feed — ``{base}graph/local`` →
    (``{base}graph/changes``, ``local``); None for any other graph (bookkeeping, private, foreign)."""
    head, sep, name = graph_iri.rpartition("/graph/")
    if not sep or "://" not in head:
        return None
    if name in FEED_GRAPHS or any(name.startswith(f) and len(name) > len(f) for f in FEED_FAMILIES):
        return f"{head}/{CHANGES_SUFFIX}", name
    return None


def graph_of_feed(changes_graph: str, name: str) -> str | None:
    """The graph whose feed is ``name`` (the inverse of :func:`feed_of`); None if ``name`` names no feed."""
    graph = changes_graph[: -len("changes")] + name
    return graph if feed_of(graph) == (changes_graph, name) else None


def activity_iri(changes_graph: str, name: str, number: int) -> URIRef:
    """``{base}id/change/{feed name}/{number}``: an activity's IRI says where it sits."""
    return URIRef(f"{changes_graph[: -len(CHANGES_SUFFIX)]}id/change/{name}/{number}")


def canonical(term: Node) -> str:
    """A term as compared: blank nodes alike, typed literals by value — the store writes ``1500.00`` as
    ``1500`` and rdflib reads ``…Z`` as ``…+00:00``, and neither is a change."""
    if isinstance(term, BNode):
        return "_:"
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        value = term.value
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, (datetime, date, time)):
            value = value.isoformat()
        elif isinstance(value, float):
            value = repr(value)
        return f'"{value}"^^<{term.datatype}>'
    return term.n3()


def record_digests(triples: Iterable[tuple[Node, Node, Node]]) -> dict[URIRef, str]:
    """Each record's description as a digest (its own triples and its blank nodes', compared as
    :func:`canonical` says), so that the same description read from a file or from the store agrees.

    Takes any iterable of triples (a Graph, or a store's :meth:`Store.triples` stream) and builds only
    dictionaries: at 100k triples, building an rdflib Graph first cost three times the digests."""
    by_subject: dict[Node, list[tuple[Node, Node]]] = {}
    records: set[URIRef] = set()
    tsc = str(TSC)
    for s, p, o in triples:
        by_subject.setdefault(s, []).append((p, o))
        if p == RDF.type and isinstance(s, URIRef) and str(o).startswith(tsc):
            records.add(s)
    digests = {}
    for record in records:
        lines, seen, todo = [], {record}, [record]
        while todo:  # the record, then its blank nodes, depth first (as graph.reports.owner_map)
            subject = todo.pop()
            for p, o in by_subject.get(subject, ()):
                lines.append(f"{canonical(subject)} {canonical(p)} {canonical(o)}")
                if isinstance(o, BNode) and o not in seen:
                    seen.add(o)
                    todo.append(o)
        digests[record] = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
    return digests


def _digest(record: URIRef, own: list[tuple[Node, Node]], blank: dict[Node, list[tuple[Node, Node]]]) -> str:
    """One record's digest (as :func:`record_digests`): its own pairs, then its blank nodes' depth first."""
    lines, seen, todo = [], {record}, [(record, own)]
    while todo:
        subject, pairs = todo.pop()
        for p, o in pairs:
            lines.append(f"{canonical(subject)} {canonical(p)} {canonical(o)}")
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append((o, blank.get(o, ())))
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def streamed_digests(groups: Iterable[tuple[Node, list[tuple[Node, Node]]]],
                     blank: dict[Node, list[tuple[Node, Node]]]) -> dict[URIRef, str]:
    """:func:`record_digests` in one pass over a graph given subject by subject (``groups``: each subject once, with
    its (predicate, object) pairs), with the blank nodes' pairs given beforehand (``blank``: a few per record, e.g.
    budgets): memory holds one subject at a time and the digests, not the graph (10M triples: 450k digests)."""
    tsc = str(TSC)
    digests = {}
    for subject, pairs in groups:
        if isinstance(subject, URIRef) and any(p == RDF.type and str(o).startswith(tsc) for p, o in pairs):
            digests[subject] = _digest(subject, pairs, blank)
    return digests


def graph_digests(store: Store, graph_iri: str) -> dict[URIRef, str]:
    """Every record's digest in ``graph_iri``, streamed from the store: its blank nodes' triples first (one query),
    then one pass subject by subject — over the engine's own N-Triples when it writes them subject by subject
    (:func:`ntriples_digests`: 3–4 times faster than terms), else over :meth:`graph.store.Store.subject_groups`."""
    if getattr(store, "ntriples_by_subject", False):
        with store.ntriples_lines(graph_iri) as lines:  # type: ignore[attr-defined]
            blank_lines = _nt_blank_lines(lines())  # first pass: blank nodes only
            digests = ntriples_digests(lines(), blank_lines)
        if digests is not None:
            return digests
    blank: dict[Node, list[tuple[Node, Node]]] = {}
    for row in store.query(BLANK_SUBJECTS_QUERY.format(graph=graph_iri)).rows:
        blank.setdefault(row[0], []).append((row[1], row[2]))
    return streamed_digests(store.subject_groups(graph_iri), blank)


def _nt_blank_lines(lines: Iterable[str]) -> dict[str, list[tuple[str, str, str | None]]]:
    """The triples of the blank nodes among N-Triples lines: ``_:id`` → (predicate, object as :func:`canonical`
    writes it, the object's ``_:id`` when it is a blank node)."""
    known: dict[str, str] = {}
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for line in lines:
        if line.startswith("_:"):
            subject, predicate, obj = ntriples_terms(line)
            inner = obj if obj.startswith("_:") else None
            found.setdefault(subject, []).append((predicate, "_:" if inner else _nt_canonical(obj, known), inner))
    return found


_NT_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_NT_CHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _nt_unescape(text: str) -> str:
    return _NT_ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)) if (m[1] or m[2]) else _NT_CHARS[m[3]], text)


def _nt_canonical(token: str, known: dict[str, str]) -> str:
    """:func:`canonical` of one N-Triples term as the engine writes it (IRIs, literals; not blank nodes)."""
    if token[0] == "<":
        return token
    found = known.get(token)
    if found is not None:
        return found
    end = token.rindex('"')
    lexical, tail = token[1:end], token[end + 1:]
    if "\\" not in lexical and not tail:
        found = token  # a plain string: rdflib writes it the same
    elif "\\" not in lexical and tail.startswith("@"):
        found = token[:end + 1] + tail.lower()
    else:
        value = _nt_unescape(lexical)
        if tail.startswith("@"):
            found = canonical(Literal(value, lang=tail[1:]))
        elif tail.startswith("^^<"):
            found = canonical(Literal(value, datatype=URIRef(tail[3:-1])) if tail[3:-1] != str(XSD.string) else Literal(value))
        else:
            found = canonical(Literal(value))
    if len(known) < 500_000:  # dates, booleans, amounts and vocabulary labels repeat
        known[token] = found
    return found


def ntriples_digests(lines: Iterable[str], blank_lines: dict[str, list[tuple[str, str, str | None]]]
                     ) -> dict[URIRef, str] | None:
    """:func:`streamed_digests` over N-Triples lines given subject by subject, with the blank nodes' triples read
    beforehand (:func:`_nt_blank_lines`), and no rdflib term per triple (a typed or escaped literal is read by
    rdflib once per distinct text). None when a subject comes back after its group (the lines were not in subject
    order): the caller reads terms instead."""
    rdf_type, tsc = f"<{RDF.type}>", f"<{TSC}"
    known: dict[str, str] = {}
    digests: dict[URIRef, str] = {}
    seen: set[str] = set()

    def close(subject: str, pairs: list[tuple[str, str]]) -> None:
        if subject in seen:
            raise LookupError(subject)
        seen.add(subject)
        if not any(p == rdf_type and o.startswith(tsc) for p, o in pairs):
            return
        out, followed, todo = [], set(), []
        for p, o in pairs:
            if o.startswith("_:"):
                out.append(f"{subject} {p} _:")
                todo.append(o)
            else:
                out.append(f"{subject} {p} {_nt_canonical(o, known)}")
        while todo:
            node = todo.pop()
            if node in followed:
                continue
            followed.add(node)
            for p, o, inner in blank_lines.get(node, ()):
                out.append(f"_: {p} {o}")
                if inner is not None:
                    todo.append(inner)
        digests[URIRef(subject[1:-1])] = hashlib.sha256("\n".join(sorted(out)).encode()).hexdigest()

    subject, pairs = "", []
    try:
        for line in lines:
            if line[0] != "<":
                continue  # a blank node's triples: read beforehand
            head, predicate, obj = ntriples_terms(line)
            if head != subject:
                if subject:
                    close(subject, pairs)
                subject, pairs = head, []
            pairs.append((predicate, obj))
        if subject:
            close(subject, pairs)
    except LookupError:
        return None
    return digests


def compare(graph_iri: str, known: dict[URIRef, str | None], current: dict[URIRef, str],
            scope: Iterable[URIRef] | None = None) -> Changes:
    """The changes between the feed's view (record → digest of its newest activity, None once deleted)
    and the graph's ``current`` digests; ``scope`` limits them to some records (the others are unknown)."""
    considered = set(known) | set(current) if scope is None else set(scope)
    changes = Changes(graph_iri)
    for record in sorted(considered, key=str):
        before, after = known.get(record), current.get(record)
        if after is not None and before is None:
            changes.created.append(record)
        elif after is not None and after != before:
            changes.updated.append(record)
        elif after is None and before is not None:
            changes.deleted.append(record)
    return changes


def activities(changes: Changes, changes_graph: str, name: str, first: int, at: datetime,
               current: dict[URIRef, str]) -> list[tuple[Node, Node, Node]]:
    """The triples of the activities of ``changes``, numbered from ``first``: creations, then updates, then
    deletions, each in IRI order (a stable order, so the same change always reads the same). A list, not a Graph:
    a load's first sync logs every record (100k at 1M triples), and indexing them in an rdflib Graph on the way
    cost more than the rest of the sync (:meth:`graph.store.Store.add_triples`)."""
    triples: list[tuple[Node, Node, Node]] = []
    stamp = Literal(at.isoformat(timespec="microseconds"), datatype=XSD.dateTime)
    target = URIRef(changes.graph)
    # a namespace's attribute is made anew at each reading: read once
    a, obj, to, end, numbered, digest, integer = (RDF.type, AS.object, AS.target, AS.endTime, TSC.changeNumber,
                                                  TSC.recordDigest, XSD.integer)
    number = first
    for kind, records in (("Create", changes.created), ("Update", changes.updated), ("Delete", changes.deleted)):
        kind_iri = ACTIVITY_TYPES[kind]
        for record in records:
            node = activity_iri(changes_graph, name, number)
            triples += [(node, a, kind_iri), (node, obj, record), (node, to, target), (node, end, stamp),
                        (node, numbered, Literal(str(number), datatype=integer))]
            if kind != "Delete":
                triples.append((node, digest, Literal(current[record])))
            number += 1
    return triples


# ------------------------------------------------------------------ store shell


def known_states(store: Store, graph_iri: str, records: Iterable[URIRef] | None = None) -> dict[URIRef, str | None]:
    """Record → digest of its newest activity in the feed of ``graph_iri`` (None when that was a Delete)."""
    changes_graph, _name = _feed_or_fail(graph_iri)
    only = ""
    if records is not None:
        only = values_clause("object", (URIRef(r) for r in records))
    newest: dict[URIRef, tuple[int, str | None]] = {}
    for row in store.select(STATE_QUERY.format(log=changes_graph, target=graph_iri, only=only)):
        number, digest = int(row["n"]), row.get("digest")
        if row["object"] not in newest or number > newest[row["object"]][0]:
            newest[row["object"]] = (number, str(digest) if digest is not None else None)
    return {record: digest for record, (_n, digest) in newest.items()}


def last_number(store: Store, graph_iri: str) -> int:
    """The change number of the newest activity of the feed of ``graph_iri`` (0 when it has none).

    Asked at every write, so it must not cost the feed's length: the engine's ``MAX`` reads every activity's
    number (150 ms at 1M triples, 45k activities), a count of activities reads one index (8 ms). Numbers run from
    1 without a gap, so the count is the last number — checked by two lookups (that activity exists, the next
    does not); a feed that ever breaks the rule gets the ``MAX``."""
    changes_graph, name = _feed_or_fail(graph_iri)
    rows = store.select(COUNT_QUERY.format(log=changes_graph, target=graph_iri))
    count = int(rows[0]["count"]) if rows and rows[0].get("count") is not None else 0
    if count == 0:
        return 0
    found = store.select(IS_LAST_QUERY.format(
        log=changes_graph, number=count, activity=activity_iri(changes_graph, name, count),
        following=activity_iri(changes_graph, name, count + 1)))
    if len(found) == 1 and found[0].get("next") is None:
        return count
    found = store.select(LAST_QUERY.format(log=changes_graph, target=graph_iri))
    value = found[0].get("last") if found else None
    return int(value) if value is not None else 0


def descriptions(store: Store, graph_iri: str, records: Iterable[URIRef]) -> Graph:
    """The descriptions of ``records`` in ``graph_iri`` (what :func:`record_digests` reads)."""
    values = " ".join(URIRef(r).n3() for r in records)
    if not values:
        return Graph()
    return store.query(DESCRIPTIONS_QUERY.format(records=values, graph=graph_iri)).graph()


def sync(store: Store, graph_iri: str, *, records: Iterable[URIRef] | None = None,
         now: datetime | None = None) -> Changes:
    """Log, in the feed of ``graph_iri``, the records whose description is not the one its feed last
    reported. ``records`` limits the comparison to them. A graph without a feed logs nothing.

    The digests are always taken from the store, never from what a caller sent: the store may have
    normalised it (``1500.00`` → ``1500``), and the feed reports what readers get."""

    feed = feed_of(graph_iri)
    if feed is None:
        return Changes(graph_iri)
    changes_graph, name = feed
    scope = None if records is None else sorted(set(records), key=str)
    with WRITE_LOCK:
        if scope is not None:
            current = {r: d for r, d in record_digests(descriptions(store, graph_iri, scope)).items() if r in scope}
        else:
            current = graph_digests(store, graph_iri)
        changes = compare(graph_iri, known_states(store, graph_iri, scope), current, scope)
        if not changes:
            return changes
        changes.first = last_number(store, graph_iri) + 1
        at = now or datetime.now(timezone.utc)
        for part in _chunks(changes, ACTIVITIES_PER_WRITE):
            log = activities(part, changes_graph, name, part.first, at, current)
            store.add_triples(changes_graph, log)  # a transaction each; a remote store batches it (graph.store.remote)
    return changes


def _chunks(changes: Changes, size: int) -> Iterator[Changes]:
    """``changes`` in parts of at most ``size`` activities, in the order :func:`activities` numbers them."""
    kinds = [("created", r) for r in changes.created] + [("updated", r) for r in changes.updated] + \
            [("deleted", r) for r in changes.deleted]
    for start in range(0, len(kinds), size):
        part = Changes(changes.graph, first=changes.first + start)
        for kind, record in kinds[start:start + size]:
            getattr(part, kind).append(record)
        yield part


def after_write(store: Store, graphs: Iterable[str], *, records: Iterable[URIRef] | None = None,
                now: datetime | None = None) -> list[Changes]:
    """What every write does once its transaction is done: stamp the new records in the record log, bring the
    derived summaries up to date (:mod:`graph.summaries`), and log the changes of each written graph in its feed
    (only ``records`` when the writer knows them)."""
    from graph.recordlog import stamp_new_records
    from graph.summaries import refresh

    graphs = sorted(set(graphs))
    scope = None if records is None else list(records)
    stamp_new_records(store, graphs, now=now, records=scope)
    refresh(store, scope)
    return [c for g in graphs if feed_of(g) for c in [sync(store, g, records=scope, now=now)] if c]


def sync_all(store: Store) -> list[Changes]:
    """Whole-graph sync of every graph with a feed (``tscgraph setup``): heals a sync a crash missed."""
    return [c for g in store.graph_names() if feed_of(str(g)) for c in [sync(store, str(g))] if c]


def _feed_or_fail(graph_iri: str) -> tuple[str, str]:
    feed = feed_of(graph_iri)
    if feed is None:
        raise ValueError(f"<{graph_iri}> has no change feed")
    return feed
