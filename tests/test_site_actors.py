"""The actors directory and actor pages on a real server (bundled data), with requests and a real browser."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from graph.namespaces import GBF, TSC, VOCAB
from tests.conftest import BASE, get_page, screenshot
from web.facets import fold


def listed(live_server: str, **params) -> set[str]:
    response = requests.get(live_server + "/actors", params={**params, "format": "json"}, timeout=30)
    assert response.status_code == 200, response.text
    return {item["iri"] for item in response.json()["items"]}


def actors(data: Graph, test=lambda a: True) -> set[str]:
    return {str(a) for a in data.subjects(RDF.type, TSC.Actor) if test(a)}


def test_directory_lists_every_actor_by_name(live_server, data):
    response = get_page(live_server + "/actors")
    assert response.status_code == 200 and f"{len(actors(data))} actors" in response.text
    for label in ("Type of actor", "Territory or country", "BioBridge member", "Expertise offered: GBF target"):
        assert f">{label}</h3>" in response.text
    items = requests.get(live_server + "/actors?format=json", timeout=30).json()["items"]
    names = [fold(i["name"]) for i in items]
    assert len(items) == len(actors(data)) and names == sorted(names)


def test_type_facet_and_expertise_offered(live_server, data):
    funder = URIRef(VOCAB + "actor-type/funder")
    assert listed(live_server, type="funder") == actors(data, lambda a: (a, TSC.actorType, funder) in data)
    offerers = {str(data.value(o, TSC.offeredBy)) for o in data.subjects(RDF.type, TSC.CooperationOffer)
                if (o, TSC.modality, URIRef(VOCAB + "modality/training")) in data}
    assert listed(live_server, offer_modality="training") == offerers and offerers
    t21 = {str(data.value(o, TSC.offeredBy)) for o in data.subjects(TSC.contributesToTarget, GBF["target/21"])
           if (o, RDF.type, TSC.CooperationOffer) in data}
    assert listed(live_server, offer_target="21") == t21


def test_search_names_and_acronyms(live_server):
    assert listed(live_server, q="OFB") >= {BASE + "id/actor/ofb"}
    assert BASE + "id/actor/mnhn" in listed(live_server, q="muséum")


def test_export_csv(live_server, data):
    response = requests.get(live_server + "/actors?type=funder&format=csv", timeout=30)
    assert response.headers["Content-Disposition"] == 'attachment; filename="actors.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["iri"] for r in rows} == listed(live_server, type="funder")


@pytest.mark.parametrize("params", [{"type": "wizard"}, {"biobridge": "maybe"}, {"sort": "-title"}, {"page": "-1"}])
def test_bad_parameters_are_400(live_server, params):
    assert get_page(live_server + "/actors", **params).status_code == 400


def test_actor_page_with_projects_partners_and_offers(live_server, data):
    """An (illustrative) actor with projects in several roles, partners and an offer; examples name only
    illustrative actors (issue #20), so the richest actor page of the bundled data is an example's."""
    text = get_page(live_server + "/id/actor/example-biodiversity-agency").text
    assert "Example: national biodiversity agency" in text
    roles = {TSC.leadOrganisation, TSC.partner, TSC.funder}
    agency = URIRef(BASE + "id/actor/example-biodiversity-agency")
    mine = {p for p in data.subjects(RDF.type, TSC.Project) if any((p, r, agency) in data for r in roles)}
    assert f"Projects <span class=\"count\">({len(mine)})</span>" in text
    for p in mine:
        assert f'href="{str(p)[len(BASE) - 1:]}"' in text
    # partners: the example development research institute shares two projects (coral reefs, French Guiana)
    institute = URIRef(BASE + "id/actor/example-development-research-institute")
    shared = {p for p in mine if any((p, r, institute) in data for r in roles)}
    row = re.search(r'<tr><td><a href="/id/actor/example-development-research-institute">[^<]+</a></td><td class="num">(\d+)</td></tr>', text)
    assert row and int(row.group(1)) == len(shared) == 2
    assert 'href="/id/offer/island-invasive-species"' in text
    assert 'href="/projects?actor=example-biodiversity-agency"' in text
    assert listed_projects(live_server, "example-biodiversity-agency") == {str(p) for p in mine}


def listed_projects(live_server, slug):
    return {i["iri"] for i in requests.get(live_server + f"/projects?actor={slug}&format=json", timeout=30).json()["items"]}


def test_example_actor_and_requests(live_server):
    text = get_page(live_server + "/id/actor/example-pacific-ngo").text
    assert 'class="example-badge"' in text and 'href="/id/request/' in text


def test_french_actor_page(live_server):
    text = get_page(live_server + "/id/actor/mnhn", lang="fr").text
    assert "Muséum national d" in text and "Projets partagés" in text and "Chef de file" in text


def test_directory_and_actor_page_in_a_browser(page, live_server, data):
    page.goto(live_server + "/actors")
    assert page.locator("ol.cards > li").count() == len(actors(data))
    screenshot(page, "actors")
    page.locator("section[data-facet=type] a.facet-value", has_text="Funder").click()
    page.wait_for_url("**/actors?type=funder")
    assert 0 < page.locator("ol.cards > li").count() < len(actors(data))
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("h1").inner_text() == "Acteurs"
    with page.expect_download() as download_info:
        page.locator("p.exports a", has_text="JSON").click()
    assert download_info.value.suggested_filename == "actors.json"
    page.goto(live_server + "/id/actor/ofb")
    screenshot(page, "actor")
    page.locator("table.roles a").first.click()
    page.wait_for_url("**/id/project/**")
    assert page.locator("h1").inner_text()
