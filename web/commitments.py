"""France's commitments: the national strategy and its national targets, and the international commitments,
each with the GBF targets it serves and the projects that implement it (``tsc:implementsCommitment``).

``/commitments`` lists them, filtered by territory (``?territory=metropolitan`` — France as a whole and its
metropolitan regions — or an overseas territory, ``?territory=RE``), national targets paged by
``page_size``. Each commitment has its page at its IRI (``/id/commitment/snb-2030``).

Queries: one for every commitment's facts (type, strategy, places, targets, status, example flag), one
GROUP BY for the number of projects of each, one for the projects of the commitments shown, one for
the places' kinds, and the labels at once — the same number whatever the number of commitments.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask import Blueprint, abort, jsonify, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Node

from graph.namespaces import PLACE, SCHEMA, TSC
from web import context, pages
from web.context import per_state
from web.frameworks import SHOWN, examples_among, facts_of
from web.i18n import gettext as _
from web.labels import Namer, pick_text
from web.links import page_number
from web.schemaorg import item_list_jsonld

bp = Blueprint("commitments", __name__)

CLASSES = (TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment)
FRANCE = PLACE.FR
METROPOLITAN = "metropolitan"

PREFIXES = """PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

FACTS_QUERY = PREFIXES + """SELECT ?c ?class ?p ?o WHERE {
  VALUES ?class { tsc:NationalStrategy tsc:NationalTarget tsc:InternationalCommitment }
  ?c a ?class .
  OPTIONAL {
    VALUES ?p { dcterms:isPartOf dcterms:spatial tsc:contributesToTarget tsc:isExample tsc:status tsc:underInstrument }
    ?c ?p ?o }
}"""

PROJECT_COUNTS_QUERY = PREFIXES + """SELECT ?c (COUNT(DISTINCT ?project) AS ?n) WHERE {
  ?project tsc:implementsCommitment ?c ; a tsc:Project .
} GROUP BY ?c"""

PROJECTS_OF_QUERY = PREFIXES + """SELECT ?c ?project WHERE {{
  VALUES ?c {{ {terms} }}
  ?project tsc:implementsCommitment ?c ; a tsc:Project .
}}"""

PLACES_QUERY = PREFIXES + """SELECT ?place ?class ?broader WHERE {{
  VALUES ?place {{ {terms} }}
  ?place a ?class .
  OPTIONAL {{ ?place skos:broader ?broader }}
}}"""

#: Projects shown under each commitment of the listing (all are counted).
SHOWN_PER_COMMITMENT = 5


@dataclass
class Commitment:
    iri: URIRef
    cls: URIRef
    facts: dict = field(default_factory=lambda: defaultdict(list))
    projects: list = field(default_factory=list)
    project_count: int = 0

    def values(self, predicate) -> list:
        return self.facts.get(predicate, [])

    @property
    def example(self) -> bool:
        return any(isinstance(v, Literal) and v.toPython() is True for v in self.values(TSC.isExample))


def _values(terms) -> str:
    return " ".join(URIRef(t).n3() for t in terms)


def territory_key(place: Node, kinds: dict) -> str | None:
    """The territory filter a place belongs to: "metropolitan" for France as a whole and its regions, an
    overseas territory's own code (``RE``, ``FR/clipperton``), None for other countries."""
    if place == FRANCE or (TSC.Region in kinds.get(place, ()) and FRANCE in kinds.get(("broader", place), ())):
        return METROPOLITAN
    if TSC.OverseasTerritory in kinds.get(place, ()):
        return str(place)[len(str(PLACE)):]
    return None


def place_kinds(places) -> dict:
    kinds: dict = defaultdict(set)
    places = [p for p in set(places) if isinstance(p, URIRef)]
    if places:
        for row in context.store().select(PLACES_QUERY.format(terms=_values(places))):
            kinds[row["place"]].add(row["class"])
            if "broader" in row:
                kinds[("broader", row["place"])].add(row["broader"])
    return kinds


def all_commitments() -> dict[Node, Commitment]:
    found: dict[Node, Commitment] = {}
    for row in context.store().select(FACTS_QUERY):
        c = found.setdefault(row["c"], Commitment(row["c"], row["class"]))
        if "p" in row:
            c.facts[row["p"]].append(row["o"])
    counts = per_state(("commitment-projects",), lambda: {
        r["c"]: int(r["n"]) for r in context.store().select(PROJECT_COUNTS_QUERY)})
    for iri, n in counts.items():
        if iri in found:
            found[iri].project_count = n
    return found


def attach_projects(commitments) -> None:
    by_iri = {c.iri: c for c in commitments}
    if not by_iri:
        return
    rows = context.store().select(PROJECTS_OF_QUERY.format(terms=_values(by_iri)))
    for row in sorted(rows, key=lambda r: str(r["project"])):
        by_iri[row["c"]].projects.append(row["project"])


@bp.get("/commitments")
def commitments():
    found = all_commitments()
    kinds = place_kinds(p for c in found.values() for p in c.values(DCTERMS.spatial))
    territories_of = {c.iri: {territory_key(p, kinds) for p in c.values(DCTERMS.spatial)} - {None}
                      for c in found.values()}
    counts = Counter(t for ts in territories_of.values() for t in ts)
    territory = request.args.get("territory", "")
    if territory and territory not in counts and territory != METROPOLITAN:
        abort(400, description=f"unknown territory {territory!r}: use 'metropolitan' or the code of an "
                               "overseas territory named by a commitment (e.g. 'RE')")
    page = page_number()
    chosen = [c for c in found.values() if not territory or territory in territories_of[c.iri]]
    strategies = [c for c in found.values() if c.cls == TSC.NationalStrategy]
    national = [c for c in chosen if c.cls == TSC.NationalTarget]
    international = [c for c in chosen if c.cls == TSC.InternationalCommitment]
    page_size = context.settings().page_size
    names = Namer([c.iri for c in found.values()])
    national.sort(key=lambda c: (str(c.values(DCTERMS.isPartOf)[:1]), names(c.iri).casefold()))
    pages_count = max(1, -(-len(national) // page_size))
    if page > pages_count:
        abort(400, description=f"page {page} is past the last page ({pages_count})")
    national_page = national[(page - 1) * page_size: page * page_size]
    international.sort(key=lambda c: names(c.iri).casefold())
    strategies.sort(key=lambda c: names(c.iri).casefold())
    shown = strategies + national_page + international
    attach_projects(shown)
    for c in shown:
        c.values(TSC.contributesToTarget).sort(key=_target_order)
        c.values(DCTERMS.spatial).sort(key=str)
    names.add([t for c in shown for t in c.values(TSC.contributesToTarget)]
              + [p for c in shown for p in c.projects[:SHOWN_PER_COMMITMENT]]
              + [p for c in shown for p in c.values(DCTERMS.spatial)]
              + [i for c in shown for i in c.values(TSC.underInstrument)]
              + [PLACE[k] for k in counts if k != METROPOLITAN])
    examples = examples_among(p for c in shown for p in c.projects[:SHOWN_PER_COMMITMENT])
    if request.args.get("format") == "json":
        return jsonify(
            territory=territory or None, page=page, pages=pages_count,
            commitments=[{"commitment": str(c.iri), "class": str(c.cls), "title": names(c.iri),
                          "territories": sorted(territories_of[c.iri]),
                          "targets": sorted(str(t) for t in c.values(TSC.contributesToTarget)),
                          "projects": c.project_count} for c in shown],
        )
    territory_options = [(METROPOLITAN, _("France as a whole and metropolitan France"), counts[METROPOLITAN])]
    territory_options += sorted(((k, names(PLACE[k]), n) for k, n in counts.items() if k != METROPOLITAN),
                                key=lambda o: o[1].casefold())
    by_strategy: dict = defaultdict(list)
    for c in national_page:
        by_strategy[(c.values(DCTERMS.isPartOf) or [None])[0]].append(c)
    return render_template(
        "commitments.html", strategies=strategies, by_strategy=by_strategy, international=international,
        names=names, territory=territory, territory_options=territory_options, territories_of=territories_of,
        page=page, pages_count=pages_count, national_total=len(national), examples=examples,
        shown_per_commitment=SHOWN_PER_COMMITMENT, target_number=target_number, TSC=TSC, DCTERMS=DCTERMS,
        pick_text=pick_text,
        jsonld=item_list_jsonld(_("Commitments"), ((c.iri, names(c.iri)) for c in [*strategies, *national_page, *international])),
    )


def target_number(target: Node) -> str:
    return str(target).rstrip("/").rsplit("/", 1)[-1]


def _target_order(target: Node) -> tuple[int, str]:
    number = target_number(target)
    return (int(number) if number.isdigit() else 0, str(target))


@pages.page_for(*CLASSES)
def commitment_page(iri: URIRef):
    facts = facts_of([iri])[iri]
    store = context.store()
    parts = [r["part"] for r in store.select(
        PREFIXES + "SELECT ?c ?part WHERE { ?part dcterms:isPartOf ?c }", bindings={"c": iri})]
    projects = [r["project"] for r in store.select(PROJECTS_OF_QUERY.format(terms=iri.n3()))]
    projects = sorted(set(projects), key=str)
    total_projects = len(projects)
    projects = projects[:SHOWN * 4]
    namer = Namer([iri, *parts, *projects, *(v for vs in facts.values() for v in vs if isinstance(v, URIRef))])
    projects.sort(key=lambda p: namer(p).casefold())
    parts.sort(key=lambda p: namer(p).casefold())
    examples = examples_among([iri, *projects, *parts])
    text = lambda p: pick_text([v for v in facts.get(p, []) if isinstance(v, Literal)])  # noqa: E731
    if request.args.get("format") == "json":
        return jsonify(iri=str(iri), title=namer(iri), projects=[str(p) for p in projects],
                       parts=[str(p) for p in parts],
                       targets=sorted(str(t) for t in facts.get(TSC.contributesToTarget, [])))
    targets = sorted(facts.get(TSC.contributesToTarget, []), key=_target_order)
    return render_template(
        "commitment.html", iri=iri, facts=facts, title=namer(iri), namer=namer, parts=parts, projects=projects,
        total_projects=total_projects, examples=examples, text=text, targets=targets, target_number=target_number,
        classes=facts.get(RDF.type, []), TSC=TSC, DCTERMS=DCTERMS, SCHEMA=SCHEMA, SKOS=SKOS,
    )
