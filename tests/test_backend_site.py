"""Everything above the store works unchanged on an external store: every section's page, the validation
service, a project sent through the form, approved by an editor, then published — its page, SPARQL, the change
feed — on an Oxigraph server and on Virtuoso (the embedded store runs the whole suite)."""

from __future__ import annotations

import pytest
import requests
from werkzeug.security import generate_password_hash

from bench.peers import store_server
from tests.conftest import start_server, stop_server
from tests.test_moderation import PASSWORD, decide, published_titles, sign_in, sparql_finds, status_of, submit_project

PAGES = ["/", "/projects", "/actors", "/gbf", "/vocab/gbf/target/3", "/vocab/cbd/article/18", "/commitments",
         "/biobridge", "/knowledge", "/changes", "/submit/project", "/submit/organisation", "/validate", "/harvest",
         "/shapes", "/queries", "/sparql", "/.well-known/void", "/sitemap.xml", "/dumps/", "/dumps/tscgraph.nq.gz",
         "/ontology", "/health", "/id/actor/ofb"]


@pytest.fixture(scope="module", params=["oxigraph-server", "virtuoso"])
def site(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"site-{request.param}")
    with store_server(request.param, work / "store-server") as store:
        server = start_server(work, rate_limit="1000", editors="alice:" + generate_password_hash(PASSWORD),
                              **store.settings)
        yield server.url
        stop_server(server)


@pytest.mark.parametrize("path", PAGES)
def test_every_section_answers(site, path):
    answer = requests.get(site + path, timeout=60)
    assert answer.status_code == 200, (path, answer.text[-500:])


def test_the_validation_service_answers(site):
    turtle = ('@prefix tsc: <https://w3id.org/tscgraph/ontology#> . @prefix dcterms: <http://purl.org/dc/terms/> .\n'
              '<https://chm.example.org/id/project/x> a tsc:Project ; dcterms:title "Example: no lead"@en .')
    answer = requests.post(site + "/validate", data=turtle.encode(), headers={"Content-Type": "text/turtle",
                                                                            "Accept": "application/json"}, timeout=60)
    assert answer.status_code == 200 and answer.json()["conforms"] is False


def test_a_submission_is_moderated_and_published_with_its_change(site):
    title = "Example: a project sent through the form on an external store"
    before = requests.get(site + "/changes/local", headers={"Accept": "application/activity+json"}, timeout=30).json()
    submission = submit_project(site, title)
    assert status_of(site, submission) == "pending" and title not in published_titles(site)
    editor = sign_in(site)
    assert decide(editor, site, submission, "approve").status_code == 303
    assert status_of(site, submission) == "approved"
    assert title in published_titles(site) and sparql_finds(site, title)
    after = requests.get(site + "/changes/local", headers={"Accept": "application/activity+json"}, timeout=30).json()
    assert after["totalItems"] == before["totalItems"] + 1
    last = requests.get(after["last"]["id"], timeout=30).json()["orderedItems"][-1]
    assert last["type"] == "Create"
    page = requests.get(last["object"]["url"][0]["href"], timeout=30)
    assert page.status_code == 200 and title in page.text
