"""Shared knowledge: best practices, lessons learned and case studies, with the projects they come from.

``/knowledge`` lists them (filters: kind, GBF target — a plain GET form); each resource's own page
(``/id/resource/…``) shows it with its projects (``prov:wasDerivedFrom``), creators and targets.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, jsonify, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF

from graph.matching import target_order
from graph.namespaces import GBF, SCHEMA, TSC
from web import context, pages
from web.biobridge import (
    LIST_DETAILS_QUERY,
    first_date,
    language_name,
    newest_first,
    page_number,
    slug,
    themes_for_reader,
)
from web.i18n import current_lang
from web.i18n import gettext as _
from web.labels import Namer, pick_text
from web.schemaorg import item_list_jsonld

bp = Blueprint("knowledge", __name__)

KINDS = {"best-practice": TSC.BestPractice, "lesson-learned": TSC.LessonLearned, "case-study": TSC.CaseStudy}
KIND_OF = {cls: slug for slug, cls in KINDS.items()}


#: The targets the filter accepts (bound nothing).
TARGETS_QUERY = "PREFIX tsc: <https://w3id.org/tscgraph/ontology#> SELECT ?t WHERE { ?t a tsc:GBFTarget }"

RECORD_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def kind_names() -> dict[str, str]:
    return {"best-practice": _("Best practice"), "lesson-learned": _("Lesson learned"), "case-study": _("Case study")}


@bp.get("/knowledge")
def listing():
    targets = sorted((r["t"] for r in context.store().select(TARGETS_QUERY)), key=target_order)
    chosen: dict[str, str] = {}
    kind = request.args.get("kind", "")
    if kind and kind not in KINDS:
        abort(400, description=_("Unknown kind %(value)s: use best-practice, lesson-learned or case-study.", value=repr(kind)))
    target = request.args.get("target", "")
    if target and GBF["target/" + target] not in targets:
        abort(400, description=_("Unknown GBF target %(value)s: use a number from 1 to 23.", value=repr(target)))
    page = page_number()
    if kind:
        chosen["kind"] = kind
    if target:
        chosen["target"] = target
    classes = " ".join(f"<{c}>" for c in ([KINDS[kind]] if kind else KINDS.values()))
    filters = f"?r tsc:contributesToTarget <{GBF['target/' + target]}> ." if target else ""
    size = context.settings().page_size
    total, records = newest_first(classes, filters, DCTERMS.issued, page, size)
    items = _list_items(records)
    terms = list(targets)
    for item in items:
        terms += [item["iri"], *item["projects"], *item["creators"], *item["targets"]]
    namer = Namer(terms)
    for item in items:
        item["title"] = pick_text(item.pop("titles")) or namer(item["iri"])
    has_next = total > page * size
    if request.args.get("format") == "json":
        return jsonify(total=total, page=page, next=has_next, filters=chosen, items=[{
            "iri": str(i["iri"]), "kind": i["kind"], "title": i["title"], "projects": [str(p) for p in i["projects"]],
            "targets": [str(t) for t in i["targets"]], "issued": str(i["issued"]) if i["issued"] else None,
            "example": i["example"]} for i in items])
    target_options = [(slug(t), _("Target %(n)s", n=slug(t)) + " — " + namer(t)) for t in targets]
    jsonld = item_list_jsonld(_("Shared knowledge"), ((i["iri"], i["title"]) for i in items), total, (page - 1) * size)
    return render_template(
        "knowledge.html", items=items, total=total, page=page, has_next=has_next, chosen=chosen,
        kinds=kind_names(), target_options=target_options, name=namer, number=slug, jsonld=jsonld, args=chosen,
    )


def _list_items(records: list[URIRef]) -> list[dict]:
    if not records:
        return []
    values: dict[URIRef, dict[URIRef, list]] = {r: defaultdict(list) for r in records}
    for row in context.store().select(LIST_DETAILS_QUERY.format(records=" ".join(r.n3() for r in records))):
        values[row["r"]][row["p"]].append(row["o"])
    return [_summary(iri, values[iri]) for iri in records]


def _summary(iri: URIRef, v: dict[URIRef, list]) -> dict:
    kind = next((KIND_OF[c] for c in v[RDF.type] if c in KIND_OF), "case-study")
    return {
        "iri": iri,
        "kind": kind,
        "titles": v[DCTERMS.title],
        "projects": sorted(v[PROV.wasDerivedFrom], key=str),
        "creators": sorted(v[DCTERMS.creator], key=str),
        "targets": sorted(v[TSC.contributesToTarget], key=target_order),
        "issued": first_date(v[DCTERMS.issued]),
        "example": any(isinstance(o, Literal) and o.toPython() is True for o in v[TSC.isExample]),
    }


@pages.page_for(TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy)
def resource_page(iri: URIRef):
    values: dict[URIRef, list] = defaultdict(list)
    for row in context.store().select(RECORD_QUERY, bindings={"s": iri}):
        values[row["p"]].append(row["o"])
    record = _summary(iri, values)
    lang = current_lang()
    record.update(
        articles=sorted(values[TSC.implementsArticle], key=target_order),
        themes=themes_for_reader(values[DCTERMS.subject], lang),
        languages=sorted(str(code).lower() for code in values[DCTERMS.language]),
        url=sorted(values[SCHEMA.url], key=str),
    )
    namer = Namer([iri, *record["projects"], *record["creators"], *record["targets"], *record["articles"]])
    title = pick_text(record["titles"]) or namer(iri)
    description = pick_text(values[DCTERMS.description])
    if request.args.get("format") == "json":
        return jsonify(iri=str(iri), kind=record["kind"], title=title, description=description,
                       projects=[str(p) for p in record["projects"]], targets=[str(t) for t in record["targets"]])
    return render_template(
        "knowledge_resource.html", record=record, title=title, description=description, name=namer,
        kinds=kind_names(), number=slug, language_name=lambda code: language_name(code, lang),
    )
