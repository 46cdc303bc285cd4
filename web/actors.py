"""The actors: a faceted directory (``/actors``, also CSV and JSON of the whole selection) and each actor's page.

An actor's page gathers what points at it: its projects (as lead, partner or funder), the actors it
shares projects with, its cooperation offers and requests, its knowledge resources and the
commitments it holds. At 1M triples the busiest actor has ~2,400 projects: everything is asked in
a few one-variable joins from the actor, never a join on two shared variables.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from graph.namespaces import GBF, PLACE, SCHEMA, TSC, VOCAB
from web import context, facets, pages
from web.facets import N_, Facet, Listing, SortKey
from web.i18n import gettext as _
from web.labels import Namer, pick_text
from web.links import href
from web.schemaorg import item_list_jsonld

bp = Blueprint("actors", __name__)

ACTORS = Listing(
    cls=str(TSC.Actor),
    facets=(
        Facet("type", N_("Type of actor"), "tsc:actorType", short=VOCAB + "actor-type/", value_class=str(TSC.ActorType), top=12),
        Facet("place", N_("Territory or country"), "dcterms:spatial", short=str(PLACE), value_class=str(TSC.Place)),
        Facet("biobridge", N_("BioBridge member"), "tsc:bioBridgeMember", kind="boolean"),
        Facet("offer_target", N_("Expertise offered: GBF target"), "^tsc:offeredBy/tsc:contributesToTarget",
              short=GBF + "target/", value_class=str(TSC.GBFTarget), order="key", top=23),
        Facet("offer_modality", N_("Expertise offered: modality"), "^tsc:offeredBy/tsc:modality",
              short=VOCAB + "modality/", value_class=str(TSC.Modality), top=12),
    ),
    text_paths=("skos:prefLabel", "skos:altLabel", "dcterms:description"),
    title_path="skos:prefLabel",
    sorts=(SortKey("name", N_("Name (A to Z)")), SortKey("-name", N_("Name (Z to A)"), descending=True)),
)

#: The listed properties of many actors: one UNION branch per property after the VALUES block (a VALUES
#: of properties joined with it took 30 times longer at 1M triples).
ROW_PROPERTIES = ("skos:prefLabel", "skos:altLabel", "tsc:actorType", "dcterms:spatial", "tsc:bioBridgeMember", "tsc:isExample", "schema:url")
ROWS_QUERY = facets.PROLOGUE + "SELECT ?item ?p ?o WHERE {{ VALUES ?item {{ {items} }} " + " UNION ".join(
    f"{{{{ ?item {p} ?o BIND({p} AS ?p) }}}}" for p in ROW_PROPERTIES) + " }}"
KEYS = {SKOS.prefLabel: "names", SKOS.altLabel: "acronyms", TSC.actorType: "types", DCTERMS.spatial: "places",
        TSC.bioBridgeMember: "biobridge", TSC.isExample: "example", SCHEMA.url: "url"}
EXPORT_COLUMNS = ("iri", "name", "acronyms", "example", "types", "places", "biobridge", "url")


def actor_rows(items: list[URIRef]) -> dict[URIRef, dict]:
    found: dict[URIRef, dict] = {i: {} for i in items}
    for start in range(0, len(items), 500):
        block = " ".join(i.n3() for i in items[start:start + 500])
        for r in context.store().select(ROWS_QUERY.format(items=block)):
            found[r["item"]].setdefault(KEYS[r["p"]], []).append(r["o"])
    return found


def _true(values) -> bool | None:
    return values[0].toPython() is True if values else None


def export_row(iri: URIRef, row: dict, name) -> dict:
    def many(key):
        return sorted(({"iri": str(t), "label": name(t)} for t in row.get(key, [])), key=lambda d: facets.fold(d["label"]))

    return {
        "iri": str(iri), "name": pick_text(row.get("names", [])) or name(iri),
        "acronyms": sorted(str(a) for a in row.get("acronyms", [])), "example": bool(_true(row.get("example"))),
        "types": many("types"), "places": many("places"), "biobridge": _true(row.get("biobridge")),
        "url": str(row["url"][0]) if row.get("url") else None,
    }


def _terms(rows: dict) -> set:
    return {t for r in rows.values() for vs in r.values() for t in vs if isinstance(t, URIRef)}


@bp.get("/actors")
def list_actors():
    fmt = facets.requested_format()
    selection = facets.request_selection(ACTORS)
    found = facets.answer(ACTORS, selection)
    if fmt != "html":
        return facets.export_selection(found, fmt, "actors", EXPORT_COLUMNS, actor_rows, _terms, export_row)
    page = facets.listing_page(ACTORS, selection, found, actor_rows, _terms)
    cards = [export_row(i, page.rows[i], page.name) for i in page.items]
    jsonld = item_list_jsonld(_("Actors"), ((c["iri"], c["name"]) for c in cards), found.total, page.start)
    return render_template("actors.html", selection=selection, found=found, panel=page.panel, cards=cards,
                           limit=context.settings().max_result_rows, jsonld=jsonld,
                           link=lambda iri: href(URIRef(iri)))


# ------------------------------------------------------------------ one actor

OUTGOING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
#: Everything that names the actor in a role, with its class (one lookup per record from the actor).
INVOLVED = facets.PROLOGUE + """SELECT ?a ?s ?role ?type WHERE {
  VALUES ?role { tsc:leadOrganisation tsc:partner tsc:funder tsc:offeredBy tsc:requestedBy dcterms:creator }
  ?s ?role ?a . ?s a ?type
}"""
#: Actors sharing a project with the actor: from its projects (one variable, ?p) to their other actors.
PARTNERS = facets.PROLOGUE + """SELECT ?a ?other (COUNT(DISTINCT ?p) AS ?n) WHERE {
  ?p tsc:leadOrganisation|tsc:partner|tsc:funder ?a .
  ?p tsc:leadOrganisation|tsc:partner|tsc:funder ?other .
  FILTER(?other != ?a)
} GROUP BY ?a ?other"""
COMMITMENT_TYPES = {TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment}
KNOWLEDGE_TYPES = {TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy}
ROLE_NAMES = {TSC.leadOrganisation: N_("Lead"), TSC.partner: N_("Partner"), TSC.funder: N_("Funder")}
#: Records shown per list on an actor's page; the projects list then links to the full, paged list.
SHOWN = 50


@pages.page_for(TSC.Actor)
def actor_page(iri: URIRef):
    store = context.store()
    facts: dict = {}
    for r in store.select(OUTGOING, bindings={"s": iri}):
        facts.setdefault(r["p"], []).append(r["o"])
    involved = store.select(INVOLVED, bindings={"a": iri})
    partners = sorted(((r["other"], int(r["n"])) for r in store.select(PARTNERS, bindings={"a": iri})), key=lambda t: -t[1])
    projects: dict[URIRef, list] = {}
    offers, requests_, knowledge, commitments = set(), set(), set(), set()
    for r in involved:
        s, role, kind = r["s"], r["role"], r["type"]
        if kind == TSC.Project and role in ROLE_NAMES:
            if role not in projects.setdefault(s, []):
                projects[s].append(role)
        elif kind == TSC.CooperationOffer and role == TSC.offeredBy:
            offers.add(s)
        elif kind == TSC.CooperationRequest and role == TSC.requestedBy:
            requests_.add(s)
        elif kind in KNOWLEDGE_TYPES and role == DCTERMS.creator:
            knowledge.add(s)
        elif kind in COMMITMENT_TYPES and role == TSC.leadOrganisation:
            commitments.add(s)
    order = list(ROLE_NAMES)
    project_list = sorted(projects.items(), key=lambda t: (min(order.index(r) for r in t[1]), str(t[0])))
    shown_projects = project_list[:SHOWN]
    shown_partners = partners[:SHOWN]
    name = Namer([o for vs in facts.values() for o in vs if isinstance(o, URIRef)] + [p for p, _r in shown_projects]
                 + [o for o, _n in shown_partners] + sorted(offers | requests_ | knowledge | commitments, key=str))

    def named(items) -> list[tuple[URIRef, str]]:
        return sorted(((i, name(i)) for i in items), key=lambda t: (facets.fold(t[1]), str(t[0])))

    def linked(p):
        return named(o for o in facts.get(p, []) if isinstance(o, URIRef))

    bio = [o.toPython() for o in facts.get(TSC.bioBridgeMember, []) if isinstance(o, Literal)]
    slug = facets.short_key(facets.Facet("actor", "", "", short="{base}id/actor/"), iri, context.settings().base_iri)
    actor = {
        "iri": iri, "name": pick_text(facts.get(SKOS.prefLabel, [])) or name(iri),
        "other_names": sorted({str(o) for o in facts.get(SKOS.prefLabel, [])} - {pick_text(facts.get(SKOS.prefLabel, []))}),
        "acronyms": sorted(str(o) for o in facts.get(SKOS.altLabel, [])),
        "types": linked(TSC.actorType), "description": pick_text(facts.get(DCTERMS.description, [])),
        "url": (facts.get(SCHEMA.url) or [None])[0], "emails": sorted(str(o) for o in facts.get(SCHEMA.email, [])),
        "places": linked(DCTERMS.spatial), "biobridge": bio[0] if bio else None,
        "example": any(o.toPython() is True for o in facts.get(TSC.isExample, []) if isinstance(o, Literal)),
        "sources": sorted(facts.get(DCTERMS.source, []), key=str),
        "projects": sorted(((p, name(p), [_(ROLE_NAMES[r]) for r in roles]) for p, roles in shown_projects),
                           key=lambda t: (min(order.index(r) for r in projects[t[0]]), facets.fold(t[1]))),
        "project_count": len(project_list), "projects_url": "/projects?" + urlencode({"actor": slug}),
        "partners": [(o, name(o), n) for o, n in shown_partners], "partner_count": len(partners),
        "offers": named(offers), "requests": named(requests_), "knowledge": named(knowledge), "commitments": named(commitments),
    }
    return render_template("actor.html", a=actor, shown=SHOWN)
