"""Moderation over HTTP: editors sign in, read the queue, preview, approve or reject; nothing is lost.

A real server (gunicorn) whose editors are ``alice`` (a hash made here) and ``bob`` (a hash made by
``tscgraph editor-password``, run for real); submissions are sent through the project form as a person
would. Each decision is checked where it shows: the public listing and SPARQL, the submitter's status
page, the editors' page of the submission.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.security import generate_password_hash

from graph.settings import ROOT
from tests.conftest import BIN, cli_env, csrf_of, start_server, stop_server

PASSWORD = "alice's long test password"
BOB_PASSWORD = "bob types another one 42"
LEAD = "https://chm.example.org/id/actor/ofb"


@pytest.fixture(scope="module")
def bob_entry(tmp_path_factory) -> str:
    """``tscgraph editor-password bob``, the password on standard input: the line to configure."""
    tmp = tmp_path_factory.mktemp("cli")
    done = subprocess.run([str(BIN / "tscgraph"), "editor-password", "bob"], input=BOB_PASSWORD + "\n",
                          capture_output=True, text=True, env=cli_env(tmp / "store"), timeout=60)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith("bob:scrypt:") and BOB_PASSWORD not in line and "\n" not in line
    return line


@pytest.fixture(scope="module")
def server(tmp_path_factory, bob_entry):
    alice = "alice:" + generate_password_hash(PASSWORD)
    started = start_server(tmp_path_factory.mktemp("moderation"), rate_limit="1000", editors=f"{alice},{bob_entry}")
    yield started
    stop_server(started)


def sign_in(url: str, login: str = "alice", password: str = PASSWORD, next_path: str = "/moderation") -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/editor/login", params={"next": next_path}, timeout=30)
    answer = browser.post(f"{url}/editor/login", data={
        "csrf_token": csrf_of(form.text), "login": login, "password": password, "next": next_path,
    }, allow_redirects=False, timeout=30)
    assert answer.status_code == 303, answer.text
    return browser


def submit_project(url: str, title: str) -> str:
    """Send a conforming project through the form; its submission id (from the status page's address)."""
    person = requests.Session()
    form = person.get(f"{url}/submit/project", timeout=30)
    assert form.status_code == 200
    sent = person.post(f"{url}/submit/project", data={
        "csrf_token": csrf_of(form.text), "dcterms-title.en": title, "tsc-leadOrganisation": LEAD,
        "submitter-name": "Camille Test", "submitter-email": "camille@example.org",
    }, allow_redirects=False, timeout=60)
    assert sent.status_code == 303, sent.text[-3000:]
    path = urlsplit(sent.headers["Location"]).path
    assert path.startswith("/submissions/")
    return path.rsplit("/", 1)[1]


def published_titles(url: str) -> set[str]:
    items = requests.get(f"{url}/projects", params={"format": "json"}, timeout=60).json()["items"]
    return {item["title"] for item in items}


def sparql_finds(url: str, title: str) -> bool:
    query = 'PREFIX dcterms: <http://purl.org/dc/terms/> ASK { ?p a <https://w3id.org/tscgraph/ontology#Project> ; dcterms:title ?t . FILTER(STR(?t) = "%s") }' % title
    answer = requests.get(f"{url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def status_of(url: str, submission_id: str) -> str:
    page = requests.get(f"{url}/submissions/{submission_id}", timeout=30)
    assert page.status_code == 200
    return re.search(r'class="submission-status" data-status="(\w+)"', page.text).group(1)


def decide(browser: requests.Session, url: str, submission_id: str, action: str, **fields) -> requests.Response:
    page = browser.get(f"{url}/moderation", timeout=30)
    return browser.post(f"{url}/moderation/{submission_id}/{action}", data={"csrf_token": csrf_of(page.text), **fields},
                        allow_redirects=False, timeout=60)


# ------------------------------------------------------------------ signing in


@pytest.mark.parametrize("path", ["/moderation", "/moderation?status=rejected", "/moderation/abc", "/moderation/abc/preview"])
def test_moderation_pages_send_visitors_to_sign_in(server, path):
    answer = requests.get(server.url + path, allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    target = urlsplit(answer.headers["Location"])
    assert target.path == "/editor/login" and parse_qs(target.query)["next"] == [path]


def test_a_wrong_password_or_an_unknown_login_is_one_401(server):
    browser = requests.Session()
    token = csrf_of(browser.get(f"{server.url}/editor/login", timeout=30).text)
    answers = [browser.post(f"{server.url}/editor/login", data={"csrf_token": token, "login": login, "password": password},
                            allow_redirects=False, timeout=30)
               for login, password in [("alice", "not the password"), ("mallory", PASSWORD), ("alice", "")]]
    assert [a.status_code for a in answers] == [401, 401, 401]
    messages = [re.search(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', a.text).group(1) for a in answers]
    assert messages == ["Wrong login or password."] * 3  # nothing tells which logins exist
    assert PASSWORD not in answers[1].text
    still_out = browser.get(f"{server.url}/moderation", allow_redirects=False, timeout=30)
    assert still_out.status_code == 303 and still_out.headers["Location"].startswith("/editor/login")


def test_signing_in_needs_the_csrf_token(server):
    answer = requests.post(f"{server.url}/editor/login", data={"login": "alice", "password": PASSWORD}, allow_redirects=False, timeout=30)
    assert answer.status_code == 400 and "tscgraph_session" not in answer.headers.get("Set-Cookie", "")


def test_signing_in_opens_the_queue_with_a_fresh_short_session(server):
    browser = requests.Session()
    form = browser.get(f"{server.url}/editor/login?next=/moderation", timeout=30)
    anonymous_token = csrf_of(form.text)
    answer = browser.post(f"{server.url}/editor/login", data={"csrf_token": anonymous_token, "login": "alice",
                                                              "password": PASSWORD, "next": "/moderation"},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == "/moderation"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    queue = browser.get(server.url + "/moderation", timeout=30)
    assert queue.status_code == 200 and "Moderation queue" in queue.text and "Signed in as alice" in queue.text
    assert queue.headers["Cache-Control"] == "no-store" and "noindex" in queue.headers["X-Robots-Tag"]
    assert csrf_of(queue.text) != anonymous_token  # the session was renewed at sign-in


def test_signing_in_never_redirects_elsewhere(server):
    browser = requests.Session()
    token = csrf_of(browser.get(f"{server.url}/editor/login", timeout=30).text)
    answer = browser.post(f"{server.url}/editor/login", data={"csrf_token": token, "login": "alice", "password": PASSWORD,
                                                              "next": "//evil.example/steal"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == "/moderation"


def test_the_cli_made_hash_signs_in(server):
    browser = sign_in(server.url, "bob", BOB_PASSWORD)
    assert "Signed in as bob" in browser.get(server.url + "/moderation", timeout=30).text


def test_editor_password_refuses_bad_input(run_cli):
    short = run_cli("editor-password", "carol", input="short\n")
    assert short.returncode == 2 and "shorter than 8" in short.stderr and short.stdout == ""
    bad = run_cli("editor-password", "carol smith", input="long enough password\n")
    assert bad.returncode == 2 and "login" in bad.stderr and bad.stdout == ""


def test_signing_out_ends_the_session(server):
    browser = sign_in(server.url)
    page = browser.get(server.url + "/moderation", timeout=30)
    assert browser.post(f"{server.url}/editor/logout", data={}, allow_redirects=False, timeout=30).status_code == 400
    out = browser.post(f"{server.url}/editor/logout", data={"csrf_token": csrf_of(page.text)}, allow_redirects=False, timeout=30)
    assert out.status_code == 303
    again = browser.get(server.url + "/moderation", allow_redirects=False, timeout=30)
    assert again.status_code == 303 and again.headers["Location"].startswith("/editor/login")


# ------------------------------------------------------------------ deciding


def test_approving_publishes_and_keeps_the_history(server):
    title = f"Moderated mangrove project {uuid.uuid4().hex[:8]}"
    submission_id = submit_project(server.url, title)
    editor = sign_in(server.url)
    queue = editor.get(server.url + "/moderation", timeout=30).text
    assert title in queue and f"/moderation/{submission_id}" in queue and "Camille Test" in queue
    item = editor.get(f"{server.url}/moderation/{submission_id}", timeout=30)
    assert item.status_code == 200 and "camille@example.org" in item.text and title in item.text
    assert "Conforms to the shapes." in item.text and "Preview as published" in item.text and "@prefix" in item.text

    # without the CSRF token (400) or without an editor (403): nothing changes
    refused = editor.post(f"{server.url}/moderation/{submission_id}/approve", data={}, allow_redirects=False, timeout=30)
    assert refused.status_code == 400
    anonymous = requests.Session()
    token = csrf_of(anonymous.get(f"{server.url}/editor/login", timeout=30).text)
    forbidden = anonymous.post(f"{server.url}/moderation/{submission_id}/approve", data={"csrf_token": token}, allow_redirects=False, timeout=30)
    assert forbidden.status_code == 403
    assert status_of(server.url, submission_id) == "pending"
    assert title not in published_titles(server.url) and not sparql_finds(server.url, title)

    approved = decide(editor, server.url, submission_id, "approve")
    assert approved.status_code == 303 and approved.headers["Location"].endswith(f"/moderation/{submission_id}")
    assert title in published_titles(server.url) and sparql_finds(server.url, title)
    assert status_of(server.url, submission_id) == "approved"
    page = editor.get(f"{server.url}/moderation/{submission_id}", timeout=30).text
    history = re.search(r'<table class="history">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"<td>Approved</td>.*?<td>alice</td>", history, re.S) and "<td>Pending</td>" in history
    assert "Approved: the submission is now published." in page  # the notice after the redirect
    assert 'id="approve"' not in page  # decided: no more buttons
    assert submission_id in editor.get(server.url + "/moderation?status=approved", timeout=30).text

    twice = decide(editor, server.url, submission_id, "approve")
    assert twice.status_code == 409
    assert sparql_finds(server.url, title)


def test_rejecting_needs_a_reason_and_shows_it_to_the_submitter(server):
    title = f"Rejected reef project {uuid.uuid4().hex[:8]}"
    submission_id = submit_project(server.url, title)
    editor = sign_in(server.url)
    assert decide(editor, server.url, submission_id, "reject", reason="   ").status_code == 400
    assert status_of(server.url, submission_id) == "pending"

    reason = "Duplicate of an existing project <script>alert(1)</script>"
    rejected = decide(editor, server.url, submission_id, "reject", reason=reason)
    assert rejected.status_code == 303
    status_page = requests.get(f"{server.url}/submissions/{submission_id}", timeout=30).text
    assert "Duplicate of an existing project &lt;script&gt;alert(1)&lt;/script&gt;" in status_page
    assert "<script>alert(1)" not in status_page
    assert status_of(server.url, submission_id) == "rejected"
    assert title not in published_titles(server.url) and not sparql_finds(server.url, title)
    listed = editor.get(server.url + "/moderation?status=rejected", timeout=30).text
    assert title in listed  # kept, with its history
    page = editor.get(f"{server.url}/moderation/{submission_id}", timeout=30).text
    assert "<td>Rejected</td>" in page and "&lt;script&gt;" in page and title in page
    assert decide(editor, server.url, submission_id, "approve").status_code == 409  # decided once
    assert not sparql_finds(server.url, title)


def test_the_preview_shows_the_page_as_published_without_publishing(server):
    title = f"Previewed wetland project {uuid.uuid4().hex[:8]}"
    submission_id = submit_project(server.url, title)
    editor = sign_in(server.url)
    preview = editor.get(f"{server.url}/moderation/{submission_id}/preview", timeout=30)
    assert preview.status_code == 200 and preview.headers["Cache-Control"] == "no-store"
    assert 'class="warning preview-banner"' in preview.text and "Preview — not published." in preview.text
    assert f"<h1>{title}</h1>" in preview.text and "French Biodiversity Agency" in preview.text
    assert not sparql_finds(server.url, title) and title not in published_titles(server.url)
    public = requests.get(f"{server.url}/projects", timeout=30).text
    assert "preview-banner" not in public and title not in public


def test_unknown_and_malformed_submissions(server):
    editor = sign_in(server.url)
    assert editor.get(f"{server.url}/moderation/nothing-here", timeout=30).status_code == 404
    assert editor.get(f"{server.url}/moderation/bad%20id", timeout=30).status_code == 404
    assert editor.get(f"{server.url}/moderation?status=deleted", timeout=30).status_code == 400
    assert decide(editor, server.url, "nothing-here", "approve").status_code == 404


class FormValues(HTMLParser):
    """What a browser would send for the first ``form.submission`` of a page, as (name, value) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "submission" in (a.get("class") or ""):
            self.inside = True
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input" and a.get("type") in ("checkbox", "radio"):
            if "checked" in a:
                self.pairs.append((a["name"], a.get("value", "on")))
        elif tag == "input":
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.pairs.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.pairs.append((a["name"], ""))

    def handle_data(self, data):
        if self.textarea:
            name, before = self.pairs[-1]
            self.pairs[-1] = (name, before + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def test_an_edit_shows_what_it_changes_and_replaces_the_record_when_approved(server):
    title = f"Edited lagoon project {uuid.uuid4().hex[:8]}"
    editor = sign_in(server.url)
    first = submit_project(server.url, title)
    assert decide(editor, server.url, first, "approve").status_code == 303
    record = next(i["iri"] for i in requests.get(f"{server.url}/projects", params={"format": "json"}, timeout=60).json()["items"]
                  if i["title"] == title)
    path = urlsplit(record).path

    person = requests.Session()
    form = person.get(f"{server.url}/submit/project", params={"edit": path}, timeout=30)
    assert form.status_code == 200 and title in form.text
    parser = FormValues()
    parser.feed(form.text)
    new_title = title.replace("Edited", "Renamed")
    data = [(k, new_title if k == "dcterms-title.en" else v) for k, v in parser.pairs if k != "schema-endDate"]
    data += [("schema-endDate", "2031-12-31"), ("submitter-name", "Camille Test"), ("submitter-email", "camille@example.org")]
    sent = person.post(f"{server.url}/submit/project", data=data, allow_redirects=False, timeout=60)
    assert sent.status_code == 303, sent.text[-2000:]
    edit = urlsplit(sent.headers["Location"]).path.rsplit("/", 1)[1]

    page = editor.get(f"{server.url}/moderation/{edit}", timeout=30).text
    diff = re.search(r'<table class="diff">(.*?)</table>', page, re.S).group(1)
    removed = re.findall(r'<tr class="removed"><td>[^<]*</td><td>([^<]*)</td><td>(.*?)</td></tr>', diff, re.S)
    added = re.findall(r'<tr class="added"><td>[^<]*</td><td>([^<]*)</td><td>(.*?)</td></tr>', diff, re.S)
    assert ("title", f'{title} <span class="tag" lang="en">@en</span>') in removed, removed
    assert ("title", f'{new_title} <span class="tag" lang="en">@en</span>') in added, added
    assert any(p == "end date" and "2031-12-31" in v for p, v in added), added
    assert len(removed) == 1, removed
    preview = editor.get(f"{server.url}/moderation/{edit}/preview", timeout=30).text
    assert "shows the old and the new values together" in preview

    assert decide(editor, server.url, edit, "approve").status_code == 303
    assert sparql_finds(server.url, new_title) and not sparql_finds(server.url, title)
    assert status_of(server.url, first) == "approved" and status_of(server.url, edit) == "approved"
    kept = editor.get(f"{server.url}/moderation/{first}", timeout=30).text  # the first version is kept
    assert title in kept and "<td>Approved</td>" in kept


def test_sign_in_attempts_are_rate_limited(tmp_path_factory):
    limited = start_server(tmp_path_factory.mktemp("login-limit"), rate_limit="3", editors="alice:" + generate_password_hash(PASSWORD))
    try:
        browser = requests.Session()
        token = csrf_of(browser.get(f"{limited.url}/editor/login", timeout=30).text)
        codes = [browser.post(f"{limited.url}/editor/login", data={"csrf_token": token, "login": "alice", "password": f"guess {n}"},
                              allow_redirects=False, timeout=30).status_code for n in range(4)]
        assert codes == [401, 401, 401, 429]
        late = browser.post(f"{limited.url}/editor/login", data={"csrf_token": token, "login": "alice", "password": PASSWORD},
                            allow_redirects=False, timeout=30)
        assert late.status_code == 429 and "Retry-After" in late.headers  # even the right password waits
    finally:
        stop_server(limited)


STRICTER_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
<urn:test:projects-need-an-email> a sh:NodeShape ;
    sh:targetClass <https://w3id.org/tscgraph/ontology#Project> ;
    sh:property [ sh:path schema:email ; sh:minCount 1 ;
                  sh:message "A project needs a contact e-mail (a shape added after the submission)."@en ] .
"""


def test_approving_what_the_shapes_now_refuse_is_a_422_and_writes_nothing(tmp_path_factory):
    """The shapes changed between submission and approval: approval re-validates and refuses."""
    tmp = tmp_path_factory.mktemp("stricter")
    editors = "alice:" + generate_password_hash(PASSWORD)
    first = start_server(tmp, rate_limit="1000", editors=editors)
    title = f"Project sent before the rules changed {uuid.uuid4().hex[:8]}"
    try:
        submission_id = submit_project(first.url, title)
    finally:
        stop_server(first)
    shapes = tmp / "shapes"
    shutil.copytree(ROOT / "shapes", shapes)
    (shapes / "zz-stricter.ttl").write_text(STRICTER_SHAPE, encoding="utf-8")
    second = start_server(tmp, rate_limit="1000", editors=editors, shapes_dir=str(shapes))
    try:
        editor = sign_in(second.url)
        refused = decide(editor, second.url, submission_id, "approve")
        assert refused.status_code == 422
        assert 'id="refused"' in refused.text and "A project needs a contact e-mail" in refused.text
        assert status_of(second.url, submission_id) == "pending" and not sparql_finds(second.url, title)
    finally:
        stop_server(second)
