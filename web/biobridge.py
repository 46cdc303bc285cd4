"""BioBridge: cooperation offers and requests, and for each the records on the other side that could go with it.

``/biobridge`` lists offers and requests (filters: kind, status, GBF target, modality, place — a plain GET
form); each offer's or request's own page (``/id/offer/…``, ``/id/request/…``) shows the record and the
ranked suggestions with their reasons, computed by :mod:`graph.matching`.

A record page costs two queries and the labels: one for the record (its statements, the broader places of
its places, the records that say they match it) and one for the candidates on the other side — those
sharing a GBF target or a theme with it, found through VALUES over the record's own terms (joining offers
and requests on two variables ran over 60 s at 1M triples).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from flask import Blueprint, abort, jsonify, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from graph import matching
from graph.namespaces import GBF, PLACE, TSC, VOCAB
from web import context, pages
from web.i18n import current_lang
from web.i18n import gettext as _
from web.labels import Namer, pick_text
from web.links import page_number
from web.schemaorg import item_list_jsonld

bp = Blueprint("biobridge", __name__)

KINDS = {"offer": TSC.CooperationOffer, "request": TSC.CooperationRequest}
OTHER = {TSC.CooperationOffer: TSC.CooperationRequest, TSC.CooperationRequest: TSC.CooperationOffer}
BY = {TSC.CooperationOffer: TSC.offeredBy, TSC.CooperationRequest: TSC.requestedBy}
STATUSES = ("open", "matched", "closed")
STATUS = VOCAB + "status/"
MODALITY = VOCAB + "modality/"
#: Suggestions shown on a record's page (all are counted).
SHOWN_SUGGESTIONS = 10
#: A pseudo-predicate for "this record is named by the other's tsc:matches" in the record query.
MATCHED_BY = URIRef("urn:tscgraph:matched-by")

PREFIXES = """PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

#: The record, the broader places of its places, and who says they match it (bound: ?s).
RECORD_QUERY = PREFIXES + """SELECT ?s ?p ?o WHERE {
  { ?s ?p ?o }
  UNION { ?s dcterms:spatial ?place . ?place skos:broader ?o BIND(skos:broader AS ?p) }
  UNION { ?o tsc:matches ?s BIND(<urn:tscgraph:matched-by> AS ?p) }
}"""

#: The records of the other class sharing a target or a theme with the record, with what matching needs:
#: only the values the record has too (``VALUES (?p ?value)`` over its own terms; ``UNDEF``: any value),
#: plus each one's status, author and matches. Both parts are joins of a sub-SELECT over the other class's
#: statements with VALUES (~130 ms at 1M triples for a request sharing a target with 1,700 offers): joins
#: driven by the VALUES, or by the candidates, looked each statement up and took 0.4-0.9 s.
CANDIDATES_QUERY = PREFIXES + """SELECT ?other ?p ?value WHERE {{
  {{ SELECT DISTINCT ?other WHERE {{
      {{ SELECT ?other ?p ?value WHERE {{ ?other a <{cls}> ; ?p ?value }} }}
      VALUES (?p ?value) {{ {qualifying} }}
  }} }}
  {{ {{ SELECT ?other ?p ?value WHERE {{ ?other a <{cls}> ; ?p ?value }} }}
     VALUES (?p ?value) {{ {wanted} }} }}
  UNION {{ {{ SELECT ?other ?value WHERE {{ ?other a <{cls}> ; dcterms:spatial/skos:broader ?value }} }}
     VALUES ?value {{ {places} }} BIND(skos:broader AS ?p) }}
}}"""
#: What each property of a candidate row stands for, for :func:`graph.matching.features_from_rows`.
CANDIDATE_KINDS = {TSC.contributesToTarget: "target", TSC.modality: "modality", DCTERMS.subject: "theme",
                   DCTERMS.language: "language", DCTERMS.spatial: "place", SKOS.broader: "broader",
                   TSC.status: "status", TSC.matches: "matches"}

#: Offers and requests passing the filters: their number, and one page of them, newest first (the sort
#: of every record's date costs 65 ms at 1M triples; sorting them in Python, 156 ms).
COUNT_QUERY = PREFIXES + """SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{
  VALUES ?cls {{ {classes} }}
  {filters}
  ?r a ?cls .
}}"""
PAGE_QUERY = PREFIXES + """SELECT DISTINCT ?r ?date WHERE {{
  VALUES ?cls {{ {classes} }}
  {filters}
  ?r a ?cls .
  OPTIONAL {{ ?r {date} ?date }}
}} ORDER BY DESC(?date) DESC(?r) LIMIT {limit} OFFSET {offset}"""

#: The statements of the records of one page (a VALUES over the predicates too made it a scan: 0.6 s at 1M).
LIST_DETAILS_QUERY = "SELECT ?r ?p ?o WHERE {{ VALUES ?r {{ {records} }} ?r ?p ?o }}"

#: The values the filters accept: GBF targets, modalities, and the places of the vocabulary with their broader
#: places (a place filter takes in the narrower places: France, its regions and overseas territories).
#: Every place, not only those of records: finding those scans every record's places (70 ms at 1M).
OPTIONS_QUERY = PREFIXES + """SELECT ?kind ?term ?broader WHERE {
  { ?term a tsc:GBFTarget BIND("target" AS ?kind) }
  UNION { ?term a tsc:Modality BIND("modality" AS ?kind) }
  UNION { ?term skos:inScheme <https://w3id.org/tscgraph/vocab/place> OPTIONAL { ?term skos:broader ?broader }
          BIND("place" AS ?kind) }
}"""


# ------------------------------------------------------------------ the listing


@bp.get("/biobridge")
def listing():
    options, narrower = _options()
    chosen = _filters(options)
    page = page_number()
    size = context.settings().page_size
    classes = " ".join(f"<{c}>" for c in ([KINDS[chosen["kind"]]] if "kind" in chosen else KINDS.values()))
    filters = _filter_patterns(chosen, narrower)
    total, records = newest_first(classes, filters, DCTERMS.created, page, size)
    items = _list_items(records)
    namer = Namer(_terms_of(items) + [t for terms in options.values() for t in terms])
    for item in items:
        item["title"] = pick_text(item.pop("titles")) or namer(item["iri"])
    has_next = total > page * size
    if request.args.get("format") == "json":
        return jsonify(total=total, page=page, next=has_next, filters=chosen,
                       items=[_item_json(item) for item in items])
    return render_template(
        "biobridge.html", items=items, total=total, page=page, has_next=has_next, chosen=chosen,
        options=_option_lists(options, namer), name=namer, number=slug, statuses=_status_names(), kinds=_kind_names(),
        jsonld=item_list_jsonld(_("BioBridge: cooperation offers and requests"), ((i["iri"], i["title"]) for i in items), total, (page - 1) * size), args=chosen,
    )


def _options() -> tuple[dict[str, list[URIRef]], dict[URIRef, set[URIRef]]]:
    """The accepted values of each filter, and each place's narrower places."""
    found: dict[str, list[URIRef]] = {"target": [], "modality": [], "place": []}
    narrower: dict[URIRef, set[URIRef]] = defaultdict(set)
    for r in context.store().select(OPTIONS_QUERY):
        if r["term"] not in found[str(r["kind"])]:
            found[str(r["kind"])].append(r["term"])
        if r.get("broader") is not None:
            narrower[r["broader"]].add(r["term"])
    return found, narrower


def _filters(options: dict[str, list[URIRef]]) -> dict[str, str]:
    """The chosen filters, checked: an unknown value is a 400 that says which values are accepted."""
    args = request.args
    kind = args.get("kind", "")
    if kind and kind not in KINDS:
        abort(400, description=_("Unknown kind %(value)s: use offer or request.", value=repr(kind)))
    status = args.get("status", "")
    if status and status not in STATUSES:
        abort(400, description=_("Unknown status %(value)s: use open, matched or closed.", value=repr(status)))
    target = args.get("target", "")
    if target and GBF["target/" + target] not in options["target"]:
        abort(400, description=_("Unknown GBF target %(value)s: use a number from 1 to 23.", value=repr(target)))
    modality = args.get("modality", "")
    if modality and URIRef(MODALITY + modality) not in options["modality"]:
        abort(400, description=_("Unknown modality %(value)s.", value=repr(modality)))
    place = args.get("place", "")
    if place and PLACE[place] not in options["place"]:
        abort(400, description=_("Unknown place %(value)s: use a country code such as FR, or FR/bretagne.", value=repr(place)))
    chosen = {"kind": kind, "status": status, "target": target, "modality": modality, "place": place}
    return {key: value for key, value in chosen.items() if value}


def _filter_patterns(chosen: dict[str, str], narrower: dict[URIRef, set[URIRef]]) -> str:
    """Graph patterns for the chosen filters; every IRI comes from the checked lists, never from free text."""
    patterns = []
    if "place" in chosen:  # the place or a narrower one, through VALUES: a UNION with skos:broader took 1.2 s at 1M
        place = PLACE[chosen["place"]]
        areas = sorted({place} | narrower.get(place, set()), key=str)
        patterns.append("VALUES ?area { " + " ".join(a.n3() for a in areas) + " } ?r dcterms:spatial ?area .")
    if "target" in chosen:
        patterns.append(f"?r tsc:contributesToTarget <{GBF['target/' + chosen['target']]}> .")
    if "modality" in chosen:
        patterns.append(f"?r tsc:modality <{MODALITY}{chosen['modality']}> .")
    if "status" in chosen:
        patterns.append(f"?r tsc:status <{STATUS}{chosen['status']}> .")
    return "\n  ".join(patterns)


def newest_first(classes: str, filters: str, date: URIRef, page: int, size: int) -> tuple[int, list[URIRef]]:
    """How many records of ``classes`` pass ``filters`` (SPARQL patterns on ?r), and one page of them, newest
    first by ``date`` (the BioBridge and knowledge listings)."""
    store = context.store()
    total = int(store.select(COUNT_QUERY.format(classes=classes, filters=filters))[0]["n"])
    rows = store.select(PAGE_QUERY.format(classes=classes, filters=filters, date=date.n3(), limit=size,
                                          offset=(page - 1) * size))
    return total, [r["r"] for r in rows]


def _list_items(records: list[URIRef]) -> list[dict]:
    if not records:
        return []
    query = LIST_DETAILS_QUERY.format(records=" ".join(r.n3() for r in records))
    values: dict[URIRef, dict[URIRef, list]] = {r: defaultdict(list) for r in records}
    for row in context.store().select(query):
        values[row["r"]][row["p"]].append(row["o"])
    items = []
    for iri in records:
        v = values[iri]
        cls = TSC.CooperationOffer if TSC.CooperationOffer in v[RDF.type] else TSC.CooperationRequest
        items.append({
            "iri": iri,
            "kind": "offer" if cls == TSC.CooperationOffer else "request",
            "titles": v[DCTERMS.title],
            "by": (v[BY[cls]] or [None])[0],
            "targets": sorted(v[TSC.contributesToTarget], key=matching.target_order),
            "modalities": sorted(v[TSC.modality], key=str),
            "status": (v[TSC.status] or [None])[0],
            "created": first_date(v[DCTERMS.created]),
            "example": any(o.toPython() is True for o in v[TSC.isExample]),
        })
    return items


def _terms_of(items: list[dict]) -> list:
    terms = []
    for item in items:
        terms += [item["iri"], item["by"], item["status"], *item["targets"], *item["modalities"]]
    return [t for t in terms if t is not None]


def _item_json(item: dict) -> dict:
    return {
        "iri": str(item["iri"]), "kind": item["kind"], "title": item["title"],
        "by": str(item["by"]) if item["by"] else None, "status": slug(item["status"]),
        "targets": [str(t) for t in item["targets"]], "modalities": [str(m) for m in item["modalities"]],
        "created": str(item["created"]) if item["created"] else None, "example": item["example"],
    }


def _option_lists(options: dict[str, list[URIRef]], namer: Namer) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs for the form's selects: targets by number, the rest by label."""
    targets = sorted(options["target"], key=matching.target_order)
    return {
        "target": [(str(t).rsplit("/", 1)[-1], _("Target %(n)s", n=str(t).rsplit("/", 1)[-1]) + " — " + namer(t)) for t in targets],
        "modality": sorted(((str(m)[len(MODALITY):], namer(m)) for m in options["modality"]), key=lambda o: o[1].casefold()),
        "place": sorted(((str(p)[len(PLACE):], namer(p)) for p in set(options["place"]) if str(p).startswith(str(PLACE))),
                        key=lambda o: o[1].casefold()),
    }


def _status_names() -> dict[str, str]:
    return {"open": _("open"), "matched": _("matched"), "closed": _("closed")}


def _kind_names() -> dict[str, str]:
    return {"offer": _("Offer"), "request": _("Request")}


# ------------------------------------------------------------------ an offer's or a request's page


@pages.page_for(TSC.CooperationOffer, TSC.CooperationRequest)
def record_page(iri: URIRef):
    store = context.store()
    values: dict[URIRef, list] = defaultdict(list)
    for row in store.select(RECORD_QUERY, bindings={"s": iri}):
        values[row["p"]].append(row["o"])
    cls = TSC.CooperationOffer if TSC.CooperationOffer in values[RDF.type] else TSC.CooperationRequest
    mine = matching.features_from_rows(iri, _feature_rows(values, cls))
    matches = sorted(set(values[TSC.matches]) | set(values[MATCHED_BY]), key=str)
    mine = matching.Features(**{**mine.__dict__, "matches": frozenset(matches)})
    lang = current_lang()
    candidates, by_of = _candidates(mine, OTHER[cls])
    suggestions = matching.rank(mine, candidates, prefer_lang=lang)
    shown = suggestions[:SHOWN_SUGGESTIONS]

    record = {
        "iri": iri,
        "kind": "offer" if cls == TSC.CooperationOffer else "request",
        "titles": values[DCTERMS.title],
        "descriptions": values[DCTERMS.description],
        "by": (values[BY[cls]] or [None])[0],
        "targets": sorted(values[TSC.contributesToTarget], key=matching.target_order),
        "articles": sorted(values[TSC.implementsArticle], key=matching.target_order),
        "modalities": sorted(values[TSC.modality], key=str),
        "themes": themes_for_reader(values[DCTERMS.subject], lang),
        "languages": sorted(str(code).lower() for code in values[DCTERMS.language]),
        "places": sorted(values[DCTERMS.spatial], key=str),
        "status": (values[TSC.status] or [None])[0],
        "created": first_date(values[DCTERMS.created]),
        "example": any(isinstance(o, Literal) and o.toPython() is True for o in values[TSC.isExample]),
        "matches": matches,
        "email": sorted(str(e) for e in values[URIRef("https://schema.org/email")]),
        "url": sorted(values[URIRef("https://schema.org/url")], key=str),
    }
    terms = [iri, record["by"], record["status"], *record["targets"], *record["articles"], *record["modalities"],
             *record["places"], *matches]
    for s in shown:
        terms += [s.other, by_of.get(s.other)] + [r.value for r in s.reasons if isinstance(r.value, URIRef)]
    namer = Namer(t for t in terms if t is not None)
    title = pick_text(record["titles"]) or namer(iri)
    rows = [{"iri": s.other, "title": namer(s.other), "by": by_of.get(s.other), "score": s.score, "matched": s.matched,
             "reasons": [(reason_text(r, namer, lang), r.points, r.kind) for r in s.reasons]} for s in shown]
    if request.args.get("format") == "json":
        return jsonify(
            iri=str(iri), kind=record["kind"], title=title, status=slug(record["status"]),
            matches=[str(m) for m in matches], suggestions_total=len(suggestions),
            suggestions=[{"iri": str(r["iri"]), "title": r["title"], "score": r["score"], "matched": r["matched"],
                          "reasons": [{"kind": k, "points": p, "text": t} for t, p, k in r["reasons"]]} for r in rows],
        )
    return render_template(
        "cooperation.html", record=record, title=title, description=pick_text(record["descriptions"]), name=namer,
        suggestions=rows, total=len(suggestions), statuses=_status_names(), kinds=_kind_names(),
        language_name=lambda code: language_name(code, lang), weights=matching.WEIGHTS, number=slug,
    )


def _feature_rows(values: dict[URIRef, list], cls: URIRef):
    for prop, kind in ((TSC.contributesToTarget, "target"), (TSC.modality, "modality"), (DCTERMS.subject, "theme"),
                       (DCTERMS.language, "language"), (DCTERMS.spatial, "place"), (SKOS.broader, "broader"),
                       (TSC.status, "status")):
        for value in values[prop]:
            yield kind, value


def _candidates(mine: matching.Features, other_cls: URIRef) -> tuple[list[matching.Features], dict]:
    """The records of ``other_cls`` sharing a target or a theme with ``mine``, and who made each (one query).

    Themes are looked up as written, in lower case and capitalised (the store compares them exactly);
    :func:`graph.matching.rank` then compares them case-folded.
    """
    themes = set()
    for lang, texts in mine.themes.items():
        for text in texts:
            for form in {text, text.lower(), text[:1].upper() + text[1:].lower()}:
                themes.add(Literal(form, lang=lang or None).n3())
    if not mine.targets and not themes:
        return [], {}
    languages = set()
    for code in mine.languages:  # as written in data: "fr", and its upper-case region form if any
        for form in {code, code.lower(), code.upper()}:
            languages.add(Literal(form, datatype=XSD.language).n3())
    pairs = lambda prop, values: " ".join(f"({prop.n3()} {v})" for v in sorted(values))  # noqa: E731
    qualifying = pairs(TSC.contributesToTarget, [t.n3() for t in mine.targets]) + " " + pairs(DCTERMS.subject, themes)
    places = [p.n3() for p in mine.places | mine.broader]
    wanted = " ".join((
        qualifying,
        pairs(TSC.modality, [m.n3() for m in mine.modalities]),
        pairs(DCTERMS.language, languages),
        pairs(DCTERMS.spatial, places),
        pairs(TSC.status, ["UNDEF"]), pairs(BY[other_cls], ["UNDEF"]), pairs(TSC.matches, ["UNDEF"]),
    ))
    query = CANDIDATES_QUERY.format(cls=other_cls, qualifying=qualifying, wanted=wanted, places=" ".join(sorted(places)))
    rows: dict[URIRef, list] = defaultdict(list)
    by_of: dict[URIRef, URIRef] = {}
    for r in context.store().select(query):
        if r["p"] == BY[other_cls]:
            by_of[r["other"]] = r["value"]
        else:
            rows[r["other"]].append((CANDIDATE_KINDS[r["p"]], r["value"]))
    return [matching.features_from_rows(other, rows[other]) for other in by_of.keys() | rows.keys()], by_of


def reason_text(reason: matching.Reason, name, lang: str) -> str:
    """A reason as a sentence in the reader's language."""
    if reason.kind == "target":
        number = str(reason.value).rsplit("/", 1)[-1]
        return _("Both address GBF target %(n)s (%(label)s)", n=number, label=name(reason.value))
    if reason.kind == "modality":
        return _("Same modality: %(label)s", label=name(reason.value))
    if reason.kind == "theme":
        return _("Shared theme: %(theme)s", theme=reason.value)
    if reason.kind == "language":
        return _("Both in %(language)s", language=language_name(str(reason.value), lang))
    if reason.kind == "place":
        return _("Same place: %(label)s", label=name(reason.value))
    return _("Same country: %(label)s", label=name(reason.value))


@lru_cache(maxsize=256)
def language_name(code: str, lang: str) -> str:
    """A language's name in the reader's language ("French", "français"), lower-case in running text where usual."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(lang) or code
    except (UnknownLocaleError, ValueError):
        return code


def themes_for_reader(values: list, lang: str) -> list[str]:
    """The themes in the reader's language, else in English, else all of them."""
    for choice in (lang, "en"):
        found = sorted(str(v) for v in values if isinstance(v, Literal) and v.language == choice)
        if found:
            return found
    return sorted(str(v) for v in values)


def first_date(values: list):
    for value in values:
        return value.toPython() if isinstance(value, Literal) else value
    return None


def slug(term) -> str | None:
    return str(term).rsplit("/", 1)[-1] if term is not None else None
