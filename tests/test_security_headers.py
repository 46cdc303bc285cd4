"""Security headers on every answer (web/security.py), and pages that keep working under their strict
Content-Security-Policy in a real browser: no script runs, nothing is blocked that the page needs."""

from __future__ import annotations

import pytest
import requests

from web.security import SECURITY_HEADERS

PATHS = ["/", "/projects", "/projects?format=json", "/id/actor/ofb.ttl", "/sparql?query=ASK%7B%7D", "/static/style.css",
         "/no/such/page", "/changes", "/submit/project", "/.well-known/void"]
PAGES = ["/", "/projects", "/actors", "/gbf", "/vocab/gbf/target/3", "/commitments", "/biobridge", "/knowledge",
         "/submit/project", "/validate", "/sparql", "/queries", "/shapes", "/changes", "/harvest", "/id/actor/ofb"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(live_server, path):
    answer = requests.get(live_server + path, timeout=60)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (path, name)
    assert "script-src" not in SECURITY_HEADERS["Content-Security-Policy"]  # default-src 'none': no script at all


def test_pages_work_under_the_policy_in_a_browser(live_server, page):
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    for path in PAGES:
        answer = page.goto(live_server + path)
        assert answer is not None and answer.status == 200, path
        # the stylesheet applied (style-src 'self'): the page's body has the site's margin and font
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px", path
        assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily"), path
    assert blocked == []
    page.goto(live_server + "/sparql")
    page.fill("textarea[name=query]", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state()
    assert blocked == [] and "n" in page.content()
