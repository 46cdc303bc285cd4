"""Derived summaries that canned queries read instead of computing them from the records at every request.

Why: ``actors-by-partnerships`` counts, for every actor, the distinct other actors it shares a project with. Computed
from the records it joins every project's actors pairwise: 476k pairs at 1M triples, 0.7–0.9 s however the query is
written, where the goal is 300 ms. The counts change only when a project's actors change, so they are kept, like the
change feeds (:mod:`graph.changes`), in a public named graph of their own, ``{base}graph/summary``, on nodes of the
summary's own (fragments of the graph's IRI, one per project and per actor, named by a digest of the record's
IRI)::

    <…/graph/summary#project-1f0c…> tsc:summarises <project> ;
        tsc:involvedActor <actor>, <another> .          # a tsc:Project and each actor it names as lead, partner or funder
    <…/graph/summary#actor-9ab2…> tsc:summarises <actor> ;
        tsc:partnerCount 12 ; tsc:projectCount 3 .      # only for an actor that takes part in a project

No record is the subject of a derived statement: a record's description, the endpoint's ``CONSTRUCT`` of its
statements and a partner's harvest of it hold what its editors wrote and nothing else.

The graph is **derived from the public graphs' state**, not told by each writer: :func:`refresh` runs in
:func:`graph.changes.after_write`, which every write path calls once its transaction is done, with the records the
write touched (or none: the whole summary is computed again). For each touched record it compares the projects' actors
in the summary with those in the public graphs, and where they differ rewrites those projects' nodes and the nodes of
every actor on either side, in one update. A process that dies between a write and its refresh leaves the summary one
write behind until ``tscgraph setup`` (which ``make serve`` runs) computes it whole again (:func:`rebuild`).

What counts is what ``actors-by-partnerships`` counted from the records: a project is a ``tsc:Project`` in any public
graph, its actors the objects of its ``tsc:leadOrganisation``, ``tsc:partner`` and ``tsc:funder`` in any public graph
(private graphs — pending submissions, moderation, quarantine — never count, as the public query never saw them);
an actor's partnerships are the distinct actors of its projects but itself. Records are IRIs: a project or actor
that is a blank node is not summarised. ``tests/test_summaries.py`` compares the summary with the counts computed from
the records after every kind of write.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from graph.changekeys import predicate_key
from graph.namespaces import TSC
from graph.querytext import values_clause
from graph.store import Store
from graph.store.remote import ntriples
from graph.store.view import PublicView
from graph.writelock import WRITE_LOCK

#: The summary's own properties, on its own nodes.
SUMMARISES, INVOLVED, PARTNERS, PROJECTS = TSC.summarises, TSC.involvedActor, TSC.partnerCount, TSC.projectCount
#: What a refresh can change, for the readers' answer caches (:mod:`graph.changekeys`).
CHANGE_KEYS = tuple(predicate_key(str(p)) for p in (SUMMARISES, INVOLVED, PARTNERS, PROJECTS))
#: Records compared per query: a VALUES block of this many IRIs stays a small query text.
BATCH = 2000

#: The projects' actors in the public graphs (the default graph: their union), ``{only}`` optionally a VALUES block.
#: One sub-SELECT per side joined on the project, the form Oxigraph answers fast (the three roles, then the type: 1M
#: triples, 0.5 s; the type first and each project's roles looked up: 1.3 s).
MEMBERS_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT DISTINCT ?project ?actor WHERE {{
  {{ SELECT ?project ?actor WHERE {{ {only}
       VALUES ?role {{ tsc:leadOrganisation tsc:partner tsc:funder }}
       ?project ?role ?actor . }} }}
  {{ SELECT ?project WHERE {{ {only} ?project a tsc:Project . }} }}
  FILTER(isIRI(?project) && !isBlank(?actor))
}}
"""

#: What the summary holds for some projects (``{only}``: their VALUES block).
SUMMARISED_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT ?project ?actor WHERE {{ GRAPH <{summary}> {{ {only} ?node tsc:summarises ?project ; tsc:involvedActor ?actor . }} }}
"""

#: The node of every project of some actors (``{only}``) with all of its actors, as the summary holds them.
NEIGHBOURHOOD_QUERY = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT DISTINCT ?node ?member WHERE {{
  GRAPH <{summary}> {{ {only} ?node tsc:involvedActor ?actor ; tsc:involvedActor ?member . }}
}}
"""

#: The whole summary as it is.
CONTENT_QUERY = "SELECT ?s ?p ?o WHERE {{ GRAPH <{summary}> {{ ?s ?p ?o }} }}"


# ------------------------------------------------------------------ pure parts

def counts(members: Mapping[Node, set[Node]], actors: Iterable[Node]) -> dict[Node, tuple[int, int]]:
    """``actor → (partnerships, projects)`` for ``actors`` from each project's actors (``members``, keyed by anything
    that names one project: the project or its node): the distinct actors of its projects but itself, and the number
    of its projects; an actor of no project is left out."""
    projects_of: dict[Node, list[Node]] = defaultdict(list)
    for project, actors_of_project in members.items():
        for actor in actors_of_project:
            projects_of[actor].append(project)
    out = {}
    for actor in actors:
        projects = projects_of.get(actor)
        if projects:
            partners = set().union(*(members[p] for p in projects))
            out[actor] = (len(partners) - 1, len(projects))
    return out


def node(summary: str, kind: str, record: Node) -> URIRef:
    """The summary's node about ``record`` as a project or an actor (``kind``): a fragment of the summary graph's
    IRI named by a digest of the record's term, the same at every computation, so a rebuild compares triples."""
    return URIRef(f"{summary}#{kind}-{hashlib.sha256(record.n3().encode()).hexdigest()[:32]}")


def member_triples(summary: str, members: Mapping[Node, set[Node]]) -> list[tuple[Node, Node, Node]]:
    """The project nodes of ``members`` (a project without actors has none)."""
    out: list[tuple[Node, Node, Node]] = []
    for project, actors in members.items():
        if actors:
            subject = node(summary, "project", project)
            out.append((subject, SUMMARISES, project))
            out += [(subject, INVOLVED, actor) for actor in actors]
    return out


def count_triples(summary: str, found: Mapping[Node, tuple[int, int]]) -> list[tuple[Node, Node, Node]]:
    """The actor nodes of ``found``."""
    out: list[tuple[Node, Node, Node]] = []
    for actor, (partners, projects) in found.items():
        subject = node(summary, "actor", actor)
        out += [(subject, SUMMARISES, actor), (subject, PARTNERS, Literal(partners, datatype=XSD.integer)),
                (subject, PROJECTS, Literal(projects, datatype=XSD.integer))]
    return out


def rewrite(summary: str, *, nodes: Iterable[URIRef], projects: Mapping[Node, set[Node]],
            found: Mapping[Node, tuple[int, int]]) -> str:
    """One SPARQL Update (one transaction): ``nodes`` (those of ``projects`` and of the actors of ``found``) replaced by
    their new content (``projects``: each one's actors now; ``found``: the actors' counts now)."""
    parts = [f"DELETE {{ GRAPH <{summary}> {{ ?node ?p ?o }} }} "
             f"WHERE {{ GRAPH <{summary}> {{ {values_clause('node', part)} ?node ?p ?o }} }}"
             for part in _batches(sorted(nodes, key=str))]
    added = member_triples(summary, projects) + count_triples(summary, found)
    if added:
        parts.append(f"INSERT DATA {{ GRAPH <{summary}> {{ {ntriples(added)} }} }}")
    return " ;\n".join(parts)


# ------------------------------------------------------------------ the store

def _batches(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _pairs(store: Store, query: str, public: list[str] | None, first: str, second: str) -> set[tuple[Node, Node]]:
    kwargs = {} if public is None else {"default_graphs": public}
    return {(row[first], row[second]) for row in store.select(query, **kwargs)}


def public_graphs(store: Store) -> list[str] | None:
    """The default graph a public read has (:attr:`graph.store.Store.apart` says which graphs are private), as the
    public view gives it: None when every graph is public (the union of all: the engine's fastest path)."""
    return PublicView(store, lambda graph: not store.apart(graph)).dataset(None)["default_graphs"]


def refresh(store: Store, records: Iterable[URIRef] | None = None) -> bool:
    """Bring the summary up to date for ``records`` (None: all of it); whether anything changed. A store that keeps
    no summary (``summary_graph`` None: a bare store opened in code) is left alone."""
    summary = store.summary_graph
    if summary is None:
        return False
    if records is None:
        return rebuild(store)
    scope = sorted({r for r in records if isinstance(r, URIRef) and str(r) != summary}, key=str)
    if not scope:
        return False
    with WRITE_LOCK:
        public = public_graphs(store)
        old: set[tuple[Node, Node]] = set()
        new: set[tuple[Node, Node]] = set()
        for part in _batches(scope):
            only = values_clause("project", part)
            old |= _pairs(store, SUMMARISED_QUERY.format(summary=summary, only=only), None, "project", "actor")
            new |= _pairs(store, MEMBERS_QUERY.format(only=only), public, "project", "actor")
        if old == new:
            return False
        changed_projects = {p for p, _ in old ^ new}
        actors = sorted({a for p, a in old | new if p in changed_projects}, key=str)
        members: dict[Node, set[Node]] = defaultdict(set)  # by the project's node: the same counts, a lookup fewer
        for part in _batches(actors):
            query = NEIGHBOURHOOD_QUERY.format(summary=summary, only=values_clause("actor", part))
            for project_node, member in _pairs(store, query, None, "node", "member"):
                members[project_node].add(member)
        now: dict[Node, set[Node]] = {p: set() for p in changed_projects}
        for project, actor in new:
            if project in changed_projects:
                now[project].add(actor)
        project_nodes = {p: node(summary, "project", p) for p in now}
        members.update({project_nodes[p]: found for p, found in now.items()})
        nodes = [*project_nodes.values(), *(node(summary, "actor", a) for a in actors)]
        update = rewrite(summary, nodes=nodes, projects=now, found=counts(members, actors))
        store.update(update, changes={key: [str(n) for n in nodes] for key in CHANGE_KEYS})
    return True


#: Past this many triples to change, a rebuild replaces the graph whole (an update's text would be too long).
DIFF_LIMIT = 50_000


def _fill(store: Store, summary: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    """The summary computed whole into its empty graph: by the engine's bulk loader where the store has one (crash-safe
    by the loader's marker; 1M triples' 152k summary triples: a transaction took 7.4 s, mostly the engine inserting
    them one transaction-checked quad at a time), else in one transaction."""
    if "nt" not in store.bulk_formats:
        store.add_triples(summary, list(triples))
        return
    with tempfile.TemporaryDirectory(prefix="tscgraph-summary-") as folder:
        path = Path(folder) / "summary.nt"
        with path.open("w", encoding="utf-8") as out:
            for part in _batches(list(triples)):
                out.write(ntriples(part) + "\n")
        store.load_files([(path, "nt")], summary, base_iri=summary)


def rebuild(store: Store) -> bool:
    """Compute the whole summary from the public graphs and write what differs from the summary there, in one
    transaction (a harvest or a load asks for it: usually a few projects changed, so a few triples are written,
    and the readers' caches learn which properties changed)."""
    summary = store.summary_graph
    if summary is None:
        return False
    with WRITE_LOCK:
        new = _pairs(store, MEMBERS_QUERY.format(only=""), public_graphs(store), "project", "actor")
        members: dict[Node, set[Node]] = defaultdict(set)
        for project, actor in new:
            members[project].add(actor)
        expected = set(member_triples(summary, members)) | set(count_triples(summary, counts(members, {a for _, a in new})))
        existing = {(row["s"], row["p"], row["o"]) for row in store.select(CONTENT_QUERY.format(summary=summary))}
        removed, added = existing - expected, expected - existing
        if not removed and not added:
            return False
        if not existing:
            _fill(store, summary, added)
        elif len(removed) + len(added) > DIFF_LIMIT:
            from rdflib import Graph

            graph = Graph()
            for triple in expected:
                graph.add(triple)
            store.replace_graphs({summary: graph})
        else:
            parts = [f"{verb} DATA {{ GRAPH <{summary}> {{ {ntriples(sorted(triples, key=str))} }} }}"
                     for verb, triples in (("DELETE", removed), ("INSERT", added)) if triples]
            nodes = sorted({str(s) for s, _p, _o in removed | added})
            store.update(" ;\n".join(parts), changes={key: nodes for key in CHANGE_KEYS})
    return True
