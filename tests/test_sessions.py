"""Editors' sessions and sign-in against a hostile client, over real HTTP (issue #23: C6, C7, C8, F4, the
per-login back-off, the client address without trusted proxies).

A real server (``tscgraph serve``) with editors ``alice`` and ``carol`` (carol's login is the one the back-off tests
lock), a write token, ``trusted_proxies = 0`` and the default address (http). Session records are also
checked in process on a store of the test's own (expiry, purge, only a hash kept), with explicit times.
"""

from __future__ import annotations

import hashlib
import http.client
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.security import generate_password_hash

from graph import sessions
from graph.store.oxigraph import OxigraphStore
from tests.conftest import TOKEN, TOKEN_HASH, csrf_of, make_settings, start_server, stop_server
from tests.test_moderation import PASSWORD, decide, sign_in, status_of, submit_project
from web.editors import DEFAULT_NEXT, LoginBackoff, safe_next

CAROL_PASSWORD = "carol's own long test password"
RATE_LIMIT = 60  # POSTs per address per window: the session tests stay under it; one test exhausts it elsewhere


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    editors = f"alice:{generate_password_hash(PASSWORD)},carol:{generate_password_hash(CAROL_PASSWORD)}"
    started = start_server(tmp_path_factory.mktemp("sessions"), rate_limit=str(RATE_LIMIT), editors=editors,
                           update_tokens=TOKEN_HASH)
    yield started
    stop_server(started)


def copy_of(browser: requests.Session) -> requests.Session:
    """Another client holding the same cookie (copied from a shared computer, a proxy log, a backup)."""
    thief = requests.Session()
    thief.cookies.update(browser.cookies)
    return thief


def sign_out(browser: requests.Session, url: str) -> None:
    page = browser.get(url + "/moderation", timeout=30)
    out = browser.post(url + "/editor/logout", data={"csrf_token": csrf_of(page.text)}, allow_redirects=False, timeout=30)
    assert out.status_code == 303


def is_signed_in(client: requests.Session, url: str) -> bool:
    answer = client.get(url + "/moderation", allow_redirects=False, timeout=30)
    assert answer.status_code in (200, 303)
    return answer.status_code == 200


# ------------------------------------------------------------------ C6: signing out ends every copy


def test_a_cookie_copied_before_sign_out_is_refused_after(server):
    submission_id = submit_project(server.url, "Project a stolen cookie must not decide")
    alice = sign_in(server.url)
    thief = copy_of(alice)
    assert is_signed_in(thief, server.url)  # the copy works while the session lives
    sign_out(alice, server.url)

    for path in ("/moderation", f"/moderation/{submission_id}", f"/moderation/{submission_id}/preview",
                 "/moderation/duplicates"):
        page = thief.get(server.url + path, allow_redirects=False, timeout=30)
        assert page.status_code == 303 and page.headers["Location"].startswith("/editor/login"), path
    # the copy still carries the session's CSRF token: what is refused is the session itself
    approve = decide(thief, server.url, submission_id, "approve")
    reject = decide(thief, server.url, submission_id, "reject", reason="stolen")
    assert approve.status_code == 403 and reject.status_code == 403
    assert status_of(server.url, submission_id) == "pending"


def test_two_sessions_of_one_editor_are_independent(server):
    office, laptop = sign_in(server.url), sign_in(server.url)
    assert is_signed_in(office, server.url) and is_signed_in(laptop, server.url)
    sign_out(office, server.url)
    assert not is_signed_in(office, server.url)
    page = laptop.get(server.url + "/moderation", timeout=30)
    assert page.status_code == 200 and "Signed in as alice" in page.text


def test_sessions_are_kept_in_a_private_graph(server):
    sign_in(server.url)
    graph = "https://chm.example.org/graph/sessions"
    answer = requests.get(server.url + "/sparql", params={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["boolean"] is False
    anywhere = requests.get(server.url + "/sparql", params={
        "query": "ASK { ?s <http://www.w3.org/ns/prov#wasAssociatedWith> ?e FILTER(CONTAINS(STR(?e), '/id/editor/')) }"},
        headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert anywhere.json()["boolean"] is False
    listed = requests.get(server.url + "/graph", params={"format": "json"}, timeout=30).json()["graphs"]
    assert graph not in {g["graph"] for g in listed}


def test_session_records_expire_are_purged_and_keep_only_a_hash(tmp_path):
    settings = make_settings(tmp_path, editors=("alice:scrypt:1$2$3", "bob:scrypt:1$2$3"))
    start = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
    with OxigraphStore(settings.store_dir) as store:
        alice = sessions.start_session(store, settings, "alice", now=start)
        bob = sessions.start_session(store, settings, "bob", now=start)
        held = store.read_graph(settings.sessions_graph).serialize(format="nt")
        assert alice not in held and hashlib.sha256(alice.encode()).hexdigest() in held
        assert sessions.session_editor(store, settings, alice, now=start + timedelta(hours=7, minutes=59)) == "alice"
        assert sessions.session_editor(store, settings, alice, now=start + timedelta(hours=8)) is None  # 8 h at most
        assert sessions.session_editor(store, settings, alice + "x", now=start) is None
        without_bob = make_settings(tmp_path, editors=("alice:scrypt:1$2$3",))
        assert sessions.session_editor(store, without_bob, bob, now=start) is None  # removed from the settings
        later = sessions.start_session(store, without_bob, "alice", now=start + timedelta(hours=9))
        subjects = set(store.read_graph(settings.sessions_graph).subjects())
        assert subjects == {sessions.session_iri(settings, later)}  # the expired and the removed editor's: purged
        sessions.end_session(store, settings, later)
        assert len(store.read_graph(settings.sessions_graph)) == 0


# ------------------------------------------------------------------ C7, C8: next= stays on this site

HOSTILE_NEXT = [
    "//evil.example/", "/\t/evil.example/", "/\r/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/",
    "\t//evil.example/", "/\\evil.example/", "\\\\evil.example/", "/\\/evil.example/", "https:evil.example",
    "https://evil.example/", "javascript:alert(1)", "//evil.example/%2F..", "/%2F/evil.example/", "/%2f%2Fevil.example/",
    "/%5Cevil.example/", "/%09/evil.example/", "/\u3000/evil.example/", "/\u00a0/evil.example/", "/\u200b/evil.example/",
    "/\u2028/evil.example/", "/\x00/evil.example/", "/ /evil.example/", "evil.example", "moderation", "",
    "///evil.example/", "http:/evil.example", "/x\ny",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_accepts_only_paths_of_this_site(target):
    assert safe_next(target) == DEFAULT_NEXT


@pytest.mark.parametrize("target", ["/moderation", "/moderation?status=rejected", "/moderation/abc/preview?record="
                                    "https%3A%2F%2Fchm.example.org%2Fid%2Fproject%2Fx", "/projects?q=mangrove", "/é"])
def test_next_keeps_a_path_of_this_site(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_signed_in_editor_is_never_sent_elsewhere(server, signed_in, target):
    answer = signed_in.get(server.url + "/editor/login", params={"next": target}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == DEFAULT_NEXT


@pytest.fixture(scope="module")
def signed_in(server):
    return sign_in(server.url)


@pytest.mark.parametrize("raw", ["/%09/evil.example/", "/%0D/evil.example/", "/%0D%0ASet-Cookie:%20x=1", "%2F%2Fevil.example"])
def test_the_reported_spellings_over_the_wire(server, signed_in, raw):
    """The query string as the attacker wrote it (a CR was a 500; a tab sent the editor to //evil.example/)."""
    answer = signed_in.get(f"{server.url}/editor/login?next={raw}", allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == DEFAULT_NEXT
    assert "x=1" not in answer.headers.get("Set-Cookie", "")
    form = requests.get(f"{server.url}/editor/login?next={raw}", timeout=30)  # the sign-in form keeps no hostile next
    assert form.status_code == 200 and 'name="next" value="/moderation"' in form.text


def test_signing_in_with_a_tab_in_next_lands_on_this_site(server):
    browser = requests.Session()
    token = csrf_of(browser.get(server.url + "/editor/login", timeout=30).text)
    answer = browser.post(server.url + "/editor/login", data={"csrf_token": token, "login": "alice", "password": PASSWORD,
                                                              "next": "/\t/evil.example/"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == DEFAULT_NEXT


# ------------------------------------------------------------------ back-off per login


def attempt(url: str, login: str, password: str) -> requests.Response:
    browser = requests.Session()
    token = csrf_of(browser.get(url + "/editor/login", timeout=30).text)
    return browser.post(url + "/editor/login", data={"csrf_token": token, "login": login, "password": password},
                        allow_redirects=False, timeout=30)


def test_failed_sign_ins_back_off_per_login(server):
    free = LoginBackoff.free
    for _round in range(2):  # a success resets the count: twice free - 1 failures never trip it
        assert [attempt(server.url, "carol", f"guess {n}").status_code for n in range(free - 1)] == [401] * (free - 1)
        assert attempt(server.url, "carol", CAROL_PASSWORD).status_code == 303
    assert [attempt(server.url, "carol", f"guess {n}").status_code for n in range(free)] == [401] * free
    late = attempt(server.url, "carol", CAROL_PASSWORD)  # even the right password waits now
    assert late.status_code == 429 and int(late.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins for this login" in late.text and "Signed in" not in late.text
    unknown = [attempt(server.url, "mallory", f"guess {n}").status_code for n in range(free + 1)]
    assert unknown == [401] * free + [429]  # an unknown login is treated the same: nothing tells which exist
    assert attempt(server.url, "alice", PASSWORD).status_code == 303  # other logins are not held


def test_the_back_off_grows_and_forgets():
    backoff = LoginBackoff()
    for n in range(backoff.free):
        assert backoff.attempt("x", now=float(n)) == 0
    first = backoff.attempt("x", now=float(backoff.free))
    assert first > 0
    assert backoff.attempt("x", now=backoff.free + first) == 0  # waited: one more try, failed again
    second = backoff.attempt("x", now=backoff.free + first)
    assert second >= 2 * first - 1 and second <= backoff.max_wait
    assert backoff.attempt("x", now=10 * backoff.forget_after) == 0  # long after the last failure: forgotten
    backoff.succeeded("x")
    assert backoff.failures == {}


# ------------------------------------------------------------------ http: no Secure flag, no HSTS


def test_over_http_the_cookie_is_not_secure_and_there_is_no_hsts(server):
    page = requests.get(server.url + "/editor/login", timeout=30)
    assert "tscgraph_session=" in page.headers["Set-Cookie"] and "Secure" not in page.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in page.headers


# ------------------------------------------------------------------ the client address: no proxy trusted


def post_from(url: str, source: str, forwarded_for: str) -> int:
    """A POST from the loopback address ``source`` (127.0.0.2…), claiming ``X-Forwarded-For``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(source, 0))
    try:
        connection.request("POST", "/editor/login", body="", headers={"X-Forwarded-For": forwarded_for,
                                                                     "Content-Type": "application/x-www-form-urlencoded"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_forwarded_for_is_ignored_without_trusted_proxies(server):
    codes = [post_from(server.url, "127.0.0.2", f"198.51.100.{n}") for n in range(RATE_LIMIT + 1)]
    assert codes == [400] * RATE_LIMIT + [429]  # every claimed address was the one real address
    assert post_from(server.url, "127.0.0.3", "198.51.100.1") == 400  # another real address is not held


# ------------------------------------------------------------------ F4: /metrics without editors' activity


EDITOR_ROUTE = re.compile(r'route="/(editor|moderation)')


def test_metrics_leave_out_editors_unless_authenticated(server):
    sign_in(server.url)
    anonymous = requests.get(server.url + "/metrics", timeout=30)
    assert anonymous.status_code == 200 and 'route="/health"' in anonymous.text
    assert not EDITOR_ROUTE.search(anonymous.text)
    operator = requests.get(server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert operator.status_code == 200 and 'method="POST",route="/editor/login",status="303"' in operator.text
    wrong = requests.get(server.url + "/metrics", headers={"Authorization": "Bearer not-the-token"}, timeout=30)
    assert wrong.status_code == 401 and not EDITOR_ROUTE.search(wrong.text)
