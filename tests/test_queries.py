"""Every named query parses, documents itself, and answers its hand-checked expected result.

The fixture (``tests/data/queries/fixture.ttl``) is small enough to check each expected file
by hand; its header says what it holds. Each query also has its expected answer over the bundled
data (``data/*.ttl`` with the default base IRI and default parameters) in ``expected-bundled/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from graph.queries import QueryCatalogueError, load_catalogue, parse_query_file
from graph.results import to_csv
from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from graph.validation import read_turtle_dir
from tests.conftest import BASE, TEST_DATA, summarised

QUERIES = ROOT / "queries"
EXPECTED = TEST_DATA / "queries" / "expected"
EXPECTED_BUNDLED = TEST_DATA / "queries" / "expected-bundled"
CATALOGUE = load_catalogue(QUERIES)
#: Parameters for the fixture where a default does not fit it (the default actor, OFB, is bundled data).
FIXTURE_PARAMS = {"partner-network": {"actor": BASE + "id/actor/a4"}, "offers-for-request": {"request": BASE + "id/request/r1"}}


@pytest.fixture(scope="module")
def fixture_store():
    store = OxigraphStore(None)
    store.add_graphs(
        {
            BASE + "graph/ontology": read_turtle_dir(ROOT / "ontology"),
            BASE + "graph/local": Graph().parse(TEST_DATA / "queries" / "fixture.ttl", publicID=BASE),
        }
    )
    summarised(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def bundled_store():
    """The ontology and the bundled data, as ``tscgraph setup`` loads them with the default base IRI."""
    local = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        local.parse(path, format="turtle", publicID=BASE)
    store = OxigraphStore(None)
    store.add_graphs({BASE + "graph/ontology": read_turtle_dir(ROOT / "ontology"), BASE + "graph/local": local})
    summarised(store)
    yield store
    store.close()


def answer_csv(store: OxigraphStore, name: str, values: dict[str, str] | None = None) -> str:
    query = CATALOGUE[name]
    result = store.query(query.text, bindings=query.bindings(values))
    return to_csv(result.variables, result.rows).replace("\r\n", "\n")


def test_every_query_has_an_expected_result_and_vice_versa():
    queries = {p.stem for p in QUERIES.glob("*.rq")}
    expected = {p.stem for p in EXPECTED.glob("*.csv")}
    assert queries == expected
    assert len(CATALOGUE) == len(queries) >= 11
    assert set(FIXTURE_PARAMS) <= queries


def test_every_query_has_an_expected_bundled_result_and_vice_versa():
    queries = {p.stem for p in QUERIES.glob("*.rq")}
    assert {p.stem for p in EXPECTED_BUNDLED.glob("*.csv")} == queries


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_answers_its_expected_result(name, fixture_store):
    expected = (EXPECTED / f"{name}.csv").read_text(encoding="utf-8").replace("\r\n", "\n")
    assert answer_csv(fixture_store, name, FIXTURE_PARAMS.get(name)) == expected


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_answers_its_expected_result_on_the_bundled_data(name, bundled_store):
    """Default parameters (the partner network's default actor is the bundled OFB)."""
    expected = (EXPECTED_BUNDLED / f"{name}.csv").read_text(encoding="utf-8").replace("\r\n", "\n")
    assert answer_csv(bundled_store, name) == expected


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_is_documented(name):
    query = CATALOGUE[name]
    assert query.summary and len(query.description) > 40, "summary and a real description"
    assert query.tags
    for param in query.params:
        assert param.description and param.default is not None


def test_language_parameter_changes_the_labels(fixture_store):
    query = CATALOGUE["projects-per-gbf-target"]
    rows = fixture_store.query(query.text, bindings=query.bindings({"lang": "fr"})).bindings()
    assert {r["label"].language for r in rows} == {"fr"}
    assert len(rows) == 23


@pytest.mark.parametrize("name", sorted(n for n, q in CATALOGUE.items() if any(p.name == "lang" for p in q.params)))
def test_every_language_tagged_answer_follows_the_lang_parameter(name, fixture_store):
    query = CATALOGUE[name]
    values = {**FIXTURE_PARAMS.get(name, {}), "lang": "fr"}
    rows = list(fixture_store.query(query.text, bindings=query.bindings(values)).rows)
    tagged = [t for row in rows for t in row if isinstance(t, Literal) and t.language]
    assert tagged and {t.language for t in tagged} == {"fr"}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_no_query_uses_not_exists(name):
    """Oxigraph evaluates FILTER NOT EXISTS in written order (>290 s at 1M triples): MINUS instead."""
    body = "\n".join(line for line in CATALOGUE[name].text.splitlines() if not line.lstrip().startswith("#"))
    assert "NOT EXISTS" not in body.upper()


def test_partnerships_are_read_from_this_node_s_summary_graph_only():
    """The ranking reads the counts the summary keeps (pairing every project's actors at each request took 0.7-0.9 s
    at 1M triples), from this node's summary graph: counts a harvested graph states are not read; on another base
    IRI, the query names that deployment's summary graph."""
    body = CATALOGUE["actors-by-partnerships"].text.partition("SELECT")[2]
    assert re.search(r"GRAPH <https://chm\.example\.org/graph/summary> \{\s+\?summary tsc:partnerCount", body)
    assert "tsc:partner " not in body and not re.search(r"\?project\b", body)
    rebased = load_catalogue(QUERIES, "https://chm.example.net/node/")["actors-by-partnerships"].text
    assert "GRAPH <https://chm.example.net/node/graph/summary>" in rebased and "chm.example.org" not in rebased


def test_partner_network_reads_the_partners_of_the_given_actors_projects_only():
    """The given actor's projects are one sub-SELECT; the partners are read from those projects (one lookup each:
    70 ms for the busiest actor at 1M triples), never from a sub-SELECT of every project's actors (a scan)."""
    body = CATALOGUE["partner-network"].text
    assert len(re.findall(r"\{ SELECT \?actor \?project\b", body)) == 1
    assert not re.search(r"\{ SELECT \?partner \?project\b", body)
    assert "?project ?partnerRole ?partner ." in body


@pytest.mark.parametrize("name", sorted(n for n, q in CATALOGUE.items() if not any(p.datatype == "iri" for p in q.params)))
def test_a_class_and_a_property_of_every_record_are_joined_as_two_sub_selects(name):
    """Oxigraph joins two triple patterns of one star by looking the second up once per match of the first (about
    20 µs each); two sub-SELECTs are scanned once and hash-joined (projects per target at 1M triples: 360 → 60 ms).
    No canned query over every project writes a typed project's property as one star (those about one given record,
    whose star starts from it, may)."""
    body = "\n".join(line for line in CATALOGUE[name].text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\?project a tsc:Project ;", body), "?project a tsc:Project ; … is a star: use sub-SELECTs"
    assert not re.search(r"\?project \S+ \S+ ;\s+a tsc:Project", body), "a star over every project: use sub-SELECTs"


def test_partner_network_is_about_the_given_actor(fixture_store):
    query = CATALOGUE["partner-network"]
    rows = fixture_store.query(query.text, bindings=query.bindings({"actor": BASE + "id/actor/a3"})).bindings()
    assert [(str(r["partner"]), int(r["sharedProjects"]), str(r["actorRoles"])) for r in rows] == [
        (BASE + "id/actor/a4", 1, "partner")
    ]
    with pytest.raises(QueryCatalogueError):
        query.bindings({"actor": "not an iri"})


def test_gap_query_keeps_the_minus_form_and_agrees_with_not_exists(fixture_store):
    """Regression case: FILTER NOT EXISTS took >290 s at 1M triples in Oxigraph, MINUS 0.1 s."""
    query = CATALOGUE["targets-without-projects"]
    body = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("#"))
    assert "NOT EXISTS" not in body.upper() and "MINUS" in body
    with_not_exists = query.text.replace("MINUS {", "FILTER NOT EXISTS {")
    assert with_not_exists != query.text
    minus_rows = fixture_store.query(query.text, bindings=query.bindings()).bindings()
    exists_rows = fixture_store.query(with_not_exists, bindings=query.bindings()).bindings()
    assert minus_rows == exists_rows


def test_matchmaking_uses_one_sub_select_per_side():
    """A join of offers and requests on two variables ran >60 s at 1M triples; sub-SELECTs 44 ms."""
    text = CATALOGUE["offers-for-request"].text
    for shared in ("target", "modality", "language"):
        requests_side, offers_side = text.count(f"SELECT ?request ?{shared} "), text.count(f"SELECT ?offer ?{shared} ")
        assert requests_side >= 1 and requests_side == offers_side, shared
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert not any("?request" in line and "?offer" in line and "SELECT" not in line and "GROUP" not in line
                   and "ORDER" not in line for line in body.splitlines()), "requests and offers joined outside sub-SELECTs"


def test_header_without_summary_is_refused(tmp_path: Path):
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(QueryCatalogueError, match="summary"):
        parse_query_file(bad)


def test_parameter_values_are_checked():
    query = CATALOGUE["projects-per-gbf-target"]
    with pytest.raises(QueryCatalogueError):
        query.bindings({"lang": "en) } DROP ALL #"})
    with pytest.raises(QueryCatalogueError):
        query.bindings({"unknown": "x"})


#: The rankings: paged, with a documented default page.
RANKINGS = ("actors-by-partnerships", "offers-for-request", "partner-network")


@pytest.mark.parametrize("name", RANKINGS)
def test_rankings_are_paged_with_a_documented_default(name):
    query = CATALOGUE[name]
    assert query.paging is not None and query.paging.default == 100
    assert query.text.rstrip().endswith("LIMIT 100"), "the file run as it is answers the first page"
    assert "first 100" in query.description and "limit and offset" in query.description
    assert [p.name for p in query.parameters][-2:] == ["limit", "offset"]


def test_only_rankings_are_paged():
    assert {n for n, q in CATALOGUE.items() if q.paging} == set(RANKINGS)


def test_pages_are_slices_of_the_whole_ranking(fixture_store):
    query = CATALOGUE["actors-by-partnerships"]
    bindings = query.bindings()
    whole = list(fixture_store.query(query.text_for({"limit": "10000"}), bindings=bindings).rows)
    assert len(whole) >= 4
    for limit, offset in ((1, 0), (2, 1), (3, 2), (100, len(whole) - 1)):
        page = list(fixture_store.query(query.text_for({"limit": str(limit), "offset": str(offset)}), bindings=bindings).rows)
        assert page == whole[offset:offset + limit]
    assert list(fixture_store.query(query.text, bindings=bindings).rows) == whole[:100]


@pytest.mark.parametrize("values", [{"limit": "0"}, {"limit": "10001"}, {"limit": "1 OFFSET 5"}, {"offset": "-1"},
                                    {"limit": "ten"}, {"offset": "1.5"}])
def test_page_parameters_are_checked(values):
    with pytest.raises(QueryCatalogueError):
        CATALOGUE["actors-by-partnerships"].text_for(values)


def test_page_parameters_are_not_bound_and_unknown_to_unpaged_queries():
    assert "limit" not in CATALOGUE["partner-network"].bindings({"limit": "5", "offset": "10"})
    with pytest.raises(QueryCatalogueError):
        CATALOGUE["projects-per-gbf-target"].bindings({"limit": "5"})
    assert CATALOGUE["projects-per-gbf-target"].text_for({"limit": "5"}) == CATALOGUE["projects-per-gbf-target"].text


def test_a_paging_header_needs_its_first_page_at_the_end(tmp_path: Path):
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ summary: x\n#+ paging: 100 | 1000\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryCatalogueError, match="LIMIT 100"):
        parse_query_file(bad)
    bad.write_text("#+ summary: x\n#+ paging: 100 | 1000\nSELECT * WHERE { ?s ?p ?o } LIMIT 50\n")
    with pytest.raises(QueryCatalogueError, match="LIMIT 100"):
        parse_query_file(bad)
