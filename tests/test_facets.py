"""The faceted-listing machinery (web/facets.py) against a real store holding the bundled data.

Expectations are computed from the data files with rdflib, independently of the SPARQL under test.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from graph.namespaces import GBF, SCHEMA, TSC, VOCAB
from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from graph.validation import read_turtle_dir
from tests.conftest import BASE
from web import facets
from web.actors import ACTORS
from web.context import StateCache
from web.projects import PROJECTS

ONGOING = URIRef(VOCAB + "status/ongoing")


@pytest.fixture(scope="module")
def store(data):
    store = OxigraphStore(None)
    store.add_graphs({BASE + "graph/ontology": read_turtle_dir(ROOT / "ontology"), BASE + "graph/local": data})
    yield store
    store.close()


def english(values) -> str | None:
    by_lang = {v.language: str(v) for v in values}
    return by_lang.get("en") or next(iter(by_lang.values()), None)


def run(store, listing, version="v1", memo=None, **args):
    selection = facets.parse_selection(listing, {k: v if isinstance(v, list) else [v] for k, v in args.items()}, BASE)
    facets.check_values(store, listing, selection)
    return facets.run_listing(store, memo or StateCache(), version, listing, selection, english, "en")


def projects_where(data: Graph, test) -> set:
    return {p for p in data.subjects(RDF.type, TSC.Project) if test(p)}


# ------------------------------------------------------------------ arguments


def test_short_values_and_full_iris_mean_the_same():
    short = facets.parse_selection(PROJECTS, {"target": ["3"], "place": ["FR/bretagne"], "funder": ["ofb"]}, BASE)
    full = facets.parse_selection(
        PROJECTS, {"target": [GBF + "target/3"], "place": [VOCAB + "place/FR/bretagne"], "funder": [BASE + "id/actor/ofb"]}, BASE)
    assert short == full
    assert short.chosen["funder"] == (URIRef(BASE + "id/actor/ofb"),)
    assert facets.selection_args(PROJECTS, short, BASE) == [("target", "3"), ("place", "FR/bretagne"), ("funder", "ofb")]


def test_selection_round_trips_through_its_url_arguments():
    args = {"q": ["coral reefs"], "target": ["3", "21"], "status": ["ongoing"], "year": ["2024"], "sort": ["-budget"], "page": ["2"]}
    selection = facets.parse_selection(PROJECTS, args, BASE)
    again = {}
    for key, value in facets.selection_args(PROJECTS, selection, BASE):
        again.setdefault(key, []).append(value)
    assert again == args
    assert facets.parse_selection(PROJECTS, again, BASE) == selection


@pytest.mark.parametrize("args, message", [
    ({"sort": ["colour"]}, "sort must be one of"),
    ({"page": ["0"]}, "page must be a positive integer"),
    ({"page": ["two"]}, "page must be a positive integer"),
    ({"colour": ["red"]}, "unknown parameter"),
    ({"year": ["20x4"]}, "year must be a year"),
    ({"target": ["<script>"]}, "neither a known short value nor an absolute IRI"),
    ({"target": ["http://x/a b"]}, "not a valid IRI"),
    ({"q": ["x" * 201]}, "longer than 200"),
])
def test_bad_arguments_are_refused_with_a_reason(args, message):
    with pytest.raises(facets.FacetError, match=message):
        facets.parse_selection(PROJECTS, args, BASE)


def test_biobridge_takes_true_or_false_only():
    assert facets.parse_selection(ACTORS, {"biobridge": ["true"]}, BASE).chosen["biobridge"] == (Literal(True),)
    with pytest.raises(facets.FacetError, match="true or false"):
        facets.parse_selection(ACTORS, {"biobridge": ["yes"]}, BASE)


def test_unknown_values_are_refused(store):
    for args in ({"target": ["99"]}, {"funder": ["nobody"]}, {"status": ["open-ish"]}, {"place": [GBF + "target/3"]}):
        with pytest.raises(facets.FacetError, match="unknown value"):
            run(store, PROJECTS, **args)


def test_toggling_adds_then_removes_a_value_and_goes_back_to_page_one():
    selection = facets.parse_selection(PROJECTS, {"target": ["3"], "page": ["2"]}, BASE)
    added = facets.toggled(selection, "target", URIRef(GBF + "target/21"))
    assert added.chosen["target"] == (URIRef(GBF + "target/3"), URIRef(GBF + "target/21")) and added.page == 1
    assert facets.toggled(facets.toggled(added, "target", URIRef(GBF + "target/3")), "target", URIRef(GBF + "target/21")).chosen == {}


# ------------------------------------------------------------------ selections and counts over the store


def test_no_filter_lists_every_project(store, data):
    found = run(store, PROJECTS)
    assert set(found.ordered) == projects_where(data, lambda p: True) and found.total == 15


def test_a_facet_selects_exactly_the_projects_with_that_value(store, data):
    found = run(store, PROJECTS, target="3")
    expected = projects_where(data, lambda p: (p, TSC.contributesToTarget, GBF["target/3"]) in data)
    assert set(found.ordered) == expected and len(expected) >= 2


def test_values_of_one_facet_are_alternatives_and_facets_combine(store, data):
    found = run(store, PROJECTS, target=["3", "6"], status="ongoing")
    expected = projects_where(data, lambda p: ((p, TSC.contributesToTarget, GBF["target/3"]) in data
                                              or (p, TSC.contributesToTarget, GBF["target/6"]) in data)
                              and (p, TSC.status, ONGOING) in data)
    assert set(found.ordered) == expected and expected


def test_facet_counts_apply_the_other_facets_only(store, data):
    found = run(store, PROJECTS, target="3", status="ongoing")
    ongoing = projects_where(data, lambda p: (p, TSC.status, ONGOING) in data)
    expected_targets = {}
    for p in ongoing:
        for t in data.objects(p, TSC.contributesToTarget):
            expected_targets[t] = expected_targets.get(t, 0) + 1
    assert {v.value: v.count for v in found.facets["target"]} == expected_targets
    with_3 = projects_where(data, lambda p: (p, TSC.contributesToTarget, GBF["target/3"]) in data)
    statuses = {}
    for p in with_3:
        for s in data.objects(p, TSC.status):
            statuses[s] = statuses.get(s, 0) + 1
    assert {v.value: v.count for v in found.facets["status"]} == statuses
    chosen = [v for v in found.facets["target"] if v.chosen]
    assert [v.value for v in chosen] == [GBF["target/3"]]


def test_year_counts_a_project_for_every_year_it_runs(store, data):
    found = run(store, PROJECTS, year="2024")
    def runs(p, year):
        start = data.value(p, SCHEMA.startDate)
        end = data.value(p, SCHEMA.endDate) or start
        return start is not None and start.toPython().year <= year <= end.toPython().year
    assert set(found.ordered) == projects_where(data, lambda p: runs(p, 2024))
    counts = {v.value: v.count for v in run(store, PROJECTS).facets["year"]}
    assert counts[2024] == len(projects_where(data, lambda p: runs(p, 2024)))
    assert counts[2021] == len(projects_where(data, lambda p: runs(p, 2021)))


@pytest.mark.parametrize("text, needle_en, needle_fr", [("coral", "coral", None), ("RÉCIFS", None, "récifs"), ("mangrove", "mangrove", "mangrove")])
def test_text_search_is_case_insensitive_in_every_language(store, data, text, needle_en, needle_fr):
    found = run(store, PROJECTS, q=text)
    def matches(p):
        texts = [o for pred in (DCTERMS.title, DCTERMS.description, DCTERMS.subject) for o in data.objects(p, pred)]
        return any(text.casefold() in str(o).casefold() for o in texts)
    expected = projects_where(data, matches)
    assert set(found.ordered) == expected and expected
    combined = run(store, PROJECTS, q=text, status="ongoing")
    assert set(combined.ordered) == {p for p in expected if (p, TSC.status, ONGOING) in data}


def test_text_is_bound_not_pasted(store):
    found = run(store, PROJECTS, q='") } } SELECT * WHERE { ?s ?p ?o } #')
    assert found.total == 0


@pytest.mark.parametrize("sort", ["title", "-title", "start", "-start", "end", "-end", "budget", "-budget"])
def test_sort_orders(store, data, sort):
    found = run(store, PROJECTS, sort=sort)
    key = {"title": lambda p: facets.fold(english(data.objects(p, DCTERMS.title))),
           "start": lambda p: data.value(p, SCHEMA.startDate), "end": lambda p: data.value(p, SCHEMA.endDate),
           "budget": lambda p: data.value(data.value(p, TSC.budget), SCHEMA.value)}[sort.lstrip("-")]
    keyed = [key(p) for p in found.ordered if key(p) is not None]
    values = [k.toPython() if isinstance(k, Literal) else k for k in keyed]
    assert values == sorted(values, reverse=sort.startswith("-"))
    assert all(key(p) is None for p in found.ordered[len(keyed):])  # items without a key come last
    assert len(found.ordered) == 15


def test_actor_facets_reach_through_offers(store, data):
    found = run(store, ACTORS, offer_target="21")
    offerers = {data.value(o, TSC.offeredBy) for o in data.subjects(TSC.contributesToTarget, GBF["target/21"])
                if (o, RDF.type, TSC.CooperationOffer) in data}
    assert set(found.ordered) == offerers and offerers
    funders = run(store, ACTORS, type="funder")
    assert set(funders.ordered) == set(data.subjects(TSC.actorType, URIRef(VOCAB + "actor-type/funder")))


def test_arranged_values_are_ordered_and_labelled(store):
    found = run(store, PROJECTS)
    top, rest = facets.arrange(PROJECTS.facet("target"), found.facets["target"], BASE)
    assert [v.key for v in top] == sorted((v.key for v in top), key=int) and not rest
    facets.name_values(PROJECTS.facet("target"), top, lambda v: "name", "yes", "no")
    assert top[0].label == f"{top[0].key}. name"
    places, _ = facets.arrange(PROJECTS.facet("place"), found.facets["place"], BASE)
    assert places[0].key == "FR"  # the most frequent first


def test_answers_are_remembered_until_the_data_version_changes(store):
    memo = StateCache()
    calls = []
    class Counting:
        def select(self, sparql, **kwargs):
            calls.append(sparql)
            return store.select(sparql, **kwargs)
    run(Counting(), PROJECTS, "v1", memo, target="3")
    first = len(calls)
    run(Counting(), PROJECTS, "v1", memo, target="3", page="1")
    assert len(calls) == first + 1  # only the value check asks again
    run(Counting(), PROJECTS, "v2", memo, target="3")
    assert len(calls) >= 2 * first + 1


def test_exports_are_streamed_chunk_by_chunk_and_read_as_the_whole_would():
    """A full export starts answering at once: rows are written chunk by chunk (web.facets.EXPORT_CHUNK items at a
    time); the streamed CSV is byte for byte the one written whole, and the streamed JSON reads the same."""
    import json

    from web.facets import export_response

    rows = [{"iri": f"https://ex.org/{n}", "title": f"=HYPERLINK({n})" if n == 3 else f"Title, {n}", "n": n}
            for n in range(1, 8)]
    columns = ("iri", "title", "n")
    whole_csv = export_response(rows, columns, "csv", "x", truncated=False, total=7, limit=10)
    streamed_csv = export_response(iter([rows[:3], rows[3:6], rows[6:]]), columns, "csv", "x", truncated=False,
                                   total=7, limit=10, count=7)
    assert streamed_csv.is_streamed and streamed_csv.headers["X-Tscgraph-Rows"] == "7"
    assert streamed_csv.get_data() == whole_csv.get_data()
    assert "'=HYPERLINK(3)" in whole_csv.get_data(as_text=True)
    pulled: list = []

    def chunks():
        for part in (rows[:3], rows[3:]):
            pulled.append(len(part))
            yield part

    pieces = export_response(chunks(), columns, "csv", "x", truncated=False, total=7, limit=10, count=7).iter_encoded()
    assert next(pieces) == b"iri,title,n\r\n" and pulled == []  # the header before any row is read
    assert next(pieces).count(b"\r\n") == 3 and pulled == [3]  # then each chunk as soon as it is written
    streamed_json = export_response(iter([rows[:4], [], rows[4:]]), columns, "json", "x", truncated=True, total=9,
                                    limit=7, count=7)
    body = json.loads(streamed_json.get_data(as_text=True))
    assert body == {"total": 9, "truncated": True, "limit": 7, "items": rows}
    assert streamed_json.headers["X-Tscgraph-Truncated"] == "true"
