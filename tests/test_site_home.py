"""The home page: figures equal to what the data hold, real SVG charts whose bars lead to the targets,
the latest additions from the record log, the dataset's JSON-LD; and the path home → bar → target → project."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import requests
from rdflib import Graph
from rdflib.namespace import DCTERMS, RDF

from graph.namespaces import TSC
from tests.conftest import BASE, bundled_data, screenshot

SVG = "{http://www.w3.org/2000/svg}"


def instances(g: Graph, *classes) -> int:
    return len({s for c in classes for s in g.subjects(RDF.type, c)})


def test_figures_are_the_counts_of_the_data(live_server):
    g = bundled_data()
    html = requests.get(live_server + "/", headers={"Accept": "text/html"}, timeout=30).text
    figures = {k: v for k, v in re.findall(r'<strong data-figure="(\w+)">([^<]+)</strong>', html)}
    covered = {o for s, o in g.subject_objects(TSC.contributesToTarget) if (s, RDF.type, TSC.Project) in g}
    assert figures == {
        "actors": str(instances(g, TSC.Actor)),
        "projects": str(instances(g, TSC.Project)),
        "offers": str(instances(g, TSC.CooperationOffer)),
        "requests": str(instances(g, TSC.CooperationRequest)),
        "commitments": str(instances(g, TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment)),
        "knowledge": str(instances(g, TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy)),
        "places": str(len(set(g.objects(None, DCTERMS.spatial)))),
        "targets_covered": f"{len(covered)} of 23",
    }
    # the same through the SPARQL endpoint, as an analyst would check it
    sparql = requests.get(live_server + "/sparql", timeout=30, headers={"Accept": "application/sparql-results+json"}, params={
        "query": "PREFIX tsc: <https://w3id.org/tscgraph/ontology#> SELECT (COUNT(?p) AS ?n) WHERE { ?p a tsc:Project }"})
    assert sparql.json()["results"]["bindings"][0]["n"]["value"] == figures["projects"]


def test_charts_are_accessible_svg_with_a_bar_per_target(live_server):
    html = requests.get(live_server + "/", headers={"Accept": "text/html"}, timeout=30).text
    svg_text = re.search(r'<figure class="chart" id="chart-targets">\s*(<svg.*?</svg>)', html, re.S).group(1)
    svg = ET.fromstring(svg_text)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-targets-title chart-targets-desc"
    assert svg.find(SVG + "title").text == "Projects per GBF target" and svg.find(SVG + "desc").text
    rects = svg.findall(f".//{SVG}rect")
    assert len(rects) == 23
    zero = [r for r in rects if "none" in r.get("class")]
    assert len(zero) >= 4 and all(float(r.get("height")) > 0 for r in zero)  # zero bars stay visible
    assert re.search(r"<summary>The figures as a table</summary>", html)  # the same numbers as a table
    assert html.count('href="/vocab/gbf/target/3"') >= 2  # bar and table row
    articles = ET.fromstring(re.search(r'id="chart-articles">\s*(<svg.*?</svg>)', html, re.S).group(1))
    assert articles.findall(f".//{SVG}a") and all(a.get("href").startswith("/vocab/cbd/article/")
                                                  for a in articles.findall(f".//{SVG}a"))
    assert "cdn" not in html.lower() and "<script src" not in html  # renders offline


def test_latest_additions_and_dataset_jsonld(live_server):
    response = requests.get(live_server + "/", params={"format": "json"}, timeout=30).json()
    latest = response["latest"]
    assert len(latest) == 10 and all(e["classes"] and e["accepted"] for e in latest)
    assert all(e["record"].startswith(BASE + "id/") for e in latest)
    html = requests.get(live_server + "/", headers={"Accept": "text/html"}, timeout=30).text
    items = re.search(r'<ol class="latest">(.*?)</ol>', html, re.S).group(1)
    assert items.count("<li>") == 10 and "<time datetime=" in items
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "Dataset"
    fr = requests.get(live_server + "/", params={"lang": "fr"}, headers={"Accept": "text/html"}, timeout=30).text
    assert "Derniers ajouts" in fr and "Projets par cible du Cadre mondial" in fr


def test_a_new_record_is_among_the_latest_additions_at_once(writable_server):
    from tests.conftest import TOKEN

    update = """PREFIX tsc: <https://w3id.org/tscgraph/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
    INSERT DATA { <https://chm.example.org/id/project/example-just-added> a tsc:Project ;
      dcterms:title "Example: just added"@en ; tsc:leadOrganisation <https://chm.example.org/id/actor/ofb> ;
      tsc:contributesToTarget <https://w3id.org/tscgraph/vocab/gbf/target/16> }"""
    before = requests.get(writable_server.url + "/", params={"format": "json"}, timeout=30).json()
    response = requests.post(writable_server.url + "/update", data={"update": update},
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert response.status_code in (200, 204), response.text
    after = requests.get(writable_server.url + "/", params={"format": "json"}, timeout=30).json()
    assert after["latest"][0]["record"] == BASE + "id/project/example-just-added"
    assert after["figures"]["projects"] == before["figures"]["projects"] + 1
    target16 = "https://w3id.org/tscgraph/vocab/gbf/target/16"
    assert after["projects_per_target"][target16] == before["projects_per_target"][target16] + 1


def test_browser_home_bar_to_target_to_project(page, live_server):
    page.goto(live_server + "/")
    assert page.locator("svg[role=img] title").first.text_content() == "Projects per GBF target"
    screenshot(page, "home")
    page.locator("#chart-targets svg a[href='/vocab/gbf/target/20']").click()
    page.wait_for_url("**/vocab/gbf/target/20")
    assert "20" in page.locator("h1").inner_text()
    link = page.locator(".kind-project li a").first
    target = link.get_attribute("href")
    link.click()
    page.wait_for_url("**" + target)
    assert page.locator("h1").inner_text()
