"""Who may change what: the one list of routes that are not plain reads (``web/auth.py`` ``WRITE_ROUTES``),
checked against the app and walked on a real server.

* The list is complete: the app has no other route taking POST, PUT, PATCH or DELETE.
* Each route that needs credentials is refused without them (401 or 403) and the store is unchanged;
  then, with them, it does its work and the work shows. Routes open to anyone are rate limited (429).

``tests/test_writes.py`` adds the bad-token cases (wrong token, wrong scheme, writes disabled) on every
store backend; ``tests/test_moderation.py`` the sign-in, its one message and the session's end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
import requests
from werkzeug.security import generate_password_hash

from graph.settings import ROOT
from server import create_app
from tests.conftest import (
    AUTH,
    BASE,
    TEST_DATA,
    TOKEN_HASH,
    client_from,
    csrf_of,
    make_settings,
    start_server,
    stop_server,
)
from tests.test_duplicates import HARVEST, MNHN, OFB, PARTNER_DATA, PARTNER_MNHN, PARTNER_OFB
from tests.test_moderation import PASSWORD, sign_in, status_of, submit_project
from web.auth import WRITE_ROUTES, Access, WriteRoute

READS = {"GET", "HEAD", "OPTIONS"}
TTL = "text/turtle"


def test_the_list_holds_every_route_that_is_not_a_read(tmp_path):
    app = create_app(make_settings(tmp_path))
    found = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - READS}
    listed = {(route.method, route.rule) for route in WRITE_ROUTES}
    assert found == listed
    assert len(listed) == len(WRITE_ROUTES)  # each once


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    sources = tmp / "sources.toml"
    sources.write_text(f'[[source]]\nname = "good"\nkind = "rdf"\nurl = "{TEST_DATA / "harvest" / "good.ttl"}"\n',
                       encoding="utf-8")
    started = start_server(tmp, update_tokens=TOKEN_HASH, editors="alice:" + generate_password_hash(PASSWORD),
                           harvest_sources=str(sources), rate_limit="1000")
    put = requests.put(f"{started.url}/data", params={"graph": HARVEST}, data=PARTNER_DATA.encode(),
                       headers={**AUTH, "Content-Type": TTL}, timeout=60)
    assert put.status_code in (201, 204), put.text  # two duplicate proposals for the editor routes
    yield started.url
    stop_server(started)


def ask(url: str, query: str) -> bool:
    answer = requests.get(url + "/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def graph_exists(url: str, graph: str) -> bool:
    return ask(url, f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def new_graph() -> str:
    return f"{BASE}graph/test/access-{uuid.uuid4().hex[:10]}"


def triple(graph: str) -> str:
    return f"<{graph}#s> <{BASE}p> \"access walk\" ."


def harvest_runs(url: str) -> int:
    return len(requests.get(url + "/harvest/good?format=json", timeout=30).json()["runs"])


def harvest_started(url: str, runs: int) -> bool:
    """Whether a run began since there were ``runs`` (a started check is running before its answer is sent)."""
    data = requests.get(url + "/harvest/good?format=json", timeout=30).json()
    return data["running"] or len(data["runs"]) > runs


def wait_for_harvest_runs(url: str, runs: int) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # bounded: 60 s
        data = requests.get(url + "/harvest/good?format=json", timeout=30).json()
        if len(data["runs"]) >= runs and not data["running"]:
            return True
        time.sleep(0.2)
    return False


# ------------------------------------------------------------------ one attempt per route
# Each takes the server's address and the credentials to use (None: none at all) and returns the answer
# and a probe telling whether the route's work landed.

Attempt = Callable[[str, "Credentials | None"], tuple[requests.Response, Callable[[], bool]]]


class Credentials:
    """What a client with the route's credentials sends: a bearer token, or an editor's session."""

    def __init__(self, url: str, access: Access):
        self.headers = AUTH if access in (Access.TOKEN, Access.TOKEN_OR_EDITOR) else {}
        self.session = sign_in(url, password=PASSWORD) if access is Access.EDITOR else requests.Session()

    def csrf(self, url: str, page: str) -> dict:
        """The form's CSRF token, as the editor's page gives it (an editor's form needs it)."""
        return {"csrf_token": csrf_of(self.session.get(url + page, timeout=30).text)}


def anonymous_or(credentials: Credentials | None) -> requests.Session:
    return credentials.session if credentials else requests.Session()


def sparql_update(url, credentials, path="/update"):
    graph = new_graph()
    text = f"INSERT DATA {{ GRAPH <{graph}> {{ {triple(graph)} }} }}"
    headers = credentials.headers if credentials else {}
    if path == "/sparql":
        answer = requests.post(url + path, data={"update": text}, headers=headers, timeout=30)
    else:
        answer = requests.post(url + path, data=text.encode(), timeout=30,
                               headers={**headers, "Content-Type": "application/sparql-update"})
    return answer, lambda: graph_exists(url, graph)


def graph_store(method):
    def attempt(url, credentials):
        graph, headers = new_graph(), (credentials.headers if credentials else {})
        if method == "DELETE":
            put = requests.put(url + "/data", params={"graph": graph}, data=triple(graph).encode(),
                               headers={**AUTH, "Content-Type": TTL}, timeout=30)
            assert put.status_code in (201, 204), put.text
            answer = requests.delete(url + "/data", params={"graph": graph}, headers=headers, timeout=30)
            return answer, lambda: not graph_exists(url, graph)
        answer = requests.request(method, url + "/data", params={"graph": graph}, data=triple(graph).encode(),
                                  headers={**headers, "Content-Type": TTL}, timeout=30)
        return answer, lambda: graph_exists(url, graph)
    return attempt


def harvest_check(url, credentials):
    runs = harvest_runs(url)
    if credentials is None:
        answer = requests.post(url + "/harvest/good/check", data={}, timeout=30)
        return answer, lambda: harvest_started(url, runs)
    answer = credentials.session.post(url + "/harvest/good/check", headers=credentials.headers,
                                      allow_redirects=False, timeout=30)
    return answer, lambda: wait_for_harvest_runs(url, runs + 1)


def moderation(action: str, fields: dict):
    def attempt(url, credentials):
        submission = submit_project(url, f"Access walk {action} {uuid.uuid4().hex[:6]}")
        form = credentials.csrf(url, f"/moderation/{submission}") if credentials else {}
        answer = anonymous_or(credentials).post(f"{url}/moderation/{submission}/{action}", data={**form, **fields},
                                                allow_redirects=False, timeout=60)
        return answer, lambda: status_of(url, submission) != "pending"
    return attempt


def duplicate(action: str, a: str, b: str):
    def attempt(url, credentials):
        form = credentials.csrf(url, "/moderation/duplicates") if credentials else {}
        answer = anonymous_or(credentials).post(f"{url}/moderation/duplicates/{action}", data={**form, "a": a, "b": b},
                                                allow_redirects=False, timeout=60)

        def landed() -> bool:
            page = sign_in(url, password=PASSWORD).get(url + "/moderation/duplicates", timeout=60).text
            return f'data-a="{a}" data-b="{b}"' not in page
        return answer, landed
    return attempt


ATTEMPTS: dict[tuple[str, str], Attempt] = {
    ("POST", "/sparql"): lambda url, credentials: sparql_update(url, credentials, "/sparql"),
    ("POST", "/update"): sparql_update,
    ("PUT", "/data"): graph_store("PUT"),
    ("POST", "/data"): graph_store("POST"),
    ("DELETE", "/data"): graph_store("DELETE"),
    ("POST", "/harvest/<name>/check"): harvest_check,
    ("POST", "/moderation/<submission_id>/approve"): moderation("approve", {}),
    ("POST", "/moderation/<submission_id>/reject"): moderation("reject", {"reason": "Out of scope: the walk."}),
    ("POST", "/moderation/duplicates/confirm"): duplicate("confirm", OFB, PARTNER_OFB),
    ("POST", "/moderation/duplicates/dismiss"): duplicate("dismiss", MNHN, PARTNER_MNHN),
}
GUARDED = [route for route in WRITE_ROUTES if route.access is not Access.ANYONE]


def route_id(route: WriteRoute) -> str:
    return f"{route.method} {route.rule}"


def test_every_guarded_route_has_an_attempt():
    assert {(r.method, r.rule) for r in GUARDED} == set(ATTEMPTS)


@pytest.mark.parametrize("route", GUARDED, ids=route_id)
def test_refused_without_credentials_and_done_with_them(server, route):
    attempt = ATTEMPTS[(route.method, route.rule)]
    refused, landed = attempt(server, None)
    assert refused.status_code in (401, 403), refused.text
    assert refused.text.strip(), "a refusal says why"
    if refused.status_code == 401:
        assert refused.headers["WWW-Authenticate"].startswith("Bearer ")
    assert not landed()

    done, landed = attempt(server, Credentials(server, route.access))
    assert done.status_code in (200, 201, 202, 204, 303), done.text[-2000:]
    assert landed()


def test_harvest_check_takes_an_editor_session_too(server):
    editor = Credentials(server, Access.EDITOR)
    runs = harvest_runs(server)
    answer = editor.session.post(server + "/harvest/good/check", data=editor.csrf(server, "/harvest/good"),
                                 allow_redirects=False, timeout=30)
    assert answer.status_code == 303, answer.text
    assert wait_for_harvest_runs(server, runs + 1)


# ------------------------------------------------------------------ open to anyone, within the rate limit


def open_route_request(browser: requests.Session, url: str, route: WriteRoute) -> requests.Response:
    """A well-formed anonymous POST on ``route`` (a form with its CSRF token where it has a form)."""
    if route.rule in ("/validate", "/submissions"):  # RDF from a client: submitter in headers, no form
        return browser.post(url + route.rule, data=triple(new_graph()).encode(), timeout=30, headers={
            "Content-Type": TTL, "X-Submitter-Name": "Walk", "X-Submitter-Email": "walk@example.org"})
    page = "/submit/project" if route.rule == "/submit/<kind>" else "/editor/login"
    target = "/editor/logout" if route.rule == "/editor/logout" else page
    form = csrf_of(browser.get(url + page, timeout=30).text)
    return browser.post(url + target, data={"csrf_token": form, "login": "mallory", "password": "guess"},
                        allow_redirects=False, timeout=30)


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """A server allowing 2 anonymous POSTs per client per minute."""
    started = start_server(tmp_path_factory.mktemp("limited"), rate_limit="2", rate_limit_window="60")
    yield started.url
    stop_server(started)


OPEN = [r for r in WRITE_ROUTES if r.access is Access.ANYONE]


@pytest.mark.parametrize("route", OPEN, ids=route_id)
def test_open_routes_are_rate_limited(limited, route):
    browser = client_from(f"127.0.0.{10 + OPEN.index(route)}")  # a client address of its own
    statuses = [open_route_request(browser, limited, route).status_code for _ in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429, statuses


def test_validating_writes_nothing(server):
    sent = requests.post(server + "/validate", data=f"<{BASE}x> <{BASE}p> \"open walk\" .".encode(),
                         headers={"Content-Type": TTL}, timeout=30)
    assert sent.status_code == 200, sent.text
    assert not ask(server, f"ASK {{ ?s <{BASE}p> \"open walk\" }}")


def test_the_security_page_lists_every_route_with_its_access():
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for route in WRITE_ROUTES:
        assert f"| `{route.method} {route.rule}` | {route.access.value} |" in page, route_id(route)
