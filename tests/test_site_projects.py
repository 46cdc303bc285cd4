"""The projects list and project pages on a real server (bundled data), with requests and a real browser."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

from graph.namespaces import GBF, TSC, VOCAB
from tests.conftest import BASE, get_page, screenshot


def export(live_server: str, fmt: str, **params) -> requests.Response:
    response = requests.get(live_server + "/projects", params={**params, "format": fmt}, timeout=30)
    assert response.status_code == 200, response.text
    return response


def listed(live_server: str, **params) -> set[str]:
    return {item["iri"] for item in export(live_server, "json", **params).json()["items"]}


def projects(data: Graph, test=lambda p: True) -> set[str]:
    return {str(p) for p in data.subjects(RDF.type, TSC.Project) if test(p)}


def test_projects_page_lists_every_project_with_facets(live_server, data):
    response = get_page(live_server + "/projects")
    assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
    assert f"{len(projects(data))} projects" in response.text
    for label in ("GBF target", "CBD article", "Territory or country", "Modality", "Funder", "Status", "Year"):
        assert f">{label}</h3>" in response.text
    assert 'href="/id/project/biodiversa-plus"' in response.text
    assert "A project counts in every year from its start to its end" in response.text


def test_target_facet_gives_exactly_the_projects_of_that_target(live_server, data):
    expected = projects(data, lambda p: (p, TSC.contributesToTarget, GBF["target/3"]) in data)
    assert listed(live_server, target="3") == expected and len(expected) == 2
    assert listed(live_server, target=GBF + "target/3") == expected  # the full IRI works too
    page = get_page(live_server + "/projects", target="3")
    assert page.text.count('class="card"') == len(expected)
    assert 'class="chip"' in page.text and "Clear all" in page.text


def test_facets_combine_and_values_are_alternatives(live_server, data):
    ongoing = URIRef(VOCAB + "status/ongoing")
    expected = projects(data, lambda p: (p, TSC.status, ongoing) in data and (
        (p, DCTERMS.spatial, URIRef(VOCAB + "place/FR")) in data or (p, DCTERMS.spatial, URIRef(VOCAB + "place/YT")) in data))
    response = requests.get(live_server + "/projects", params=[("status", "ongoing"), ("place", "FR"), ("place", "YT"), ("format", "json")], timeout=30)
    assert {i["iri"] for i in response.json()["items"]} == expected and expected


def test_funder_facet_takes_the_actors_slug(live_server, data):
    expected = projects(data, lambda p: (p, TSC.funder, URIRef(BASE + "id/actor/example-research-agency")) in data)
    assert listed(live_server, funder="example-research-agency") == expected and len(expected) == 3


@pytest.mark.parametrize("text", ["récifs coralliens", "coral reef", "MANGROVE"])
def test_text_search_in_french_and_english(live_server, data, text):
    def matches(p):
        return any(text.casefold() in str(o).casefold()
                   for pred in (DCTERMS.title, DCTERMS.description, DCTERMS.subject) for o in data.objects(p, pred))
    expected = projects(data, matches)
    assert listed(live_server, q=text) == expected and expected


def test_sort_by_start_date_latest_first(live_server):
    items = export(live_server, "json", sort="-start").json()["items"]
    starts = [i["start"] for i in items if i["start"]]
    assert starts == sorted(starts, reverse=True) and len(starts) >= 10
    assert all(i["start"] is None for i in items[len(starts):])


def test_pagination_boundary(tmp_path_factory):
    from tests.conftest import start_server, stop_server

    server = start_server(tmp_path_factory.mktemp("paged"), page_size="7")
    try:
        first = get_page(server.url + "/projects")
        assert first.text.count('class="card"') == 7 and "Page 1 of 3" in first.text and 'rel="next"' in first.text
        last = get_page(server.url + "/projects", page="3")
        assert last.text.count('class="card"') == 1 and 'rel="next"' not in last.text and 'rel="prev"' in last.text
        assert get_page(server.url + "/projects", page="4").status_code == 400
        everything = [i["iri"] for i in requests.get(server.url + "/projects?format=json", timeout=30).json()["items"]]
        pages = []
        for n in (1, 2, 3):
            text = get_page(server.url + "/projects", page=str(n)).text
            pages += [iri for iri in everything if f'href="{iri[len(BASE) - 1:]}"' in text]
        assert sorted(pages) == sorted(everything) and len(everything) == 15
    finally:
        stop_server(server)


def test_csv_and_json_exports_hold_the_whole_selection(live_server, data):
    csv_response = export(live_server, "csv", target="21")
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="projects.csv"' == csv_response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    json_response = export(live_server, "json", target="21")
    assert json_response.headers["Content-Disposition"] == 'attachment; filename="projects.json"'
    body = json_response.json()
    expected = projects(data, lambda p: (p, TSC.contributesToTarget, GBF["target/21"]) in data)
    assert {r["iri"] for r in rows} == {i["iri"] for i in body["items"]} == expected
    assert body["total"] == len(expected) and body["truncated"] is False
    biodiversa = next(r for r in rows if r["iri"].endswith("/biodiversa-plus"))
    assert biodiversa["lead"] == BASE + "id/actor/biodiversa-plus-consortium" and biodiversa["start"] == "2021-10-01"
    # "more than EUR 800 million" is a lower bound (schema:minValue), not an amount the export may sum or sort
    assert biodiversa["budget"] == "" and biodiversa["currency"] == "EUR"
    assert GBF + "target/3" in biodiversa["targets"].split()
    page = get_page(live_server + "/projects", target="21").text
    assert 'href="/projects?target=21&amp;format=csv"' in page and 'href="/projects?target=21&amp;format=json"' in page


def test_export_says_when_it_is_cut(endpoint):
    """The endpoint fixture serves at most 100 rows; the bundled data have 15 projects: not cut."""
    response = requests.get(endpoint.url + "/projects?format=json", timeout=30)
    assert response.json()["limit"] == 100 and "X-Tscgraph-Truncated" not in response.headers


@pytest.mark.parametrize("params, message", [
    ({"target": "99"}, "unknown value"), ({"sort": "colour"}, "sort must be one of"), ({"page": "0"}, "page must be"),
    ({"status": "nope"}, "unknown value"), ({"year": "soon"}, "year must be"), ({"format": "xlsx"}, "format must be"),
    ({"flavour": "x"}, "unknown parameter"),
])
def test_bad_parameters_are_400_with_a_message(live_server, params, message):
    response = get_page(live_server + "/projects", **params)
    assert response.status_code == 400 and message in response.text


def test_french_labels(live_server):
    page = get_page(live_server + "/projects", lang="fr", target="3").text
    assert "Conserver 30 % des terres, des eaux et des mers" in page
    assert ">Statut</h3>" in page and "Affiner" in page and "projets" in page
    assert "Partenariat" in page or "partenariat" in page  # Biodiversa+'s French title


def test_project_page(live_server, data):
    response = get_page(live_server + "/id/project/example-wio-coral-reef-training")
    assert response.status_code == 200
    text = response.text
    assert "Example: coral reef monitoring training" in text and 'class="example-badge"' in text
    for path in ("/id/actor/example-marine-institute", "/id/actor/example-development-research-institute",
                 "/id/actor/example-development-agency", "/vocab/gbf/target/3", "/vocab/cbd/article/12",
                 "/id/commitment/example-nt-coral-reefs"):
        assert f'href="{path}"' in text, path
    assert "€450,000.00" in text and "March 1, 2024" in text
    real = get_page(live_server + "/id/project/biodiversa-plus").text
    assert 'class="example-badge"' not in real and "https://professionnels.ofb.fr/" in real
    french = get_page(live_server + "/id/project/biodiversa-plus", lang="fr").text
    assert "Biodiversa+, le partenariat européen pour la biodiversité" in french and "1 octobre 2021" in french


# ------------------------------------------------------------------ in a browser


def test_browse_filter_switch_language_follow_and_download(page, live_server):
    page.goto(live_server + "/projects")
    cards = page.locator("ol.cards > li")
    assert cards.count() == 15
    screenshot(page, "projects")
    page.locator("section[data-facet=target] a.facet-value", has_text="3. Conserve 30%").click()
    page.wait_for_url("**/projects?target=3")
    assert cards.count() == 2
    assert page.locator("ul.chips a.chip").count() == 1
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#results-heading").inner_text() == "2 projets"
    with page.expect_download() as download_info:
        page.locator("p.exports a", has_text="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "projects.csv"
    with open(download.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(r["title"].startswith(("Exemple", "Biodiversa")) for r in rows)
    page.locator("ol.cards a[href='/id/project/biodiversa-plus']").click()
    page.wait_for_url("**/id/project/biodiversa-plus")
    assert "Biodiversa+" in page.locator("h1").inner_text()
    screenshot(page, "project")
    page.locator("dl.facts a", has_text="Office français de la biodiversité").click()
    page.wait_for_url("**/id/actor/ofb")
    assert "Office français de la biodiversité" in page.locator("h1").inner_text()


def test_search_and_sort_form(page, live_server):
    page.goto(live_server + "/projects")
    page.get_by_label("Search projects").fill("récifs")
    page.get_by_label("Sort by").select_option("-start")
    page.locator("form.list-search button[type=submit]").click()
    page.wait_for_url("**q=*")
    assert page.locator("ol.cards > li").count() == 1
    assert page.locator("ul.chips a.chip").first.inner_text().startswith("Text:")
