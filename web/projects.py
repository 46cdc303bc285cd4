"""The projects: a faceted list (``/projects``, also CSV and JSON of the whole selection) and each project's page.

The list is a query over the graph (:mod:`web.facets`), so a project loaded or approved is listed at
the next request. A project counts in every year from its start to its end (its start year alone
when it has no end date); budgets are compared as numbers whatever their currency.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from graph.namespaces import CBD, GBF, PLACE, SCHEMA, TSC, VOCAB
from web import context, facets, pages
from web.facets import N_, Facet, Listing, SortKey
from web.i18n import current_lang
from web.i18n import gettext as _
from web.labels import Namer, pick_text
from web.links import href
from web.schemaorg import item_list_jsonld

bp = Blueprint("projects", __name__)

ACTOR_SPACE = "{base}id/actor/"
ROLES = "tsc:leadOrganisation|tsc:partner|tsc:funder"

PROJECTS = Listing(
    cls=str(TSC.Project),
    facets=(
        Facet("target", N_("GBF target"), "tsc:contributesToTarget", short=GBF + "target/", value_class=str(TSC.GBFTarget), order="key", top=23),
        Facet("article", N_("CBD article"), "tsc:implementsArticle", short=CBD + "article/", value_class=str(TSC.CBDArticle), order="key", top=12),
        Facet("place", N_("Territory or country"), "dcterms:spatial", short=str(PLACE), value_class=str(TSC.Place)),
        Facet("modality", N_("Modality"), "tsc:modality", short=VOCAB + "modality/", value_class=str(TSC.Modality), top=12),
        Facet("funder", N_("Funder"), "tsc:funder", short=ACTOR_SPACE, value_class=str(TSC.Actor)),
        Facet("status", N_("Status"), "tsc:status", short=VOCAB + "status/", value_class=str(TSC.Status)),
        Facet("year", N_("Year"), "schema:startDate", kind="year", end_path="schema:endDate",
              note=N_("A project counts in every year from its start to its end (its start year alone when it has no end date).")),
        Facet("conformance", N_("Conformance"), "tsc:conformance", short=VOCAB + "conformance/"),
        Facet("actor", N_("Actor"), ROLES, short=ACTOR_SPACE, value_class=str(TSC.Actor), hidden=True),
    ),
    text_paths=("dcterms:title", "dcterms:description", "dcterms:subject"),
    title_path="dcterms:title",
    sorts=(
        SortKey("title", N_("Title (A to Z)")),
        SortKey("-title", N_("Title (Z to A)"), descending=True),
        SortKey("-start", N_("Start date (latest first)"), "schema:startDate", descending=True),
        SortKey("start", N_("Start date (earliest first)"), "schema:startDate"),
        SortKey("-end", N_("End date (latest first)"), "schema:endDate", descending=True),
        SortKey("end", N_("End date (earliest first)"), "schema:endDate"),
        SortKey("-budget", N_("Budget (largest first)"), "tsc:budget/schema:value", descending=True),
        SortKey("budget", N_("Budget (smallest first)"), "tsc:budget/schema:value"),
    ),
)

#: The listed properties of many projects (a leading VALUES block of at most 500 IRIs, then one UNION
#: branch per property: a VALUES of properties joined with it was up to 30 times slower at 1M triples).
ROW_PROPERTIES = ("dcterms:title", "tsc:leadOrganisation", "schema:startDate", "schema:endDate", "tsc:status", "tsc:isExample",
                  "tsc:contributesToTarget", "tsc:implementsArticle", "dcterms:spatial", "tsc:modality", "tsc:funder")
ROWS_QUERY = facets.PROLOGUE + "SELECT ?item ?p ?o WHERE {{ VALUES ?item {{ {items} }} " + " UNION ".join(
    [f"{{{{ ?item {p} ?o BIND({p} AS ?p) }}}}" for p in ROW_PROPERTIES]
    + ["{{ ?item tsc:budget ?b_ . ?b_ schema:value ?o BIND(schema:value AS ?p) }}",
       "{{ ?item tsc:budget ?b_ . ?b_ schema:currency ?o BIND(schema:currency AS ?p) }}"]) + " }}"
EXPORT_COLUMNS = ("iri", "title", "example", "lead", "lead_name", "start", "end", "status", "status_label",
                  "targets", "articles", "places", "modalities", "funders", "budget", "currency")
MULTI = {TSC.contributesToTarget: "targets", TSC.implementsArticle: "articles", DCTERMS.spatial: "places",
         TSC.modality: "modalities", TSC.funder: "funders"}
SINGLE = {TSC.leadOrganisation: "lead", SCHEMA.startDate: "start", SCHEMA.endDate: "end", TSC.status: "status",
          TSC.isExample: "example", SCHEMA.value: "budget", SCHEMA.currency: "currency"}
TITLE = DCTERMS.title


def project_rows(items: list[URIRef]) -> dict[URIRef, dict]:
    """item → its listed properties (raw terms), in one query per 500 items."""
    found: dict[URIRef, dict] = {i: {"titles": []} for i in items}
    for start in range(0, len(items), 500):
        block = " ".join(i.n3() for i in items[start:start + 500])
        for r in context.store().select(ROWS_QUERY.format(items=block)):
            row, p, o = found[r["item"]], r["p"], r["o"]
            if p == TITLE:
                row["titles"].append(o)
            elif p in MULTI:
                row.setdefault(MULTI[p], []).append(o)
            else:
                row[SINGLE[p]] = o
    return found


def _py(term):
    return term.toPython() if isinstance(term, Literal) else term


def export_row(iri: URIRef, row: dict, name) -> dict:
    def linked(term):
        return {"iri": str(term), "label": name(term)} if term is not None else None

    def many(key):
        return sorted((linked(t) for t in row.get(key, [])), key=lambda d: facets._natural(d["iri"]))

    budget = row.get("budget")
    return {
        "iri": str(iri), "title": pick_text(row["titles"]), "example": bool(_py(row.get("example", Literal(False)))),
        "lead": linked(row.get("lead")), "lead_name": name(row["lead"]) if "lead" in row else None,
        "start": str(row["start"]) if "start" in row else None, "end": str(row["end"]) if "end" in row else None,
        "status": linked(row.get("status")), "status_label": name(row["status"]) if "status" in row else None,
        "targets": many("targets"), "articles": many("articles"), "places": many("places"),
        "modalities": many("modalities"), "funders": many("funders"),
        "budget": float(_py(budget)) if budget is not None else None, "currency": str(row.get("currency", "")) or None,
    }


def _terms(rows: dict) -> set:
    """The IRIs a page of rows names (values are terms or lists of terms)."""
    return {t for r in rows.values() for v in r.values() for t in (v if isinstance(v, list) else [v]) if isinstance(t, URIRef)}


@bp.get("/projects")
def list_projects():
    fmt = facets.requested_format()
    selection = facets.request_selection(PROJECTS)
    found = facets.answer(PROJECTS, selection)
    if fmt != "html":
        return facets.export_selection(found, fmt, "projects", EXPORT_COLUMNS, project_rows, _terms, export_row)
    page = facets.listing_page(PROJECTS, selection, found, project_rows, _terms)
    rows = page.rows
    cards = [dict(export_row(i, rows[i], page.name), start_day=_py(rows[i].get("start")), end_day=_py(rows[i].get("end")))
             for i in page.items]
    jsonld = item_list_jsonld(_("Projects"), ((c["iri"], c["title"]) for c in cards), found.total, page.start)
    return render_template("projects.html", selection=selection, found=found, panel=page.panel, cards=cards,
                           limit=context.settings().max_result_rows, jsonld=jsonld,
                           link=lambda iri: href(URIRef(iri)))


# ------------------------------------------------------------------ one project

OUTGOING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
BUDGET = facets.PROLOGUE + "SELECT ?s ?value ?currency WHERE { ?s tsc:budget ?b . ?b schema:value ?value . ?b schema:currency ?currency }"
DERIVED = facets.PROLOGUE + "SELECT ?s ?r ?type WHERE { ?r prov:wasDerivedFrom ?s . ?r a ?type }"


@pages.page_for(TSC.Project)
def project_page(iri: URIRef):
    store = context.store()
    facts: dict = {}
    for r in store.select(OUTGOING, bindings={"s": iri}):
        facts.setdefault(r["p"], []).append(r["o"])
    budget = store.select(BUDGET, bindings={"s": iri})
    derived = sorted({r["r"] for r in store.select(DERIVED, bindings={"s": iri})}, key=str)
    links = [o for values in facts.values() for o in values if isinstance(o, URIRef)]
    name = Namer(links + derived)

    def linked(p) -> list[tuple[URIRef, str]]:
        found = [(o, name(o)) for o in facts.get(p, []) if isinstance(o, URIRef)]
        return sorted(found, key=lambda t: facets._natural(str(t[0])) if p in (TSC.contributesToTarget, TSC.implementsArticle) else (facets.fold(t[1]), str(t[0])))

    def one(p):
        values = facts.get(p, [])
        return values[0] if values else None

    title = pick_text(facts.get(DCTERMS.title, [])) or name(iri)
    subjects = [o for o in facts.get(DCTERMS.subject, []) if isinstance(o, Literal)]
    keywords = sorted({str(o) for o in subjects if (o.language or "") in (current_lang(), "")} or {str(o) for o in subjects}, key=facets.fold)
    project = {
        "iri": iri, "title": title, "description": pick_text(facts.get(DCTERMS.description, [])),
        "example": any(_py(o) is True for o in facts.get(TSC.isExample, [])),
        "lead": linked(TSC.leadOrganisation), "partners": linked(TSC.partner), "funders": linked(TSC.funder),
        "start": _py(one(SCHEMA.startDate)), "end": _py(one(SCHEMA.endDate)),
        "status": linked(TSC.status), "budget": [(_py(b["value"]), str(b["currency"])) for b in budget],
        "places": linked(DCTERMS.spatial), "targets": linked(TSC.contributesToTarget), "articles": linked(TSC.implementsArticle),
        "modalities": linked(TSC.modality), "keywords": keywords,
        "languages": sorted(str(o) for o in facts.get(DCTERMS.language, [])),
        "url": one(SCHEMA.url), "emails": sorted(str(o) for o in facts.get(SCHEMA.email, [])),
        "sources": sorted(facts.get(DCTERMS.source, []), key=str), "commitments": linked(TSC.implementsCommitment),
        "derived": sorted(((r, name(r)) for r in derived), key=lambda t: facets.fold(t[1])),
    }
    return render_template("project.html", p=project, language_name=_language_name)


def _language_name(code: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code).get_display_name(current_lang()) or code
    except (UnknownLocaleError, ValueError):
        return code
