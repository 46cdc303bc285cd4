"""Likely duplicates across sources: proposed to editors, confirmed as owl:sameAs or dismissed, never merged.

The keys and the grouping are checked as pure functions; then a real server over the bundled data plus a
harvest-like graph (put through the Graph Store Protocol) holding two actors that duplicate bundled ones
under other IRIs: an editor sees them proposed with their reasons, confirms one (an owl:sameAs link in the
local graph, read back through /sparql) and dismisses the other (recorded privately, nothing public).
"""

from __future__ import annotations

import re

import pytest
import requests
from rdflib import Literal, URIRef
from werkzeug.security import generate_password_hash

from graph import duplicates
from tests.conftest import BASE, TOKEN, TOKEN_HASH, csrf_of, start_server, stop_server
from tests.test_moderation import sign_in

PASSWORD = "an editor's long password for duplicates"
HARVEST = BASE + "graph/harvest/partner"
OFB = BASE + "id/actor/ofb"
MNHN = BASE + "id/actor/mnhn"
PARTNER_OFB = "https://partner.example.net/org/42"
PARTNER_MNHN = "https://partner.example.net/org/mnhn"

PARTNER_DATA = f"""
@prefix tsc: <https://w3id.org/tscgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
<{PARTNER_OFB}> a tsc:Actor ;
    skos:prefLabel "OFFICE FRANCAIS DE LA BIODIVERSITE"@fr ;
    tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/public-agency> ;
    schema:url <http://www.professionnels.ofb.fr/> .
<{PARTNER_MNHN}> a tsc:Actor ;
    skos:prefLabel "Museum national d’histoire naturelle"@fr ;
    tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/research-institute> .
"""


# ------------------------------------------------------------------ pure


def test_keys():
    assert duplicates.name_key("Office Français de la Biodiversité !") == "officefrancaisdelabiodiversite"
    assert duplicates.name_key("Muséum national d'Histoire naturelle") == duplicates.name_key("MUSEUM NATIONAL D’HISTOIRE-NATURELLE")
    assert duplicates.website_key("https://www.Example.org/a/") == duplicates.website_key("http://example.org/a") == "example.org/a"
    assert duplicates.website_key("https://example.org/") == "example.org"
    assert duplicates.website_key("mailto:x@example.org") is None
    assert duplicates.identifier_key("  FR-RNA-W123  ") == duplicates.identifier_key("fr-rna-w123")


def test_grouping_reasons_score_and_exclusions():
    local, harvest = BASE + "graph/local", BASE + "graph/harvest/x"
    a, b, c, d = (URIRef(f"https://e.org/{n}") for n in "abcd")
    rows = [
        (harvest, a, "actor", "name", Literal("Société X", lang="fr")),
        (local, b, "actor", "name", Literal("societe-x", lang="en")),
        (harvest, a, "actor", "website", URIRef("https://www.x.org/")),
        (local, b, "actor", "website", URIRef("http://x.org")),
        (local, c, "project", "name", Literal("Société X")),  # a project: never paired with an actor
        (harvest, d, "actor", "identifier", Literal("ID-1")),
        (local, b, "actor", "identifier", Literal("id-1")),
    ]
    found = duplicates.find_candidates(rows, local_graph=local)
    assert [(x.a, x.b) for x in found.candidates] == [(b, d), (b, a)]  # the local record first, best score first
    assert {r.kind for r in found.find(a, b).reasons} == {"name", "website"}
    assert found.find(a, b).score == pytest.approx(1 - 0.4 * 0.3)
    assert found.find(b, d).reasons == (duplicates.Reason("identifier", "id-1"),)
    assert found.records[a].graphs == {harvest}
    # already linked (here through another record) or decided: not proposed again
    linked = duplicates.find_candidates(rows, same_as=[(a, c), (c, b)], decided=[(d, b)], local_graph=local)
    assert linked.candidates == []
    # a key shared by too many records says nothing
    many = [(harvest, URIRef(f"https://e.org/p{i}"), "project", "website", URIRef("https://portal.example")) for i in range(5)]
    assert duplicates.find_candidates(many, max_group=4).candidates == []
    assert len(duplicates.find_candidates(many, max_group=5).candidates) == 10


# ------------------------------------------------------------------ over HTTP


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    alice = "alice:" + generate_password_hash(PASSWORD)
    started = start_server(tmp_path_factory.mktemp("duplicates"), rate_limit="1000", editors=alice,
                           update_tokens=TOKEN_HASH)
    put = requests.put(f"{started.url}/data", params={"graph": HARVEST}, data=PARTNER_DATA.encode(),
                       headers={"Content-Type": "text/turtle", "Authorization": "Bearer " + TOKEN}, timeout=60)
    assert put.status_code in (201, 204), put.text
    yield started
    stop_server(started)


def proposals(browser: requests.Session, url: str) -> tuple[str, dict[tuple[str, str], list[str]]]:
    page = browser.get(f"{url}/moderation/duplicates", timeout=60)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    found = {}
    for row in re.findall(r'<tr class="proposal" data-a="([^"]+)" data-b="([^"]+)">(.*?)</tr>', page.text, re.S):
        found[(row[0], row[1])] = re.findall(r'data-reason="(\w+)"', row[2])
    return page.text, found


def sparql_ask(url: str, query: str) -> bool:
    answer = requests.get(f"{url}/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def test_anonymous_and_forged_requests_are_refused(server):
    anonymous = requests.get(f"{server.url}/moderation/duplicates", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 303 and "/editor/login?next=%2Fmoderation%2Fduplicates" in anonymous.headers["Location"]
    posted = requests.post(f"{server.url}/moderation/duplicates/confirm", data={"a": OFB, "b": PARTNER_OFB},
                           allow_redirects=False, timeout=30)
    assert posted.status_code == 403
    browser = sign_in(server.url, password=PASSWORD)
    no_token = browser.post(f"{server.url}/moderation/duplicates/confirm", data={"a": OFB, "b": PARTNER_OFB},
                            allow_redirects=False, timeout=30)
    assert no_token.status_code == 400
    html, _found = proposals(browser, server.url)
    token = csrf_of(html)
    for a, b in ((OFB, BASE + "id/actor/afd"), (OFB, OFB), ("", PARTNER_OFB)):
        wrong = browser.post(f"{server.url}/moderation/duplicates/dismiss", data={"csrf_token": token, "a": a, "b": b},
                             allow_redirects=False, timeout=30)
        assert wrong.status_code == 400, (a, b)
    assert not sparql_ask(server.url, f"ASK {{ <{OFB}> ?p <{PARTNER_OFB}> }}")


def test_proposed_confirmed_and_dismissed(server):
    browser = sign_in(server.url, password=PASSWORD)
    html, found = proposals(browser, server.url)
    assert set(found[(OFB, PARTNER_OFB)]) == {"website", "name"}  # the local record first, the best reason first
    assert found[(MNHN, PARTNER_MNHN)] == ["name"]
    assert "harvested from partner" in html and "professionnels.ofb.fr" in html

    token = csrf_of(html)
    confirmed = browser.post(f"{server.url}/moderation/duplicates/confirm",
                             data={"csrf_token": token, "a": OFB, "b": PARTNER_OFB}, allow_redirects=False, timeout=30)
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/moderation/duplicates")
    local = BASE + "graph/local"
    assert sparql_ask(server.url, f"ASK {{ GRAPH <{local}> {{ <{OFB}> <http://www.w3.org/2002/07/owl#sameAs> <{PARTNER_OFB}> }} }}")
    assert sparql_ask(server.url, f"ASK {{ <{PARTNER_OFB}> a ?type }}")  # nothing merged or deleted
    _html, found = proposals(browser, server.url)
    assert (OFB, PARTNER_OFB) not in found and (MNHN, PARTNER_MNHN) in found
    again = browser.post(f"{server.url}/moderation/duplicates/confirm",
                         data={"csrf_token": token, "a": PARTNER_OFB, "b": OFB}, allow_redirects=False, timeout=30)
    assert again.status_code == 400

    dismissed = browser.post(f"{server.url}/moderation/duplicates/dismiss",
                             data={"csrf_token": token, "a": PARTNER_MNHN, "b": MNHN}, allow_redirects=False, timeout=30)
    assert dismissed.status_code == 303
    page, found = proposals(browser, server.url)
    assert (MNHN, PARTNER_MNHN) not in found and "not be proposed again" in page
    # nothing public about the dismissal; the decisions are in the private moderation graph only
    assert not sparql_ask(server.url, f"ASK {{ {{ <{MNHN}> ?p <{PARTNER_MNHN}> }} UNION {{ <{PARTNER_MNHN}> ?p <{MNHN}> }} }}")
    decisions = BASE + "id/duplicate-decision/"
    assert not sparql_ask(server.url, f'ASK {{ {{ ?d ?p ?o }} UNION {{ ?o ?p ?d }} FILTER(STRSTARTS(STR(?d), "{decisions}")) }}')


def test_french_page(server):
    browser = sign_in(server.url, password=PASSWORD)
    page = browser.get(f"{server.url}/moderation/duplicates", params={"lang": "fr"}, timeout=60)
    assert page.status_code == 200 and "Doublons probables" in page.text
