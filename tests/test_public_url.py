"""The site's address comes from the settings, never from the client (issue #23: E7, A3, trusted proxies).

A real server (``tscgraph serve``) with ``public_url = "https://chm.example.org/"`` behind one trusted proxy
(``trusted_proxies = 1``) and a low rate limit. Every request here says ``Host: evil.example``: no URL the
server writes may carry it. The https address makes the session cookie ``Secure`` and adds HSTS; the
client address is the one the proxy wrote last in ``X-Forwarded-For``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from rdflib import Graph, URIRef

from tests.conftest import TESTS, start_server, stop_server

PUBLIC = "https://chm.example.org/"
EVIL = {"Host": "evil.example"}
RATE_LIMIT = 3
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = start_server(tmp_path_factory.mktemp("public-url"), public_url=PUBLIC, trusted_proxies="1",
                           rate_limit=str(RATE_LIMIT))
    yield started.url
    stop_server(started)


def urls_in(graph: Graph) -> set[str]:
    return {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}


def test_the_sitemap_and_robots_use_the_public_address(server):
    sitemap = requests.get(server + "/sitemap.xml", headers=EVIL, timeout=60)
    locs = [u.findtext(SM + "loc") for u in ET.fromstring(sitemap.content).iter(SM + "url")]
    assert PUBLIC + "id/project/biodiversa-plus" in locs
    assert all(loc.startswith(PUBLIC) for loc in locs) and "evil" not in sitemap.text
    robots = requests.get(server + "/robots.txt", headers=EVIL, timeout=30)
    assert f"Sitemap: {PUBLIC}sitemap.xml" in robots.text and "evil" not in robots.text


def test_void_and_the_service_description_use_the_public_address(server):
    void = Graph().parse(data=requests.get(server + "/.well-known/void", headers={**EVIL, "Accept": "text/turtle"},
                                           timeout=60).text, format="turtle")
    assert URIRef(PUBLIC + "sparql") in set(void.objects(None, URIRef(VOID + "sparqlEndpoint")))
    dumps = {str(d) for d in void.objects(None, URIRef(VOID + "dataDump"))}
    assert dumps and all(d.startswith(PUBLIC + "dumps/") for d in dumps)
    assert not [u for u in urls_in(void) if "evil" in u]
    described = Graph().parse(data=requests.get(server + "/sparql", headers={**EVIL, "Accept": "text/turtle"},
                                                timeout=30).text, format="turtle")
    assert set(described.objects(None, URIRef(SD + "endpoint"))) == {URIRef(PUBLIC + "sparql")}
    assert not [u for u in urls_in(described) if "evil" in u]


def test_locations_use_the_public_address(server):
    slash = requests.get(server + "/dumps", headers=EVIL, allow_redirects=False, timeout=30)  # routing's own redirect
    assert slash.status_code in (301, 308) and slash.headers["Location"] == PUBLIC + "dumps/"
    sent = requests.post(server + "/submissions", data=(TESTS / "shapes" / "ProjectShape-valid-01.ttl").read_bytes(),
                         headers={**EVIL, "Content-Type": "text/turtle", "Accept": "application/json",
                                  "X-Forwarded-For": "192.0.2.50", "X-Submitter-Name": "Ana Test",
                                  "X-Submitter-Email": "ana@example.org"}, timeout=60)
    assert sent.status_code == 201, sent.text
    assert sent.json()["status_url"] == PUBLIC.rstrip("/") + sent.headers["Location"]
    assert "evil" not in sent.headers["Location"]
    feed = requests.get(server + "/changes/local", headers={**EVIL, "Accept": "application/activity+json"}, timeout=30)
    assert feed.json()["id"].startswith(PUBLIC) and "evil" not in feed.text


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(server):
    page = requests.get(server + "/editor/login", timeout=30)
    cookie = page.headers["Set-Cookie"]
    assert "tscgraph_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" in requests.get(server + "/", timeout=30).headers


def login_post(server: str, forwarded_for: str) -> int:
    """A POST refused by its missing CSRF token (400) — after it counted against the client's rate limit."""
    return requests.post(server + "/editor/login", data={}, headers={"X-Forwarded-For": forwarded_for},
                         allow_redirects=False, timeout=30).status_code


def test_the_trusted_proxy_gives_the_client_address(server):
    assert [login_post(server, "203.0.113.7") for _ in range(RATE_LIMIT + 1)] == [400] * RATE_LIMIT + [429]
    assert login_post(server, "203.0.113.8") == 400  # another client behind the proxy is not held
    # a client's own X-Forwarded-For entries come before the proxy's: the proxy's (rightmost) one counts
    assert login_post(server, "198.51.100.99, 203.0.113.7") == 429
