"""BioBridge matchmaking (graph.matching): each reason, the weights' order, ties, exclusions, and the bundled data."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from graph.matching import CLOSED, WEIGHTS, Features, features_from_rows, rank, reasons_for
from graph.namespaces import GBF, PLACE, TSC, VOCAB
from graph.settings import ROOT
from tests.conftest import BASE

MOD = VOCAB + "modality/"
OPEN = URIRef(VOCAB + "status/open")
MATCHED = URIRef(VOCAB + "status/matched")


def rec(name: str, **fields) -> Features:
    fields.setdefault("status", OPEN)
    return Features(iri=URIRef(BASE + name), **fields)


def kinds(suggestion) -> list[str]:
    return [r.kind for r in suggestion.reasons]


REQUEST = rec(
    "request/r", targets=frozenset({GBF["target/3"], GBF["target/21"]}), modalities=frozenset({URIRef(MOD + "training")}),
    themes={"en": frozenset({"Coral reefs"}), "fr": frozenset({"récifs coralliens"})}, languages=frozenset({"fr"}),
    places=frozenset({PLACE["YT"]}), broader=frozenset({PLACE["FR"]}),
)


def test_each_reason_with_its_points():
    offer = rec(
        "offer/o", targets=frozenset({GBF["target/3"]}), modalities=frozenset({URIRef(MOD + "training")}),
        themes={"en": frozenset({"coral  REEFS"}), "fr": frozenset({"Récifs coralliens"})}, languages=frozenset({"fr", "en"}),
        places=frozenset({PLACE["YT"]}),
    )
    [s] = rank(REQUEST, [offer], prefer_lang="fr")
    assert kinds(s) == ["target", "modality", "theme", "language", "place"]
    assert s.score == WEIGHTS["target"] + WEIGHTS["modality"] + WEIGHTS["theme"] + WEIGHTS["language"] + WEIGHTS["place"]
    theme = s.reasons[2]
    assert (theme.value, theme.lang) == ("Récifs coralliens", "fr")  # in the preferred language, as the offer writes it
    assert rank(REQUEST, [offer], prefer_lang="en")[0].reasons[2].value == "coral  REEFS"


def test_a_theme_shared_in_two_languages_counts_once():
    offer = rec("offer/o", themes={"en": frozenset({"coral reefs"}), "fr": frozenset({"récifs coralliens"})})
    [s] = rank(REQUEST, [offer])
    assert kinds(s) == ["theme"] and s.score == WEIGHTS["theme"]


def test_themes_are_compared_within_one_language():
    offer = rec("offer/o", themes={"fr": frozenset({"coral reefs"})})
    assert rank(REQUEST, [offer]) == []


def test_places_meet_through_their_country():
    reunion = rec("offer/o", targets=frozenset({GBF["target/3"]}), places=frozenset({PLACE["RE"]}), broader=frozenset({PLACE["FR"]}))
    france = rec("offer/p", targets=frozenset({GBF["target/3"]}), places=frozenset({PLACE["FR"]}))
    elsewhere = rec("offer/q", targets=frozenset({GBF["target/3"]}), places=frozenset({PLACE["MG"]}))
    by_iri = {s.other: s for s in rank(REQUEST, [reunion, france, elsewhere])}
    for offer in (reunion, france):
        assert [(r.kind, r.value, r.points) for r in by_iri[offer.iri].reasons if r.kind in ("place", "country")] == [
            ("country", PLACE["FR"], WEIGHTS["country"])]
    assert kinds(by_iri[elsewhere.iri]) == ["target"]


def test_weights_follow_targets_modalities_themes_languages_places():
    assert WEIGHTS["target"] > WEIGHTS["modality"] > WEIGHTS["theme"] > WEIGHTS["language"] > WEIGHTS["place"] > WEIGHTS["country"]
    base = {"themes": {"en": frozenset({"coral reefs"})}}  # every offer qualifies through the theme
    offers = [
        rec("offer/place", places=frozenset({PLACE["YT"]}), **base),
        rec("offer/language", languages=frozenset({"fr"}), **base),
        rec("offer/modality", modalities=frozenset({URIRef(MOD + "training")}), **base),
        rec("offer/target", targets=frozenset({GBF["target/21"]}), **base),
        rec("offer/theme-only", **base),
    ]
    order = [str(s.other).rsplit("/", 1)[-1] for s in rank(REQUEST, offers)]
    assert order == ["target", "modality", "language", "place", "theme-only"]


def test_ties_are_broken_by_targets_then_iri():
    a = rec("offer/b", targets=frozenset({GBF["target/3"]}))
    b = rec("offer/a", targets=frozenset({GBF["target/21"]}))
    assert [s.other for s in rank(REQUEST, [a, b])] == [b.iri, a.iri]
    assert [s.other for s in rank(REQUEST, [b, a])] == [b.iri, a.iri]
    # same score, 20 points: one target beats modality + theme + language (12 + 6 + 4 = 22 > 20) only by score
    c = rec("offer/c", modalities=frozenset({URIRef(MOD + "training")}), themes={"en": frozenset({"coral reefs"})},
            languages=frozenset({"fr"}))
    assert [s.other for s in rank(REQUEST, [a, c])] == [c.iri, a.iri]


def test_exclusions_nothing_shared_no_subject_shared_closed():
    nothing = rec("offer/nothing", targets=frozenset({GBF["target/17"]}))
    how_only = rec("offer/how", modalities=frozenset({URIRef(MOD + "training")}), languages=frozenset({"fr"}),
                   places=frozenset({PLACE["YT"]}))
    closed = rec("offer/closed", targets=frozenset({GBF["target/3"]}), status=CLOSED)
    matched = rec("offer/matched", targets=frozenset({GBF["target/3"]}), status=MATCHED)
    assert [s.other for s in rank(REQUEST, [nothing, how_only, closed, matched])] == [matched.iri]


def test_matched_pairs_are_flagged_either_way():
    offer = rec("offer/o", targets=frozenset({GBF["target/3"]}), matches=frozenset({REQUEST.iri}))
    other = rec("offer/p", targets=frozenset({GBF["target/3"]}))
    flags = {s.other: s.matched for s in rank(REQUEST, [offer, other])}
    assert flags == {offer.iri: True, other.iri: False}
    mine = Features(**{**REQUEST.__dict__, "matches": frozenset({other.iri})})
    assert {s.other: s.matched for s in rank(mine, [offer, other])} == {offer.iri: True, other.iri: True}


def test_features_from_rows():
    f = features_from_rows(URIRef(BASE + "x"), [
        ("target", GBF["target/3"]), ("theme", Literal("Mangroves", lang="en")), ("language", Literal("FR")),
        ("status", OPEN), ("broader", PLACE["FR"]), ("unknown", "ignored"),
    ])
    assert f.targets == {GBF["target/3"]} and f.themes == {"en": {"Mangroves"}} and f.languages == {"fr"}
    assert f.status == OPEN and f.broader == {PLACE["FR"]}
    assert reasons_for(f, f)[0].kind == "target"


# ------------------------------------------------------------------ the bundled data


def bundled() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        g.parse(path, format="turtle", publicID=BASE)
    g.parse(ROOT / "ontology" / "places.ttl", format="turtle")
    return g


def features(g: Graph, iri) -> Features:
    props = {TSC.contributesToTarget: "target", TSC.modality: "modality", DCTERMS.subject: "theme",
             DCTERMS.language: "language", DCTERMS.spatial: "place", TSC.status: "status", TSC.matches: "matches"}
    rows = [(kind, o) for p, kind in props.items() for o in g.objects(iri, p)]
    rows += [("broader", b) for place in g.objects(iri, DCTERMS.spatial) for b in g.objects(place, SKOS.broader)]
    return features_from_rows(iri, rows)


def test_bundled_requests_top_suggestion_is_the_confirmed_match():
    g = bundled()
    offers = [features(g, o) for o in g.subjects(RDF.type, TSC.CooperationOffer)]
    requests = sorted(g.subjects(RDF.type, TSC.CooperationRequest), key=str)
    confirmed = 0
    for request in requests:
        matched = set(g.objects(request, TSC.matches)) | set(g.subjects(TSC.matches, request))
        suggestions = rank(features(g, request), offers)
        if matched:
            confirmed += 1
            assert suggestions and suggestions[0].other in matched and suggestions[0].matched, request
    assert confirmed >= 1  # the data holds at least one confirmed match (wio-coral-reef-training)


def test_bundled_requests_get_the_offers_the_data_was_designed_for():
    """data/cooperation.ttl's header names the fitting offers of each request, and one request no offer fits."""
    g = bundled()
    offers = [features(g, o) for o in g.subjects(RDF.type, TSC.CooperationOffer)]

    def top(slug: str) -> list[str]:
        return [str(s.other).rsplit("/", 1)[-1] for s in rank(features(g, URIRef(BASE + "id/request/" + slug)), offers)]

    assert top("pacific-invasive-species")[0] == "island-invasive-species"
    assert top("mayotte-mangroves") == ["mangrove-restoration-twinning"]
    assert {"data-publishing", "inventory-methods"} <= set(top("west-africa-data"))
    assert top("west-africa-data")[0] == "data-publishing"
    assert top("andean-biosafety-lab") == []
