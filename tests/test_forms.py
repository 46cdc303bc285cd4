"""The submission forms over HTTP on a real server, and in a real browser (headless Chromium).

Every form is generated from the shapes: a property added to a shape shows in its form, in its
validation and in /shapes with no code (test_a_property_added_to_a_shape_appears_everywhere).
"""

from __future__ import annotations

import re
import shutil
import uuid
from html import unescape

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from tests.conftest import csrf_of, screenshot, start_server, stop_server

TARGET_3 = "https://w3id.org/tscgraph/vocab/gbf/target/3"
OFB = "https://chm.example.org/id/actor/ofb"
NGO = "https://w3id.org/tscgraph/vocab/actor-type/ngo"
REFUSED: list[str] = []  # titles of POSTs that must have written nothing (checked once the server stops)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("forms"), rate_limit="1000")
    yield server.url
    stop_server(server)
    with OxigraphStore(server.store_dir) as store:
        written = "\n".join(t for g in store.graph_names() if "/submission/" in str(g)
                            for t in store.read_graph(str(g)).serialize(format="nt").splitlines())
    leaked = [title for title in REFUSED if title in written]
    assert not leaked, f"refused submissions were written: {leaked}"


def session_and_token(url: str, path: str = "/submit/project") -> tuple[requests.Session, str]:
    s = requests.Session()
    page = s.get(url + path, timeout=30)
    assert page.status_code == 200
    return s, csrf_of(page.text)


def project(title: str, **changes) -> dict:
    data = {"dcterms-title.en": title, "dcterms-title.fr": title + " (fr)", "tsc-contributesToTarget": [TARGET_3],
            "tsc-leadOrganisation": OFB, "schema-startDate": "2024-01-15", "tsc-budget.schema-value": "1500.50",
            "tsc-budget.schema-currency": "EUR", "schema-url": "https://example.org/p",
            "submitter-name": "Ann Example", "submitter-email": "ann@example.org"}
    data.update(changes)
    return data


def field_errors(html: str) -> dict[str, list[str]]:
    """field key → the error messages shown inside that field's block."""
    out: dict[str, list[str]] = {}
    for block in re.split(r'(?=<div class="field[^"]*" id="field-)', html)[1:]:
        key = re.match(r'<div class="field[^"]*" id="field-([^"]+)"', block).group(1)
        own = block.split('<div class="field', 2)[1] if block.count('<div class="field') > 1 else block
        messages = [unescape(m) for m in re.findall(r'class="field-error"[^>]*>([^<]*)<', "<div class=\"field" + own)]
        if messages:
            out[key] = messages
    return out


def test_the_chooser_lists_every_form(server):
    page = requests.get(server + "/submit", timeout=30)
    assert page.status_code == 200
    for kind in ("project", "organisation", "offer", "request", "knowledge"):
        assert f'href="/submit/{kind}"' in page.text


@pytest.mark.parametrize("kind", ["project", "organisation", "offer", "request", "knowledge"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_form_in_english_and_french(server, kind, lang):
    page = requests.get(f"{server}/submit/{kind}?lang={lang}", timeout=30)
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert 'name="csrf_token"' in page.text and 'name="website_confirm"' in page.text
    words = {"en": ["Identification", "About you", "Submit for moderation"], "fr": ["Identification", "À votre sujet", "Soumettre à la modération"]}
    assert all(w in page.text for w in words[lang])
    if kind == "project":
        assert ("Target 3 — Conserve 30% of Land" if lang == "en" else "Cible 3 — Conserver 30 % des terres") in page.text
        assert ('>budget<' in page.text) and 'name="tsc-budget.schema-currency"' in page.text
        assert 'name="tsc-leadOrganisation.new-name"' in page.text and f'value="{OFB}"' in page.text


def test_unknown_form_is_404(server):
    assert requests.get(server + "/submit/planet", timeout=30).status_code == 404


def test_post_without_csrf_is_refused_and_writes_nothing(server):
    title = f"No CSRF {uuid.uuid4().hex[:8]}"
    REFUSED.append(title)
    r = requests.post(server + "/submit/project", data=project(title), timeout=30, allow_redirects=False)
    assert r.status_code == 400 and "CSRF" in r.text


def test_honeypot_is_refused(server):
    s, token = session_and_token(server)
    title = f"Robot {uuid.uuid4().hex[:8]}"
    REFUSED.append(title)
    r = s.post(server + "/submit/project", data=project(title, csrf_token=token, website_confirm="http://spam"), timeout=30,
               allow_redirects=False)
    assert r.status_code == 400 and "automated" in r.text


def test_invalid_form_shows_messages_next_to_fields_and_keeps_values(server):
    s, token = session_and_token(server)
    title = f"<script>alert(1)</script> {uuid.uuid4().hex[:8]}"
    REFUSED.append(title)
    data = project(title, csrf_token=token, **{
        "tsc-contributesToTarget": [TARGET_3, "bogus"], "schema-endDate": "2023-01-01", "tsc-budget.schema-value": "abc",
        "schema-url": "example.org", "submitter-email": "not-an-address"})
    r = s.post(server + "/submit/project", data=data, timeout=30, allow_redirects=False)
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert errors["tsc-contributesToTarget"] == ["Not one of the 23 GBF targets (Kunming-Montreal Global Biodiversity Framework)."]
    assert "The end date is before the start date." in errors["schema-startDate"]
    assert "The amount must be a decimal number (xsd:decimal), e.g. 150000.00." in errors["tsc-budget.schema-value"]
    assert "The web site must start with http:// or https://." in errors["schema-url"]
    assert errors["submitter-email"] == ["Give an e-mail address where the editors can reach you (name@example.org)."]
    # what was typed is kept, and shown as text
    assert 'value="abc"' in r.text and 'value="example.org"' in r.text and 'value="not-an-address"' in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "<script>alert(1)" not in r.text
    assert re.search(rf'value="{re.escape(TARGET_3)}" checked', r.text)


def test_messages_in_french(server):
    s, token = session_and_token(server)
    title = f"Sans cible {uuid.uuid4().hex[:8]}"
    REFUSED.append(title)
    r = s.post(server + "/submit/project?lang=fr", data=project(title, csrf_token=token, **{"tsc-leadOrganisation": ""}),
               timeout=30, allow_redirects=False)
    assert r.status_code == 422 and '<html lang="fr">' in r.text
    assert field_errors(r.text)["tsc-leadOrganisation"] == ["Un projet a exactement une organisation cheffe de file."]
    assert "La soumission n'a pas été acceptée" in unescape(r.text)


def test_valid_form_is_pending_with_a_status_page(server):
    s, token = session_and_token(server)
    title = f"<script>alert(1)</script> Mangroves {uuid.uuid4().hex[:8]}"
    r = s.post(server + "/submit/project", data=project(title, csrf_token=token), timeout=30, allow_redirects=False)
    assert r.status_code == 303, field_errors(r.text)
    location = r.headers["Location"]
    assert re.fullmatch(r"/submissions/[A-Za-z0-9_-]{16,}\?new=1", location)
    status = s.get(server + location, timeout=30)
    assert status.status_code == 200 and 'data-status="pending"' in status.text
    assert "Thank you! Your submission was received and is pending moderation." in status.text
    assert location.split("?")[0] in status.text  # it links to itself
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Mangroves" in status.text and "<script>alert(1)" not in status.text
    assert "ann@example.org" not in status.text and "Ann Example" not in status.text  # no personal data
    french = requests.get(server + location.split("?")[0] + "?lang=fr", timeout=30)
    assert "en attente de modération" in french.text
    assert requests.get(server + "/submissions/does-not-exist", timeout=30).status_code == 404


def test_a_new_actor_can_be_proposed(server):
    s, token = session_and_token(server)
    data = project(f"With a new partner {uuid.uuid4().hex[:8]}", csrf_token=token, **{
        "tsc-leadOrganisation": "", "tsc-leadOrganisation.new-name": "Friends of the Mangroves",
        "tsc-leadOrganisation.new-type": NGO})
    r = s.post(server + "/submit/project", data=data, timeout=30, allow_redirects=False)
    assert r.status_code == 303
    status = s.get(server + r.headers["Location"], timeout=30)
    assert "Friends of the Mangroves" in status.text


def test_edit_prefills_from_the_published_record(server):
    page = requests.get(server + "/submit/project?edit=/id/project/biodiversa-plus", timeout=30)
    assert page.status_code == 200
    assert 'value="Biodiversa+, the European Biodiversity Partnership"' in page.text
    assert 'name="edit" value="https://chm.example.org/id/project/biodiversa-plus"' in page.text
    assert re.search(r'value="https://w3id.org/tscgraph/vocab/gbf/target/11" checked', page.text)
    assert re.search(r'<option value="EUR" selected>', page.text)
    assert requests.get(server + "/submit/organisation?edit=/id/project/biodiversa-plus", timeout=30).status_code == 400
    assert requests.get(server + "/submit/project?edit=/id/project/nothing-here", timeout=30).status_code == 404


def test_an_edit_is_submitted_for_the_same_record(server):
    iri = "https://chm.example.org/id/project/biodiversa-plus"
    s, token = session_and_token(server, "/submit/project?edit=/id/project/biodiversa-plus")
    page = s.get(server + "/submit/project?edit=" + iri, timeout=30).text
    data = {k: unescape(v) for k, v in re.findall(r'<input type="(?:text|date|url)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    data.update(csrf_token=token, edit=iri, **{"submitter-name": "Ann", "submitter-email": "ann@example.org",
                                               "tsc-leadOrganisation": re.search(r'name="tsc-leadOrganisation".*?<option value="([^"]+)" selected', page, re.S).group(1),
                                               "tsc-budget.schema-currency": "EUR"})
    data["dcterms-title.en"] = "Biodiversa+ (edited)"
    r = s.post(server + "/submit/project", data=data, timeout=30, allow_redirects=False)
    assert r.status_code == 303, field_errors(r.text)
    status = s.get(server + r.headers["Location"], timeout=30)
    assert "Biodiversa+ (edited)" in status.text and 'href="/id/project/biodiversa-plus"' in status.text


def test_shapes_documentation_and_turtle(server):
    page = requests.get(server + "/shapes", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    for text in ("Project", "GBF targets", "Target 3 — Conserve 30% of Land, Waters and Seas", "1…1", "xsd:date",
                 "A project has exactly one lead organisation.", 'class="severity-Warning"', "/submit/project"):
        assert text in unescape(page.text), text
    french = requests.get(server + "/shapes?lang=fr", timeout=30)
    assert "cibles du Cadre mondial" in french.text and "Un projet a exactement une organisation cheffe de file." in unescape(french.text)
    for turtle in (requests.get(server + "/shapes", headers={"Accept": "text/turtle"}, timeout=30),
                   requests.get(server + "/shapes.ttl", timeout=30)):
        assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")
        shapes = Graph().parse(data=turtle.text, format="turtle")
        assert (URIRef("https://w3id.org/tscgraph/shapes#ProjectShape"), SH.targetClass, None) in shapes


EXTRA_SHAPE = """
@prefix tscsh: <https://w3id.org/tscgraph/shapes#> . @prefix tsc: <https://w3id.org/tscgraph/ontology#> .
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
tscsh:ProjectShape sh:property tscsh:Project-fundingProgramme .
tscsh:Project-fundingProgramme a sh:PropertyShape ;
    sh:path tsc:fundingProgramme ;
    sh:name "funding programme"@en , "programme de financement"@fr ;
    sh:description "The programme that funds the project."@en , "Programme qui finance le projet."@fr ;
    sh:group tscsh:DatesBudgetGroup ; sh:order 360 ;
    sh:maxCount 1 ; sh:datatype xsd:string ; sh:minLength 3 ;
    sh:message "The funding programme needs at least 3 characters."@en ,
        "Le programme de financement doit compter au moins 3 caractères."@fr .
"""


def test_a_property_added_to_a_shape_appears_everywhere(tmp_path):
    shapes = tmp_path / "shapes"
    shutil.copytree(ROOT / "shapes", shapes)
    (shapes / "project-extra.ttl").write_text(EXTRA_SHAPE, encoding="utf-8")
    extra = start_server(tmp_path, shapes_dir=str(shapes), rate_limit="1000")
    try:
        form = requests.get(extra.url + "/submit/project?lang=fr", timeout=30)
        assert 'name="tsc-fundingProgramme"' in form.text and "programme de financement" in form.text
        doc = requests.get(extra.url + "/shapes", timeout=30)
        assert "funding programme" in doc.text and "The funding programme needs at least 3 characters." in doc.text
        s, token = session_and_token(extra.url)
        title = f"Short programme {uuid.uuid4().hex[:8]}"
        r = s.post(extra.url + "/submit/project?lang=fr", data=project(title, csrf_token=token, **{"tsc-fundingProgramme": "EU"}),
                   timeout=30, allow_redirects=False)
        assert r.status_code == 422
        assert field_errors(r.text)["tsc-fundingProgramme"] == ["Le programme de financement doit compter au moins 3 caractères."]
        ok = s.post(extra.url + "/submit/project", data=project(title, csrf_token=token, **{"tsc-fundingProgramme": "Horizon Europe"}),
                    timeout=30, allow_redirects=False)
        assert ok.status_code == 303
    finally:
        stop_server(extra)


def test_fill_the_project_form_in_a_browser(page, server):
    page.goto(server + "/submit/project")
    page.get_by_label("English").first.fill("Seagrass meadows of Corsica")
    page.get_by_label("Target 3 — Conserve 30% of Land, Waters and Seas").check()
    page.locator('select[name="tsc-leadOrganisation"]').select_option(OFB)
    page.locator('input[name="schema-startDate"]').fill("2025-03-01")
    page.locator('input[name="tsc-budget.schema-value"]').fill("25000")
    page.locator('select[name="tsc-budget.schema-currency"]').select_option("EUR")
    page.get_by_label("Your name").fill("Ann Example")
    page.get_by_label("Your e-mail address").fill("ann@example.org")
    page.get_by_role("button", name="Submit for moderation").click()
    page.wait_for_url("**/submissions/**")
    assert page.locator(".submission-status").get_attribute("data-status") == "pending"
    assert "Seagrass meadows of Corsica" in page.locator("main").inner_text()
    screenshot(page, "form-project")
