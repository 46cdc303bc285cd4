"""Knowledge pages on a real server: best practices, lessons learned and case studies, filters, each
resource's page with its projects and targets; then in a real browser."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import HTML, screenshot


def get_json(live_server: str, path: str, **params) -> dict:
    r = requests.get(live_server + path, params={"format": "json", **params}, headers=HTML, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_knowledge_listing(live_server):
    r = requests.get(live_server + "/knowledge", headers=HTML, timeout=30)
    assert r.status_code == 200
    data = get_json(live_server, "/knowledge")
    assert data["total"] == 4 and {i["kind"] for i in data["items"]} == {"best-practice", "lesson-learned", "case-study"}
    for item in data["items"]:
        assert item["example"] and item["projects"] and item["targets"]
        assert item["projects"][0].split("/id/", 1)[1] in r.text  # linked to its project
    assert [i["issued"] for i in data["items"]] == sorted((i["issued"] for i in data["items"]), reverse=True)


@pytest.mark.parametrize(("params", "expected"), [
    ({"kind": "case-study"}, 2), ({"kind": "best-practice"}, 1), ({"target": "2"}, 2),
    ({"kind": "lesson-learned", "target": "6"}, 1), ({"kind": "lesson-learned", "target": "2"}, 0),
])
def test_knowledge_filters(live_server, params, expected):
    data = get_json(live_server, "/knowledge", **params)
    assert data["total"] == expected == len(data["items"])


@pytest.mark.parametrize("params", [{"kind": "news"}, {"target": "99"}, {"page": "-1"}])
def test_knowledge_bad_filters_are_400(live_server, params):
    assert requests.get(live_server + "/knowledge", params=params, headers=HTML, timeout=30).status_code == 400


def test_resource_page(live_server):
    text = requests.get(live_server + "/id/resource/nc-dry-forest-case", headers=HTML, timeout=30).text
    assert "Example: restoring dry forest fragments with community nurseries in New Caledonia" in text
    assert 'href="/id/project/example-nc-dry-forest-restoration"' in text
    assert 'href="/vocab/gbf/target/8"' in text and 'href="/id/actor/example-agricultural-research-centre"' in text
    assert "Case study" in text and "an illustrative record, not a real one." in text
    fr = requests.get(live_server + "/id/resource/nc-dry-forest-case", params={"lang": "fr"}, headers=HTML, timeout=30).text
    assert "Étude de cas" in fr and "Issue du projet" in fr


def test_knowledge_in_a_browser(page, live_server):
    page.goto(live_server + "/knowledge")
    expect(page.locator("li.resource-item")).to_have_count(4)
    page.get_by_label("Kind").select_option("case-study")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*kind=case-study.*"))
    expect(page.locator("li.resource-item")).to_have_count(2)
    screenshot(page, "knowledge")
    page.locator("li.resource-item h3 a", has_text="New Caledonia").click()
    page.wait_for_url("**/id/resource/nc-dry-forest-case")
    expect(page.locator("h1")).to_contain_text("dry forest")
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    expect(page.locator("h1")).to_contain_text("forêt sèche")
    page.locator("dl.facts a[href^='/id/project/']").first.click()
    page.wait_for_url("**/id/project/**")
