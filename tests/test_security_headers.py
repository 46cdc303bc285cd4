"""Security headers on every answer (web/security.py), and pages that keep working under their strict
Content-Security-Policy in a real browser: no script runs, nothing is blocked that the page needs."""

from __future__ import annotations

import pytest
import requests

from web.security import SECURITY_HEADERS, WORKBENCH_CSP

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


@pytest.mark.parametrize("path", PAGES)
def test_only_the_sparql_page_may_run_script(live_server, path):
    """The workbench (/sparql) may run its own script files and fetch from this site; no other page runs script."""
    answer = requests.get(live_server + path, headers={"Accept": "text/html"}, timeout=60)
    policy = answer.headers["Content-Security-Policy"]
    if path == "/sparql":
        assert policy == WORKBENCH_CSP and "script-src 'self';" in policy and "unsafe-" not in policy
    else:
        assert policy == SECURITY_HEADERS["Content-Security-Policy"] and "script-src" not in policy


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
    page.goto(live_server + "/sparql")  # the workbench runs a query under its own policy
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    page.locator(".workbench button.run").click()
    page.locator(".workbench table.results").wait_for()
    assert blocked == [] and page.locator(".workbench table.results th").inner_text().startswith("n")
