"""France's commitments: the strategy, its national targets and the international commitments, with their
GBF targets and projects; the territory filter; commitment pages; in a real server and browser."""

from __future__ import annotations

import re

import requests
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF

from graph.namespaces import PLACE, TSC
from tests.conftest import BASE, bundled_data, get_page, screenshot


def test_listing_has_every_commitment_with_its_targets_and_projects(live_server):
    g = bundled_data()
    listing = requests.get(live_server + "/commitments", params={"format": "json"}, timeout=30).json()
    by_iri = {c["commitment"]: c for c in listing["commitments"]}
    expected = {str(s) for c in (TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment)
                for s in g.subjects(RDF.type, c)}
    assert set(by_iri) == expected
    for iri, c in by_iri.items():
        assert c["targets"] == sorted(str(t) for t in g.objects(URIRef(iri), TSC.contributesToTarget))
        assert c["projects"] == len(set(g.subjects(TSC.implementsCommitment, URIRef(iri))))
    html = get_page(live_server + "/commitments").text
    assert 'href="/id/commitment/snb-2030"' in html
    assert 'href="/id/project/example-mayotte-mangroves"' in html  # implements the coral-reef target


def test_territory_filter(live_server):
    g = bundled_data()
    reunion = requests.get(live_server + "/commitments", params={"format": "json", "territory": "RE"}, timeout=30).json()
    expected = {str(s) for s in g.subjects(DCTERMS.spatial, PLACE.RE)
                if any((s, RDF.type, c) in g for c in (TSC.NationalTarget, TSC.InternationalCommitment))}
    shown = {c["commitment"] for c in reunion["commitments"] if c["class"] != str(TSC.NationalStrategy)}
    assert shown == expected and expected
    html = get_page(live_server + "/commitments", territory="RE").text
    assert '<option value="RE" selected>' in html
    assert all("RE" in t.split() for t in re.findall(r'data-territories="([^"]*)"', html))
    metropolitan = requests.get(live_server + "/commitments", params={"format": "json", "territory": "metropolitan"}, timeout=30).json()
    assert BASE + "id/commitment/example-nt-restoration" in {c["commitment"] for c in metropolitan["commitments"]}
    assert get_page(live_server + "/commitments", territory="XX").status_code == 400
    assert get_page(live_server + "/commitments", page="0").status_code == 400
    assert get_page(live_server + "/commitments", page="x").status_code == 400


def test_commitment_page_lists_its_projects_and_targets(live_server):
    g = bundled_data()
    iri = URIRef(BASE + "id/commitment/example-nt-coral-reefs")
    html = get_page(live_server + "/id/commitment/example-nt-coral-reefs").text
    for project in g.subjects(TSC.implementsCommitment, iri):
        assert f'href="/{str(project)[len(BASE):]}"' in html
    for target in g.objects(iri, TSC.contributesToTarget):
        assert f'href="/{str(target).split("w3id.org/tscgraph/", 1)[1]}"' in html
    assert "Example: an illustrative record" in html
    # the illustrative national targets are parts of the illustrative strategy, never of the real SNB 2030
    strategy = get_page(live_server + "/id/commitment/example-national-strategy").text
    parts = {str(s) for s in g.subjects(DCTERMS.isPartOf, URIRef(BASE + "id/commitment/example-national-strategy"))}
    assert all(f'href="/{p[len(BASE):]}"' in strategy for p in parts) and len(parts) == 7
    assert not set(g.subjects(DCTERMS.isPartOf, URIRef(BASE + "id/commitment/snb-2030")))
    fr = get_page(live_server + "/id/commitment/snb-2030", lang="fr").text
    assert "Stratégie nationale biodiversité 2030 (SNB 2030)" in fr and "Cibles du Cadre mondial servies" in fr


def test_browser_commitments_filter_by_territory(page, live_server):
    page.goto(live_server + "/commitments")
    screenshot(page, "commitments")
    page.get_by_label("Territory").select_option("YT")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**territory=YT*")
    rows = page.locator("li.commitment")
    assert rows.count() > 0
    assert all("YT" in (rows.nth(i).get_attribute("data-territories") or "").split() for i in range(rows.count()))
    page.locator("li.commitment h4 a").first.click()
    page.wait_for_url("**/id/commitment/**")
    assert page.locator("#projects").is_visible()
