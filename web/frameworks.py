"""The frameworks: GBF goals and targets, CBD articles, instruments and decisions, and what the
clearing-house holds for each.

``/gbf`` shows the four goals and the 23 targets (by GBF section) with a coverage view: for each
target, its projects, the actors involved in them, and the commitments, offers and requests aligned
with it, with a mark on the targets with no project or few. ``/cbd`` shows the 42 articles (projects
and other records implementing each), the Convention, its protocols and the COP decisions
(commitments under each). Each concept has its page at its own IRI (``/vocab/gbf/target/3``…).

Every count is one GROUP BY over the whole graph (:func:`coverage`): never a query per target. A
concept page asks for its facts, its counts per kind of record, one short list per kind (the full
lists are the facets of ``/projects``), and all labels at once.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS
from rdflib.term import Node

from graph.namespaces import TSC, VOCAB
from web import context, pages
from web.i18n import gettext as _
from web.labels import Namer, pick_text
from web.schemaorg import jsonld_of

bp = Blueprint("frameworks", __name__)

PREFIXES = """PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

#: Kinds of records linked to targets and articles, by class.
KIND_OF = {
    TSC.Project: "project",
    TSC.NationalStrategy: "commitment", TSC.NationalTarget: "commitment", TSC.InternationalCommitment: "commitment",
    TSC.CooperationOffer: "offer",
    TSC.CooperationRequest: "request",
    TSC.BestPractice: "knowledge", TSC.LessonLearned: "knowledge", TSC.CaseStudy: "knowledge",
}
KINDS = ("project", "actor", "commitment", "offer", "request", "knowledge")
#: How many records of each kind a concept page lists (all are counted; /projects has them all).
SHOWN = 25
ACTOR_ROLES = "tsc:leadOrganisation|tsc:partner|tsc:funder"
LINKS = {"target": TSC.contributesToTarget, "article": TSC.implementsArticle}


def _values(terms) -> str:
    return " ".join(URIRef(t).n3() for t in terms)


#: Records of each class per concept, through one predicate (filled: {link}, {classes}).
COUNTS_QUERY = PREFIXES + """SELECT ?concept ?class (COUNT(?record) AS ?n) WHERE {{
  VALUES ?class {{ {classes} }}
  ?record a ?class ; <{link}> ?concept .
}} GROUP BY ?concept ?class"""

#: Distinct actors involved (lead, partner, funder) in the projects of each concept.
ACTORS_QUERY = PREFIXES + """SELECT ?concept (COUNT(DISTINCT ?actor) AS ?n) WHERE {{
  ?project a tsc:Project ; <{link}> ?concept ; """ + ACTOR_ROLES + """ ?actor .
}} GROUP BY ?concept"""


@dataclass
class Coverage:
    """Per concept: how many records of each kind (``counts[concept]["project"]``…)."""

    counts: dict[Node, Counter] = field(default_factory=dict)

    def of(self, concept: Node) -> Counter:
        return self.counts.get(concept, Counter())


def coverage(link: URIRef, with_actors: bool = True) -> Coverage:
    """Counts of projects, commitments, offers, requests, knowledge resources (and actors) per concept
    linked by ``link``: two GROUP BY queries for all concepts, once per state of the store."""
    return context.per_state(("coverage", link, with_actors), lambda: _coverage(link, with_actors))


def _coverage(link: URIRef, with_actors: bool) -> Coverage:
    store = context.store()
    result = Coverage(defaultdict(Counter))
    for row in store.select(COUNTS_QUERY.format(link=link, classes=_values(KIND_OF))):
        result.counts[row["concept"]][KIND_OF[row["class"]]] += int(row["n"])
    if with_actors:
        for row in store.select(ACTORS_QUERY.format(link=link)):
            result.counts[row["concept"]]["actor"] = int(row["n"])
    return result


# ------------------------------------------------------------------ the vocabularies


CONCEPTS_QUERY = PREFIXES + """SELECT ?concept ?class ?number ?group WHERE {{
  VALUES ?class {{ {classes} }}
  ?concept a ?class .
  OPTIONAL {{ ?concept tsc:targetNumber|tsc:articleNumber ?number }}
  OPTIONAL {{ ?group skos:member ?concept }}
}}"""


@dataclass
class Concept:
    iri: URIRef
    cls: URIRef
    number: int | None = None
    group: URIRef | None = None
    label: str = ""
    counts: Counter = field(default_factory=Counter)
    mark: str | None = None  # "none" or "little" (coverage)

    @property
    def code(self) -> str:
        return str(self.iri).rstrip("/").rsplit("/", 1)[-1]


def concepts(*classes: URIRef) -> list[Concept]:
    """The concepts of ``classes`` (targets, articles…), by number then IRI, with their group (section)."""
    found: dict[Node, Concept] = {}
    for row in context.store().select(CONCEPTS_QUERY.format(classes=_values(classes))):
        concept = found.setdefault(row["concept"], Concept(row["concept"], row["class"]))
        if "number" in row:
            concept.number = int(row["number"])
        if "group" in row:
            concept.group = row["group"]
    return sorted(found.values(), key=lambda c: (str(c.cls), c.number or 0, str(c.iri)))


def mark_coverage(items: list[Concept]) -> float:
    """Mark the concepts with no project ("none") or few ("little": fewer than a quarter of the median
    number of projects per concept). Returns that threshold."""
    median = statistics.median([c.counts["project"] for c in items]) if items else 0
    threshold = median / 4
    for c in items:
        n = c.counts["project"]
        c.mark = "none" if n == 0 else ("little" if n < threshold else None)
    return threshold


def chart_items(items: list[Concept], prefix_label) -> list:
    from web.charts import ChartItem
    from web.links import href

    return [ChartItem(str(c.number or c.code), c.counts["project"], href(c.iri), prefix_label(c)) for c in items]


def targets_with_coverage() -> tuple[list[Concept], Namer]:
    targets = [c for c in concepts(TSC.GBFTarget)]
    cov = coverage(TSC.contributesToTarget)
    for t in targets:
        t.counts = cov.of(t.iri)
    namer = Namer([t.iri for t in targets] + [t.group for t in targets if t.group])
    for t in targets:
        t.label = namer(t.iri)
    return targets, namer


def articles_with_coverage(with_actors: bool = False) -> tuple[list[Concept], Namer]:
    articles = concepts(TSC.CBDArticle)
    cov = coverage(TSC.implementsArticle, with_actors=with_actors)
    for a in articles:
        a.counts = cov.of(a.iri)
    namer = Namer([a.iri for a in articles])
    for a in articles:
        a.label = namer(a.iri)
    return articles, namer


def kind_names() -> dict[str, str]:
    return {
        "project": _("Projects"), "actor": _("Actors involved in these projects"), "commitment": _("Commitments"),
        "offer": _("Cooperation offers"), "request": _("Cooperation requests"), "knowledge": _("Knowledge resources"),
    }


def target_title(t: Concept) -> str:
    return _("Target %(n)s: %(title)s", n=t.number, title=t.label)


def article_title(a: Concept) -> str:
    return _("Article %(n)s: %(title)s", n=a.number, title=a.label)


# ------------------------------------------------------------------ /gbf and /cbd


@bp.get("/gbf")
def gbf():
    from web.charts import bar_chart

    targets, namer = targets_with_coverage()
    threshold = mark_coverage(targets)
    goals = concepts(TSC.GBFGoal)
    goal_facts = facts_of([g.iri for g in goals])
    namer.add([g.iri for g in goals] + [i for g in goals for i in goal_facts[g.iri].get(TSC.headlineIndicator, [])])
    for g in goals:
        g.label = namer(g.iri)
    sections: dict = defaultdict(list)
    for t in targets:
        sections[t.group].append(t)
    if request.args.get("format") == "json":
        return jsonify(
            threshold=threshold,
            targets=[{"target": str(t.iri), "number": t.number, "label": t.label, "mark": t.mark,
                      **{k: t.counts[k] for k in KINDS}} for t in targets],
        )
    chart = bar_chart(chart_items(targets, target_title))
    return render_template(
        "gbf.html", goals=goals, goal_facts=goal_facts, sections=sorted(sections.items(), key=lambda s: str(s[0])),
        targets=targets, namer=namer, threshold=threshold, chart=chart, pick_text=pick_text, SKOS_DEFINITION=SKOS.definition,
        little=[t for t in targets if t.mark == "little"], none=[t for t in targets if t.mark == "none"],
        jsonld=jsonld_of(URIRef(str(VOCAB) + "gbf")),
    )


INSTRUMENTS_QUERY = PREFIXES + """SELECT ?instrument (COUNT(DISTINCT ?commitment) AS ?commitments)
  (COUNT(DISTINCT ?project) AS ?projects) WHERE {
  ?commitment tsc:underInstrument ?instrument .
  OPTIONAL { ?project tsc:implementsCommitment ?commitment ; a tsc:Project }
} GROUP BY ?instrument"""


@bp.get("/cbd")
def cbd():
    from web.charts import bar_chart

    articles, namer = articles_with_coverage()
    instruments = concepts(TSC.LegalInstrument, TSC.Decision)
    under = {r["instrument"]: (int(r["commitments"]), int(r["projects"]))
             for r in context.store().select(INSTRUMENTS_QUERY)}
    namer.add([i.iri for i in instruments])
    for i in instruments:
        i.label = namer(i.iri)
        i.counts = Counter(commitment=under.get(i.iri, (0, 0))[0], project=under.get(i.iri, (0, 0))[1])
    if request.args.get("format") == "json":
        return jsonify(articles=[{"article": str(a.iri), "number": a.number, "label": a.label,
                                  **{k: a.counts[k] for k in KINDS if k != "actor"}} for a in articles])
    with_projects = [a for a in articles if a.counts["project"]]
    chart_all = request.args.get("chart") == "all"
    chart = bar_chart(chart_items(articles if chart_all else with_projects, article_title))
    return render_template("cbd.html", articles=articles, instruments=instruments, chart=chart,
                           chart_all=chart_all, jsonld=jsonld_of(URIRef(str(VOCAB) + "cbd")))


# ------------------------------------------------------------------ concept pages


FACTS_QUERY = "SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {terms} }} ?s ?p ?o }}"


def facts_of(terms) -> dict[Node, dict[Node, list[Node]]]:
    """subject → predicate → values, for a few subjects, in one query."""
    facts: dict = defaultdict(lambda: defaultdict(list))
    terms = list(terms)
    if terms:
        for row in context.store().select(FACTS_QUERY.format(terms=_values(terms))):
            facts[row["s"]][row["p"]].append(row["o"])
    return facts


KIND_LIST_QUERY = PREFIXES + """SELECT ?concept ?record WHERE {{
  VALUES ?class {{ {classes} }}
  ?record <{link}> ?concept ; a ?class .
}} LIMIT {limit}"""

CONCEPT_ACTORS_QUERY = PREFIXES + """SELECT ?concept ?actor (COUNT(DISTINCT ?project) AS ?n) WHERE {{
  ?project <{link}> ?concept ; a tsc:Project ; """ + ACTOR_ROLES + """ ?actor .
}} GROUP BY ?concept ?actor ORDER BY DESC(?n) LIMIT {limit}"""

INDICATORS_QUERY = PREFIXES + """SELECT ?concept ?indicator ?section WHERE {
  { ?concept tsc:headlineIndicator ?indicator } UNION { ?section skos:member ?concept }
}"""

#: The goals and targets a headline indicator serves: tsc:headlineIndicator is their only link (no skos:broader).
SERVED_QUERY = PREFIXES + "SELECT ?served ?indicator WHERE { ?served tsc:headlineIndicator ?indicator }"

EXAMPLES_QUERY = "SELECT ?s WHERE {{ VALUES ?s {{ {terms} }} ?s <https://w3id.org/tscgraph/ontology#isExample> true }}"


def examples_among(terms) -> set[Node]:
    """Which of ``terms`` are illustrative records (``tsc:isExample true``), in one query."""
    terms = [t for t in terms if isinstance(t, URIRef)]
    found: set[Node] = set()
    for start in range(0, len(terms), 500):
        block = _values(terms[start:start + 500])
        found |= {r["s"] for r in context.store().select(EXAMPLES_QUERY.format(terms=block))}
    return found


@dataclass
class Linked:
    """The records of one kind linked to a concept: how many, and the first ones (sorted by label)."""

    kind: str
    total: int
    shown: list[URIRef]


def linked_records(concept: URIRef, link: URIRef) -> dict[str, Linked]:
    """Counts from the coverage of all concepts (cached per state), one short list per kind, and the
    actors ranked by their number of projects for this concept (cached per state too)."""
    store = context.store()
    bound = {"concept": concept}
    totals = coverage(link).of(concept)
    result: dict[str, Linked] = {}
    for kind in ("project", "commitment", "offer", "request", "knowledge"):
        classes = [c for c, k in KIND_OF.items() if k == kind]
        rows = store.select(KIND_LIST_QUERY.format(link=link, classes=_values(classes), limit=SHOWN),
                            bindings=bound) if totals[kind] else []
        result[kind] = Linked(kind, totals[kind], [r["record"] for r in rows])
    actors = context.per_state(("actors", link, concept), lambda: [r["actor"] for r in store.select(
        CONCEPT_ACTORS_QUERY.format(link=link, limit=SHOWN), bindings=bound)]) if totals["actor"] else []
    result["actor"] = Linked("actor", totals["actor"], list(actors))
    return result


@pages.page_for(TSC.GBFGoal, TSC.GBFTarget, TSC.CBDArticle, TSC.LegalInstrument, TSC.Decision, TSC.HeadlineIndicator)
def concept_page(iri: URIRef):
    facts = facts_of([iri])[iri]
    types = set(facts.get(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), []))
    kind = ("goal" if TSC.GBFGoal in types else "target" if TSC.GBFTarget in types
            else "article" if TSC.CBDArticle in types else "indicator" if TSC.HeadlineIndicator in types
            else "instrument")
    link = TSC.implementsArticle if kind == "article" else TSC.contributesToTarget
    store = context.store()
    indicators, sections = [], []
    for row in store.select(INDICATORS_QUERY, bindings={"concept": iri}):
        if "indicator" in row:
            indicators.append(row["indicator"])
        if "section" in row:
            sections.append(row["section"])
    indicators = sorted(set(indicators) | set(facts.get(TSC.headlineIndicator, [])), key=str)
    served = []  # for an indicator, the goals and targets it serves ("Indicator of")
    if kind == "indicator":
        served = sorted({r["served"] for r in store.select(SERVED_QUERY, bindings={"indicator": iri})}, key=str)
    if kind == "instrument":
        linked = instrument_records(iri)
    elif kind == "indicator":
        linked = {}
    else:
        linked = linked_records(iri, link)
    shown = [r for entry in linked.values() for r in entry.shown]
    namer = Namer([iri, *indicators, *sections, *shown, *served, *facts.get(SKOS.broader, []),
                   *facts.get(DCTERMS.isPartOf, [])])
    for entry in linked.values():
        entry.shown.sort(key=lambda r: namer(r).casefold())
    examples = examples_among(shown)
    if request.args.get("format") == "json":
        return jsonify(iri=str(iri), kind=kind, label=namer(iri),
                       linked={k: {"total": v.total, "shown": [str(r) for r in v.shown]} for k, v in linked.items()})
    return render_template(
        "gbf_target.html" if kind in ("target", "indicator") else "gbf_goal.html" if kind == "goal" else "cbd_article.html",
        iri=iri, kind=kind, facts=facts, title=namer(iri), namer=namer, indicators=indicators, sections=sections, served=served,
        linked=linked, examples=examples, pick_text=pick_text, text=lambda p: pick_text(
            [v for v in facts.get(p, []) if isinstance(v, Literal)]),
        alt_labels=[v for v in facts.get(SKOS.altLabel, []) if isinstance(v, Literal)],
        projects_url=projects_url(kind, iri), kind_names=kind_names(), SKOS=SKOS, DCTERMS=DCTERMS, FOAF=FOAF, TSC=TSC,
    )


INSTRUMENT_LIST_QUERY = PREFIXES + """SELECT ?concept ?commitment ?project WHERE {
  ?commitment tsc:underInstrument ?concept .
  OPTIONAL { ?project tsc:implementsCommitment ?commitment ; a tsc:Project }
}"""


def instrument_records(iri: URIRef) -> dict[str, Linked]:
    """Commitments under an instrument or a decision, and the projects that implement them."""
    commitments, projects = set(), set()
    for row in context.store().select(INSTRUMENT_LIST_QUERY, bindings={"concept": iri}):
        commitments.add(row["commitment"])
        if "project" in row:
            projects.add(row["project"])
    return {
        "commitment": Linked("commitment", len(commitments), sorted(commitments)[:SHOWN]),
        "project": Linked("project", len(projects), sorted(projects)[:SHOWN]),
    }


def projects_url(kind: str, iri: URIRef) -> str | None:
    """The projects listing filtered on this concept (the facet of ``/projects``: the concept's IRI)."""
    arg = {"target": "target", "article": "article"}.get(kind)
    return f"/projects?{urlencode({arg: str(iri)})}" if arg else None
