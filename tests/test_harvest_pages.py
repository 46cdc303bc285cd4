"""The harvest status pages (web/harvest.py): /harvest, /harvest/NAME and a check on demand, on a real server."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from werkzeug.security import generate_password_hash

from tests.conftest import AUTH, TEST_DATA, TOKEN_HASH, csrf_of, screenshot, start_server, stop_server
from tests.test_moderation import PASSWORD, sign_in

DATA = TEST_DATA / "harvest"
UNTITLED = "https://partner.example.org/id/project/example-untitled"
release = threading.Event()


class Held(BaseHTTPRequestHandler):
    """Serves good.ttl once ``release`` is set: a harvest of it stays running until the test lets it go."""

    def do_GET(self):  # noqa: N802
        release.wait(30)  # bounded
        data = (DATA / "good.ttl").read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def partner():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Held)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def harvesting(tmp_path_factory, partner):
    tmp = tmp_path_factory.mktemp("harvesting")
    sources = tmp / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "good"\nkind = "rdf"\nurl = "{DATA / "good.ttl"}"\nschedule = "24h"\n\n'
        f'[[source]]\nname = "violating"\nkind = "rdf"\nurl = "{DATA / "with-violation.ttl"}"\n\n'
        f'[[source]]\nname = "held"\nkind = "rdf"\nurl = "{partner}/held.ttl"\n'
        'allow_private_addresses = true\n', encoding="utf-8")  # the partner is on loopback
    server = start_server(tmp, harvest_sources=str(sources), rate_limit="1000", query_workers="1",
                          update_tokens=TOKEN_HASH, editors="alice:" + generate_password_hash(PASSWORD))
    yield server.url
    stop_server(server)


def token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200
    return csrf_of(page.text)


def wait_for_run(url: str, name: str, runs: int = 1) -> dict:
    deadline = time.monotonic() + 60
    while True:  # bounded: 60 s
        data = requests.get(f"{url}/harvest/{name}?format=json", timeout=30).json()
        if len(data["runs"]) >= runs and not data["running"]:
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.2)


def check(session: requests.Session, url: str, name: str, **headers) -> requests.Response:
    """The page's form, sent by a signed-in editor's ``session``."""
    return session.post(f"{url}/harvest/{name}/check", data={"csrf_token": token(session, f"{url}/harvest/{name}")},
                        headers=headers, allow_redirects=False, timeout=30)


def test_no_sources_file_is_an_explained_empty_page(tmp_path):
    server = start_server(tmp_path, harvest_sources=str(tmp_path / "none.toml"))
    try:
        page = requests.get(server.url + "/harvest", timeout=30)
        assert page.status_code == 200 and "lists none" in page.text
        assert requests.get(server.url + "/harvest?format=json", timeout=30).json() == {
            "configured": False, "error": None, "sources": []}
        assert requests.get(server.url + "/harvest/anything", timeout=30).status_code == 404
    finally:
        stop_server(server)


def test_check_runs_the_harvest_and_shows_runs_and_quarantine(harvesting):
    session = sign_in(harvesting, next_path="/harvest")
    listing = requests.get(harvesting + "/harvest?format=json", timeout=30).json()
    assert [s["name"] for s in listing["sources"]] == ["good", "violating", "held"]
    assert listing["sources"][0]["schedule"] == "24h" and listing["sources"][0]["runs"] == []

    answer = requests.post(harvesting + "/harvest/good/check", headers={**AUTH, "Accept": "application/json"},
                           timeout=30)  # a partner's client, with a write token: no session, no form
    assert answer.status_code == 202 and answer.headers["Location"] == "/harvest/good"
    good = wait_for_run(harvesting, "good")
    run = good["runs"][0]
    assert (run["outcome"], run["records"], run["quarantined"], run["added"], run["removed"], run["changed"]) == (
        "ok", 2, 0, 2, 0, 0), run
    assert good["quarantine"] == [] and good["quarantined"] == 0

    answer = check(session, harvesting, "violating")  # the page's form: 303 back with a notice
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/harvest/violating")
    assert "has started" in session.get(harvesting + "/harvest/violating", timeout=30).text
    violating = wait_for_run(harvesting, "violating")
    assert violating["runs"][0]["outcome"] == "ok" and violating["quarantined"] == 1
    [held] = violating["quarantine"]
    assert held["iri"] == UNTITLED and not held["conforms"]
    assert "The project has no title." in [r["message"] for r in held["results"]]
    assert all(r["hint"] for r in held["results"])

    # checked again: nothing changed, and the run says so
    assert check(session, harvesting, "violating", Accept="application/json").status_code == 202
    again = wait_for_run(harvesting, "violating", runs=2)
    assert [r["outcome"] for r in again["runs"]] == ["unchanged", "ok"]

    page = requests.get(harvesting + "/harvest/violating", timeout=30).text
    assert UNTITLED in page and "The project has no title." in page and "How to fix it:" in page
    overview = session.get(harvesting + "/harvest", timeout=30)
    assert overview.status_code == 200 and "Check violating now" in overview.text
    assert "Check violating now" not in requests.get(harvesting + "/harvest", timeout=30).text  # anonymous
    summary = {s["name"]: s for s in requests.get(harvesting + "/harvest?format=json", timeout=30).json()["sources"]}
    assert summary["violating"]["quarantined"] == 1 and len(summary["violating"]["runs"]) == 2
    # the quarantine stays private for SPARQL
    ask = requests.get(harvesting + "/sparql", params={"query": f"ASK {{ <{UNTITLED}> ?p ?o }}"},
                       headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
    assert ask["boolean"] is False


def test_french_page(harvesting):
    session = sign_in(harvesting, next_path="/harvest")
    if not requests.get(harvesting + "/harvest/violating?format=json", timeout=30).json()["runs"]:
        check(session, harvesting, "violating")
        wait_for_run(harvesting, "violating")
    page = requests.get(harvesting + "/harvest/violating?lang=fr", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Language"] == "fr"
    assert "Moissonnage de violating" in page.text and "Le projet n&#39;a pas de titre." in page.text
    assert "Comment corriger" in page.text
    assert "Moissonnage" in requests.get(harvesting + "/harvest?lang=fr", timeout=30).text


def test_refusals(harvesting):
    assert requests.get(harvesting + "/harvest/nope", timeout=30).status_code == 404
    assert requests.get(harvesting + "/harvest/nope?format=json", timeout=30).status_code == 404
    refused = requests.post(harvesting + "/harvest/good/check", data={}, timeout=30)  # anonymous: no form either
    assert refused.status_code == 401 and "signed-in editor" in refused.text
    wrong = requests.post(harvesting + "/harvest/good/check", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    session = sign_in(harvesting, next_path="/harvest")
    assert session.post(harvesting + "/harvest/good/check", data={}, timeout=30).status_code == 400
    assert session.post(harvesting + "/harvest/nope/check", data={}, timeout=30).status_code == 404


def test_second_check_while_running_is_409(harvesting):
    session = sign_in(harvesting, next_path="/harvest")
    release.clear()
    try:
        assert check(session, harvesting, "held", Accept="application/json").status_code == 202
        assert requests.get(harvesting + "/harvest/held?format=json", timeout=30).json()["running"] is True
        second = check(session, harvesting, "held", Accept="application/json")
        assert second.status_code == 409 and "already running" in second.json()["error"]
        assert check(session, harvesting, "held").status_code == 409  # the page's form too
    finally:
        release.set()
    data = wait_for_run(harvesting, "held")
    assert data["runs"][0]["outcome"] == "ok" and data["runs"][0]["records"] == 2
    assert check(session, harvesting, "held", Accept="application/json").status_code == 202  # free again
    wait_for_run(harvesting, "held", runs=2)


def test_page_in_a_browser(harvesting, page):
    page.goto(harvesting + "/editor/login?next=/harvest")
    page.get_by_label("Login").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/harvest")
    section = page.locator("#source-good")
    before = section.locator("tr.run").count()
    section.get_by_role("button", name="Check good now").click()
    page.wait_for_url("**/harvest/good")
    assert "has started" in page.locator(".notice").first.inner_text()
    wait_for_run(harvesting, "good", runs=before + 1)
    page.reload()
    assert page.locator("tr.run").count() == before + 1
    assert page.locator("tr.run td.outcome").first.inner_text() in ("updated", "unchanged")
    page.goto(harvesting + "/harvest")
    screenshot(page, "harvest")
