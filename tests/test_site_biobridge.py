"""BioBridge pages on a real server: the listing and its filters, each offer's and request's page with its
ranked suggestions and their reasons (English and French), bad filters; then in a real browser."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import BASE, HTML, screenshot

REQUESTS = ("wio-coral-reef-training", "pacific-invasive-species", "west-africa-data", "mayotte-mangroves",
            "andean-biosafety-lab")


def get_json(live_server: str, path: str, **params) -> dict:
    r = requests.get(live_server + path, params={"format": "json", **params}, headers=HTML, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def test_listing_shows_offers_and_requests(live_server):
    r = requests.get(live_server + "/biobridge", headers=HTML, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Language"] == "en"
    assert "Bio-Bridge Initiative" in r.text and "Republic of Korea" in r.text
    data = get_json(live_server, "/biobridge")
    assert data["total"] == 11
    assert {i["kind"] for i in data["items"]} == {"offer", "request"}
    assert all(i["example"] for i in data["items"]) and r.text.count('class="example-badge"') == 11
    newest = data["items"][0]
    assert slug(newest["iri"]) == "andean-biosafety-lab" and newest["created"] == "2025-08-19"
    assert 'href="/id/actor/example-biodiversity-agency"' in r.text  # who, linked (examples name example actors)


@pytest.mark.parametrize(("params", "expected"), [
    ({"kind": "offer"}, 6),
    ({"kind": "request", "status": "open"}, 4),
    ({"status": "matched"}, 2),
    ({"target": "21"}, 5),
    ({"modality": "twinning"}, 1),
    ({"place": "FR"}, 4),  # offers and requests in French overseas territories count for France
    ({"place": "YT", "kind": "request"}, 1),
    ({"target": "17", "modality": "twinning"}, 0),
])
def test_listing_filters(live_server, params, expected):
    data = get_json(live_server, "/biobridge", **params)
    assert data["total"] == expected == len(data["items"])
    assert data["filters"] == params


@pytest.mark.parametrize("params", [
    {"kind": "project"}, {"status": "pending"}, {"target": "24"}, {"target": "x"}, {"modality": "dancing"},
    {"place": "ZZ"}, {"page": "0"}, {"page": "two"},
])
def test_bad_filter_values_are_400(live_server, params):
    r = requests.get(live_server + "/biobridge", params=params, headers=HTML, timeout=30)
    assert r.status_code == 400
    assert "Unknown" in r.text or "page number" in r.text


def test_bad_filter_message_in_french(live_server):
    r = requests.get(live_server + "/biobridge", params={"status": "pending", "lang": "fr"}, headers=HTML, timeout=30)
    assert r.status_code == 400 and "Statut inconnu" in r.text


@pytest.mark.parametrize("request_slug", REQUESTS)
def test_each_request_page_shows_its_suggestions_with_reasons(live_server, request_slug):
    page = requests.get(live_server + "/id/request/" + request_slug, headers=HTML, timeout=30)
    assert page.status_code == 200
    assert "Offers that could meet this request" in page.text
    data = get_json(live_server, "/id/request/" + request_slug)
    assert data["kind"] == "request"
    scores = [s["score"] for s in data["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    for s in data["suggestions"]:
        assert s["score"] == sum(r["points"] for r in s["reasons"])
        assert any(r["kind"] in ("target", "theme") for r in s["reasons"])
        for reason in s["reasons"]:
            assert reason["text"] in page.text.replace("&#39;", "'")
        assert f'href="/id/offer/{slug(s["iri"])}"' in page.text


def test_request_reasons_read_as_sentences(live_server):
    data = get_json(live_server, "/id/request/wio-coral-reef-training")
    top = data["suggestions"][0]
    assert slug(top["iri"]) == "coral-reef-training" and top["matched"]
    texts = [r["text"] for r in top["reasons"]]
    assert texts == [
        "Both address GBF target 3 (Conserve 30% of Land, Waters and Seas)",
        "Both address GBF target 21 (Ensure That Knowledge Is Available and Accessible To Guide Biodiversity Action)",
        "Same modality: Training",
        "Shared theme: coral reefs",
        "Both in English",
        "Both in French",
        "Same place: Madagascar",
    ]
    assert top["score"] == 68
    assert [slug(s["iri"]) for s in data["suggestions"]] == [
        "coral-reef-training", "data-publishing", "inventory-methods"]
    assert data["matches"] == [BASE + "id/offer/coral-reef-training"]


def test_request_reasons_in_french(live_server):
    data = get_json(live_server, "/id/request/mayotte-mangroves", lang="fr")
    [top] = data["suggestions"]
    assert slug(top["iri"]) == "mangrove-restoration-twinning"
    assert [r["text"] for r in top["reasons"]] == [
        "Tous deux visent la cible 2 du Cadre mondial (Restaurer 30 % de tous les écosystèmes dégradés)",
        "Même modalité : Échange d'experts",
        "Thème commun : mangroves",
        "Tous deux en français",
        "Même lieu : Mayotte",
    ]
    html = requests.get(live_server + "/id/request/mayotte-mangroves", params={"lang": "fr"}, headers=HTML, timeout=30)
    assert "Offres qui pourraient répondre à cette demande" in html.text
    assert html.headers["Content-Language"] == "fr"


def test_request_no_offer_fits_says_so(live_server):
    data = get_json(live_server, "/id/request/andean-biosafety-lab")
    assert data["suggestions"] == []
    page = requests.get(live_server + "/id/request/andean-biosafety-lab", headers=HTML, timeout=30)
    assert "No offer shares a GBF target or a theme with this request yet." in page.text


def test_offer_page_shows_the_requests_it_could_meet(live_server):
    page = requests.get(live_server + "/id/offer/coral-reef-training", headers=HTML, timeout=30)
    assert page.status_code == 200 and "Requests this offer could meet" in page.text
    assert "Already matched" in page.text
    data = get_json(live_server, "/id/offer/coral-reef-training")
    assert data["kind"] == "offer"
    order = [slug(s["iri"]) for s in data["suggestions"]]
    assert order[0] == "wio-coral-reef-training" and data["suggestions"][0]["matched"]
    assert "west-africa-data" in order


def test_offer_page_facts(live_server):
    text = requests.get(live_server + "/id/offer/mangrove-restoration-twinning", headers=HTML, timeout=30).text
    for fact in ("Offered by", "GBF targets", "CBD articles", "Modalities", "Themes", "Languages", "Places", "Status",
                 "Published", "Twinning", "mangroves", "French", "Guadeloupe", "May 6, 2025"):
        assert fact in text, fact
    assert 'href="/id/actor/example-coastal-agency"' in text


# ------------------------------------------------------------------ in a browser


def test_biobridge_in_a_browser(page, live_server):
    page.goto(live_server + "/biobridge")
    expect(page.locator("h1")).to_have_text("BioBridge: cooperation offers and requests")
    screenshot(page, "biobridge")
    page.get_by_label("Kind").select_option("request")
    page.get_by_label("GBF target").select_option("21")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*target=21.*"))
    items = page.locator("li.cooperation-item")
    expect(items).to_have_count(2)
    page.get_by_role("link", name="Example: help to digitise and publish protected-area species data").click()
    page.wait_for_url("**/id/request/west-africa-data")
    suggestions = page.locator("li.suggestion")
    expect(suggestions.first).to_contain_text("Both address GBF target 21")
    expect(suggestions.first.locator(".score-value")).to_have_text("Score 54")
    screenshot(page, "request")
    suggestions.first.locator("h3 a").click()
    page.wait_for_url("**/id/offer/data-publishing")
    expect(page.locator("h2#suggestions-heading")).to_have_text("Requests this offer could meet")
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h2#suggestions-heading")).to_have_text("Demandes auxquelles cette offre pourrait répondre")
    expect(page.locator("li.suggestion").first).to_contain_text("Tous deux visent la cible 21")
