"""The issue's "done when", in a real headless Chromium against a real server: a person fills the project
form wrongly, reads the errors next to the fields, corrects them and submits; an editor signs in and
approves; the project is then in the listing and in SPARQL."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import screenshot, start_server, stop_server

PASSWORD = "an editor's end-to-end password"
OFB = "https://chm.example.org/id/actor/ofb"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = start_server(tmp_path_factory.mktemp("end-to-end"), rate_limit="1000",
                           editors="alice:" + generate_password_hash(PASSWORD))
    yield started
    stop_server(started)


def field_errors(page, key: str) -> list[str]:
    """The error messages shown inside the field ``key`` (next to its input)."""
    return page.locator(f'[data-field="{key}"] .field-error').all_inner_texts()


def test_a_project_goes_from_a_wrong_form_to_the_public_graph(page, server):
    url = server.url
    title = f"Seagrass restoration in Mayotte {uuid.uuid4().hex[:6]}"

    # 1. The form, filled wrongly: the end before the start, no lead organisation, a malformed web address.
    page.goto(url + "/submit/project?lang=en")
    page.fill('[name="dcterms-title.en"]', title)
    page.fill('[name="dcterms-description.en"]', "Replanting seagrass meadows with local fishers.")
    page.fill('[name="schema-startDate"]', "2025-06-01")
    page.fill('[name="schema-endDate"]', "2024-01-31")
    page.fill('[name="schema-url"]', "not a web address")
    page.fill('[name="submitter-name"]', "Camille Martin")
    page.fill('[name="submitter-email"]', "camille@example.org")
    page.get_by_role("button", name="Submit for moderation").click()
    page.wait_for_load_state()

    # 2. The errors are next to the fields that caused them, and what was typed is still there.
    assert page.get_by_role("heading", name="The submission was not accepted: please correct the fields marked below.").is_visible()
    assert field_errors(page, "tsc-leadOrganisation"), "no error next to the lead organisation"
    assert field_errors(page, "schema-url"), "no error next to the web address"
    dates = field_errors(page, "schema-startDate") + field_errors(page, "schema-endDate")
    assert dates, "no error next to the dates"
    assert not field_errors(page, "dcterms-title") and not field_errors(page, "submitter-email")
    assert page.locator('[name="dcterms-title.en"]').input_value() == title
    assert page.locator('[name="schema-url"]').input_value() == "not a web address"
    assert page.locator('[name="schema-startDate"]').input_value() == "2025-06-01"
    assert page.locator('[name="schema-endDate"]').input_value() == "2024-01-31"
    assert page.locator('[name="submitter-name"]').input_value() == "Camille Martin"
    assert page.locator('[data-field="schema-url"] [aria-invalid="true"]').count() == 1
    screenshot(page, "form-errors")

    # 3. Corrected and sent: the status page says it waits for moderation.
    page.fill('[name="schema-endDate"]', "2027-12-31")
    page.fill('[name="schema-url"]', "https://example.org/seagrass-mayotte")
    page.select_option('[name="tsc-leadOrganisation"]', value=OFB)  # picked from the directory
    page.get_by_role("button", name="Submit for moderation").click()
    page.wait_for_url("**/submissions/**")
    assert page.locator(".submission-status").get_attribute("data-status") == "pending"
    status_url = page.url.split("?")[0]

    # not public yet
    page.goto(url + "/projects?q=" + quote(title))
    assert page.locator(".card", has_text=title).count() == 0 and page.locator("p.empty").is_visible()

    # 4. An editor signs in (sent there from the queue), finds it in the queue, reads it and approves.
    page.goto(url + "/moderation")
    page.wait_for_url("**/editor/login?next=%2Fmoderation")
    page.fill('[name="login"]', "alice")
    page.fill('[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/moderation")
    row = page.locator("table.queue tr", has_text=title)
    assert row.count() == 1 and "Camille Martin" in row.inner_text()
    screenshot(page, "moderation-queue")
    row.get_by_role("link", name=title).click()
    page.wait_for_url("**/moderation/*")
    assert page.locator("#status").inner_text() == "Pending"
    assert "camille@example.org" in page.locator("#submitter").inner_text()
    assert page.locator("table.content", has_text="https://example.org/seagrass-mayotte").count() == 1
    screenshot(page, "moderation-item")

    with page.expect_navigation():
        page.locator("#preview-1").click()
    assert page.locator(".preview-banner").is_visible() and page.locator("h1").inner_text() == title
    page.go_back()

    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_load_state()
    assert page.get_by_text("Approved: the submission is now published.").is_visible()
    assert page.locator("#status").inner_text() == "Approved"

    # 5. Published: in the listing and in SPARQL; the submitter's page says so.
    page.goto(url + "/projects?q=" + quote(title))
    page.locator(".card").get_by_role("link", name=title, exact=True).click()
    page.wait_for_url("**/id/project/**")
    assert page.locator("h1").inner_text() == title and page.locator(".preview-banner").count() == 0
    query = ('PREFIX dcterms: <http://purl.org/dc/terms/>\nSELECT ?project ?title WHERE { ?project a '
             '<https://w3id.org/tscgraph/ontology#Project> ; dcterms:title ?title . FILTER(CONTAINS(?title, "%s")) }' % title)
    page.goto(url + "/sparql?format=html&query=" + quote(query))
    assert page.locator("table", has_text=title).count() >= 1
    page.goto(status_url)
    assert page.locator(".submission-status").get_attribute("data-status") == "approved"
