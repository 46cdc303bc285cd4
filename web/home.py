"""The home page: what the clearing-house holds, in figures and charts, and its latest additions.

Everything is read from the graph at each request (a record loaded or approved shows at once): the
number of records of each kind (one GROUP BY), the places they name, the projects per GBF target and
per CBD article (the coverage queries of :mod:`web.frameworks`, one GROUP BY each), and the ten
records most recently accepted into the local graph (:mod:`graph.recordlog`).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from graph.namespaces import TSC
from graph.recordlog import latest_records
from web import context
from web.charts import bar_chart
from web.frameworks import (
    article_title,
    articles_with_coverage,
    chart_items,
    concepts,
    coverage,
    examples_among,
    target_title,
)
from web.labels import Namer
from web.schemaorg import dataset_jsonld

bp = Blueprint("home", __name__)

#: The figures of the home page: a name and the classes it counts.
FIGURES = {
    "actors": (TSC.Actor,),
    "projects": (TSC.Project,),
    "offers": (TSC.CooperationOffer,),
    "requests": (TSC.CooperationRequest,),
    "commitments": (TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment),
    "knowledge": (TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy),
}

COUNTS_QUERY = """SELECT ?class (COUNT(?record) AS ?n) WHERE {{
  VALUES ?class {{ {classes} }}
  ?record a ?class .
}} GROUP BY ?class"""

#: Places named by the records (not by the vocabularies: the ontology graph names places too).
PLACES_QUERY = """SELECT (COUNT(DISTINCT ?place) AS ?n) WHERE {{
  GRAPH ?g {{ ?record <http://purl.org/dc/terms/spatial> ?place }}
  FILTER(?g != <{ontology}>)
}}"""


def figures() -> dict[str, int]:
    classes = [c for group in FIGURES.values() for c in group]
    store = context.store()
    per_class = {r["class"]: int(r["n"]) for r in store.select(
        COUNTS_QUERY.format(classes=" ".join(c.n3() for c in classes)))}
    result = {name: sum(per_class.get(c, 0) for c in group) for name, group in FIGURES.items()}
    rows = store.select(PLACES_QUERY.format(ontology=context.settings().ontology_graph))
    result["places"] = int(rows[0]["n"]) if rows else 0
    return result


@bp.get("/")
def home():
    counts = figures()
    targets = concepts(TSC.GBFTarget)
    cov = coverage(TSC.contributesToTarget, with_actors=False)
    for t in targets:
        t.counts = cov.of(t.iri)
    counts["targets_covered"] = sum(1 for t in targets if t.counts["project"])
    counts["targets"] = len(targets)
    articles, _namer = articles_with_coverage()
    latest = latest_records(context.store(), context.settings().log_graph, limit=10)
    namer = Namer([t.iri for t in targets] + [e["record"] for e in latest]
                  + [c for e in latest for c in e["classes"]])
    for t in targets:
        t.label = namer(t.iri)
    examples = examples_among(e["record"] for e in latest)
    if request.args.get("format") == "json":
        return jsonify(
            figures=counts,
            projects_per_target={str(t.iri): t.counts["project"] for t in targets},
            projects_per_article={str(a.iri): a.counts["project"] for a in articles},
            latest=[{"record": str(e["record"]), "accepted": str(e["accepted"]),
                     "classes": [str(c) for c in e["classes"]]} for e in latest],
        )
    with_projects = [a for a in articles if a.counts["project"]]
    return render_template(
        "home.html", figures=counts,
        targets_chart=bar_chart(chart_items(targets, target_title)),
        articles_chart=bar_chart(chart_items(with_projects, article_title), height=220),
        articles_without=len(articles) - len(with_projects),
        latest=latest, namer=namer, examples=examples,
        jsonld=dataset_jsonld(),
    )
