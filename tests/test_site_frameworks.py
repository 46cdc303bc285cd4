"""GBF and CBD pages: the coverage view, concept pages with what is linked to them, in a real server and browser.

Counts are checked against the bundled data read independently with rdflib (data/*.ttl).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import requests
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from graph.namespaces import TSC
from tests.conftest import BASE, get_page, screenshot

GBF_TARGET = "https://w3id.org/tscgraph/vocab/gbf/target/"
CBD_ARTICLE = "https://w3id.org/tscgraph/vocab/cbd/article/"
SVG = "{http://www.w3.org/2000/svg}"


def projects_per(data: Graph, link: URIRef) -> Counter:
    return Counter(str(o) for s, o in data.subject_objects(link) if (s, RDF.type, TSC.Project) in data)


def svg_of(html: str, chart_id: str) -> ET.Element:
    """The inline SVG of a chart, parsed as XML (it must be well-formed)."""
    found = re.search(r'<figure class="chart" id="' + chart_id + r'">\s*(<svg.*?</svg>)', html, re.S)
    assert found, f"no chart {chart_id}"
    return ET.fromstring(found.group(1))


def test_coverage_view_counts_and_flags_targets_without_projects(live_server, data):
    response = get_page(live_server + "/gbf")
    assert response.status_code == 200
    html = response.text
    expected = projects_per(data, TSC.contributesToTarget)
    rows = {n: cls for cls, n in re.findall(r'<tr class="([^"]*)" data-target="(\d+)">', html)}
    assert len(rows) == 23
    flagged = {int(n) for n, cls in rows.items() if "cov-none" in cls}
    assert flagged == {n for n in range(1, 24) if not expected[GBF_TARGET + str(n)]}
    assert {16, 17, 18, 23} <= flagged
    as_json = requests.get(live_server + "/gbf", params={"format": "json"}, timeout=30).json()
    assert {t["number"]: t["project"] for t in as_json["targets"]} == {n: expected[GBF_TARGET + str(n)] for n in range(1, 24)}
    assert as_json["targets"][2]["commitment"] == sum(
        1 for s in data.subjects(TSC.contributesToTarget, URIRef(GBF_TARGET + "3"))
        if any((s, RDF.type, c) in data for c in (TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment)))
    assert "quarter of the median" in html  # the threshold is said on the page
    svg = svg_of(html, "chart-targets")
    assert svg.get("role") == "img" and svg.find(SVG + "title").text
    bars = svg.findall(f".//{SVG}a")
    assert [a.get("href") for a in bars] == [f"/vocab/gbf/target/{n}" for n in range(1, 24)]
    assert [int(a.get("data-value")) for a in bars] == [expected[GBF_TARGET + str(n)] for n in range(1, 24)]


def test_target_page_lists_linked_records(live_server, data):
    html = get_page(live_server + "/vocab/gbf/target/3").text
    projects = {str(s) for s in data.subjects(TSC.contributesToTarget, URIRef(GBF_TARGET + "3"))
                if (s, RDF.type, TSC.Project) in data}
    shown = {BASE + h.lstrip("/") for h in re.findall(r'<li><a href="(/id/project/[^"]+)"', html)}
    assert shown == projects and projects
    offers = {str(s) for s in data.subjects(TSC.contributesToTarget, URIRef(GBF_TARGET + "3"))
              if (s, RDF.type, TSC.CooperationOffer) in data}
    assert all(f'href="/{o[len(BASE):]}"' in html for o in offers)
    assert 'href="/id/commitment/snb-2030"' in html  # a national commitment aligned with the target
    assert "/vocab/gbf/indicator/3.1" in html  # headline indicator
    assert "GBF-TARGET-03" in html
    assert "/projects?target=https%3A%2F%2Fw3id.org%2Ftscgraph%2Fvocab%2Fgbf%2Ftarget%2F3" in html
    assert "Example" in html  # illustrative records are marked
    fr = get_page(live_server + "/vocab/gbf/target/3", lang="fr").text
    assert "Conserver 30 % des terres, des eaux et des mers" in fr and "Projets" in fr
    empty = get_page(live_server + "/vocab/gbf/target/16").text
    assert "No project of this clearing-house is linked to it yet." in empty


def test_goal_and_article_pages(live_server, data):
    goal = get_page(live_server + "/vocab/gbf/goal/D")
    assert goal.status_code == 200 and "/vocab/gbf/indicator/D.1" in goal.text
    # decision 15/5: A.1 serves Goal A and Target 1, linked by tsc:headlineIndicator only (issue #20)
    target_1 = get_page(live_server + "/vocab/gbf/target/1").text
    assert all(f'href="/vocab/gbf/indicator/{code}"' in target_1 for code in ("A.1", "A.2", "1.1"))
    indicator = get_page(live_server + "/vocab/gbf/indicator/A.1").text
    assert "Indicator of" in indicator
    assert 'href="/vocab/gbf/goal/A"' in indicator and 'href="/vocab/gbf/target/1"' in indicator
    article = get_page(live_server + "/vocab/cbd/article/18").text
    expected = {str(s) for s in data.subjects(TSC.implementsArticle, URIRef(CBD_ARTICLE + "18"))
                if (s, RDF.type, TSC.Project) in data}
    assert {BASE + h.lstrip("/") for h in re.findall(r'<li><a href="(/id/project/[^"]+)"', article)} == expected
    assert "Technical and Scientific Cooperation" in article
    decision = get_page(live_server + "/vocab/cbd/decision/15-8").text
    assert 'href="/id/commitment/tsc-decision-15-8"' in decision


def test_cbd_page_counts_every_article(live_server, data):
    expected = projects_per(data, TSC.implementsArticle)
    listing = requests.get(live_server + "/cbd", params={"format": "json"}, timeout=30).json()
    # the 42 articles, and Article 8(j) (numbered 8, a concept of its own: issue #20)
    assert len(listing["articles"]) == 43
    numbered = [a for a in listing["articles"] if not a["article"].endswith("/8j")]
    assert {a["number"]: a["project"] for a in numbered} == {n: expected[CBD_ARTICLE + str(n)] for n in range(1, 43)}
    svg = svg_of(get_page(live_server + "/cbd").text, "chart-articles")
    assert len(svg.findall(f".//{SVG}rect")) == sum(1 for n in [*range(1, 43), "8j"] if expected[CBD_ARTICLE + str(n)])
    every = svg_of(get_page(live_server + "/cbd", chart="all").text, "chart-articles")
    rects = every.findall(f".//{SVG}rect")
    assert len(rects) == 43 and sum("none" in r.get("class") for r in rects) == 43 - len(+expected)


# ------------------------------------------------------------------ in a browser


def test_browser_coverage_view_and_language_switch_on_a_target(page, live_server):
    page.goto(live_server + "/gbf")
    for n in (16, 17, 18, 23):
        row = page.locator(f"tr[data-target='{n}']")
        assert "cov-none" in row.get_attribute("class")
        assert row.locator(".mark-none").is_visible()
    screenshot(page, "gbf")
    page.locator("tr[data-target='21'] th a").click()
    page.wait_for_url("**/vocab/gbf/target/21")
    assert "Know" in page.locator("h1").inner_text()
    screenshot(page, "gbf-target")
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h2", has_text="Dans ce centre d'échange").is_visible()


def test_browser_article_page(page, live_server):
    page.goto(live_server + "/cbd")
    page.locator("tr[data-article='18'] th a").click()
    page.wait_for_url("**/vocab/cbd/article/18")
    assert page.locator(".kind-project li").count() > 0
    screenshot(page, "cbd-article")
