"""Issue 23's findings about clients that hold a token or send odd input, closed at their root, on a real server.

* I2/I3 — token scopes (graph/auth.py): a write token read every submitter's address through an update's
  ``WHERE``, changed a pending submission with a Graph Store ``POST``, erased the moderation history with a
  ``DELETE`` and emptied the ontology with an empty ``PUT``. Each observed attack has its test, then the siblings:
  ``GRAPH ?g``, ``USING``, ``USING NAMED``, ``WITH``, ``DROP``/``CLEAR``/``MOVE``/``COPY``/``ADD``. Private graphs
  are checked where an editor reads them (the moderation page's content and history), not through a token.
* F6 — a submission supersedes only its own sender's pending one, named by its id; others wait side by side
  and the editor sees the conflict (the API, the form's "send a corrected version", the moderation page).
* J3 — N3 beyond RDF (formulas, variables, literal subjects) is a 400 with a message on every door that reads RDF.
* J8 — editing a harvested record through the form is a 400 with a message (it is changed at its source).

The store-level rules have their own tests: tests/test_submissions.py (superseding), tests/test_writes.py (the
observed leak on every store backend).
"""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic
from werkzeug.security import generate_password_hash

from graph import reports
from graph.auth import Scope, needs_admin, token_entry, token_scope, write_refusal
from graph.settings import SettingsError, load_settings
from loaders import harvest
from tests.conftest import (
    ADMIN_AUTH,
    ADMIN_TOKEN,
    ADMIN_TOKEN_HASH,
    AUTH,
    BASE,
    TOKEN,
    TOKEN_HASH,
    csrf_of,
    start_server,
    stop_server,
)
from tests.test_duplicates import PARTNER_DATA, PARTNER_OFB
from tests.test_moderation import PASSWORD, sign_in

LOCAL, ONTOLOGY, MODERATION = BASE + "graph/local", BASE + "graph/ontology", BASE + "graph/moderation"
FOAF = "http://xmlns.com/foaf/0.1/"
PREFIXES = ("@prefix tsc: <https://w3id.org/tscgraph/ontology#> .\n"
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n")
NGO = "https://w3id.org/tscgraph/vocab/actor-type/ngo"
LEAD = BASE + "id/actor/ofb"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Writes with a write token (TOKEN) and an admin one (ADMIN_TOKEN); alice moderates."""
    started = start_server(tmp_path_factory.mktemp("hostile"), update_tokens=f"{TOKEN_HASH},{ADMIN_TOKEN_HASH}",
                           editors="alice:" + generate_password_hash(PASSWORD), rate_limit="1000", query_workers="1")
    yield started.url
    stop_server(started)


@pytest.fixture(scope="module")
def editor(server) -> requests.Session:
    return sign_in(server)


# ------------------------------------------------------------------ helpers


def actor(slug: str) -> str:
    iri = f"{BASE}id/actor/{slug}"
    return f'{PREFIXES}<{iri}> a tsc:Actor ; skos:prefLabel "Actor {slug}"@en , "Acteur {slug}"@fr ; tsc:actorType <{NGO}> .\n'


def submit_api(url: str, body: str, email: str, supersedes: str | None = None) -> requests.Response:
    headers = {"Content-Type": "text/turtle", "X-Submitter-Name": "Someone", "X-Submitter-Email": email}
    if supersedes:
        headers["X-Tscgraph-Supersedes"] = supersedes
    return requests.post(url + "/submissions", data=body.encode(), headers=headers, timeout=60)


def pending_submission(url: str, email: str | None = None) -> tuple[str, str]:
    """A fresh pending submission (through the API, as anyone sends one): its id and its submitter's address."""
    email = email or f"person-{uuid.uuid4().hex[:8]}@example.org"
    sent = submit_api(url, actor("s-" + uuid.uuid4().hex[:10]), email)
    assert sent.status_code == 201, sent.text
    return sent.headers["Location"].rsplit("/", 1)[1], email


def submission_graph(submission_id: str) -> str:
    return BASE + "graph/submission/" + submission_id


def status_of(url: str, submission_id: str) -> str:
    page = requests.get(f"{url}/submissions/{submission_id}", timeout=30)
    assert page.status_code == 200, page.text
    return re.search(r'class="submission-status" data-status="([a-z]+)"', page.text).group(1)


def as_the_editor_reads_it(url: str, editor: requests.Session, submission_id: str) -> tuple[str, int, Graph]:
    """(status, steps of history, content) of a submission, from the editor's page and the status page."""
    page = editor.get(f"{url}/moderation/{submission_id}", timeout=30)
    assert page.status_code == 200, page.text
    turtle = unescape(re.search(r"<pre><code>(.*?)</code></pre>", page.text, re.S).group(1))
    steps = len(re.findall(r'<li><span data-status=', requests.get(f"{url}/submissions/{submission_id}", timeout=30).text))
    return status_of(url, submission_id), steps, Graph().parse(data=turtle, format="turtle")


def unchanged(before: tuple, after: tuple) -> bool:
    return before[:2] == after[:2] and isomorphic(before[2], after[2])


def update(url: str, text: str, auth: dict = AUTH) -> requests.Response:
    return requests.post(url + "/update", data=text.encode(), timeout=60,
                         headers={**auth, "Content-Type": "application/sparql-update"})


def gsp(url: str, method: str, graph: str, body: str | None = None, auth: dict = AUTH,
        ctype: str = "text/turtle") -> requests.Response:
    return requests.request(method, url + "/data", params={"graph": graph}, timeout=60,
                            data=body.encode() if body is not None else None,
                            headers={**auth, **({"Content-Type": ctype} if body is not None else {})})


def public_graphs(url: str) -> dict[str, int]:
    answer = requests.get(url + "/sparql", params={"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return {b["g"]["value"]: int(b["n"]["value"]) for b in answer.json()["results"]["bindings"]}


def leak() -> str:
    return f"http://attacker.example/leak-{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------ I2/I3: the observed attacks


def test_the_observed_update_publishes_no_submitters_address(server, editor):
    """``INSERT { GRAPH <leak> { ?s foaf:mbox ?m } } WHERE { GRAPH <moderation> { … } }`` copied every address."""
    submission_id, email = pending_submission(server)
    before, graphs, target = as_the_editor_reads_it(server, editor, submission_id), public_graphs(server), leak()
    for auth in (AUTH, ADMIN_AUTH):  # private graphs are beyond any token, admin included
        r = update(server, f"PREFIX foaf: <{FOAF}> INSERT {{ GRAPH <{target}> {{ ?s foaf:mbox ?m }} }} "
                           f"WHERE {{ GRAPH <{MODERATION}> {{ ?s foaf:mbox ?m }} }}", auth)
        assert r.status_code == 200 and r.json()["changedGraphs"] == [], r.text
    assert public_graphs(server) == graphs
    assert gsp(server, "GET", target).status_code == 404
    assert email not in requests.get(server + "/data", params={"default": ""}, timeout=60).text
    assert unchanged(before, as_the_editor_reads_it(server, editor, submission_id))


def test_a_graph_store_post_cannot_change_what_an_editor_approves(server, editor):
    submission_id, _email = pending_submission(server)
    before = as_the_editor_reads_it(server, editor, submission_id)
    extra = f'<{BASE}id/actor/injected> a <https://w3id.org/tscgraph/ontology#Actor> .'
    for auth in (AUTH, ADMIN_AUTH):
        for method in ("POST", "PUT"):
            r = gsp(server, method, submission_graph(submission_id), extra, auth)
            assert r.status_code == 403 and "private graph" in r.text, r.text
        r = update(server, f"INSERT DATA {{ GRAPH <{submission_graph(submission_id)}> {{ {extra} }} }}", auth)
        assert r.status_code == 403 and "nothing was written" in r.text, r.text
    after = as_the_editor_reads_it(server, editor, submission_id)
    assert unchanged(before, after) and "injected" not in after[2].serialize(format="nt")


def test_deleting_the_moderation_graph_is_refused_whatever_the_token(server, editor):
    """"Nothing is ever deleted": ``DELETE /data?graph={base}graph/moderation`` erased every submission's history."""
    submission_id, _email = pending_submission(server)
    before = as_the_editor_reads_it(server, editor, submission_id)
    queue = editor.get(server + "/moderation", timeout=30).text
    for auth in (AUTH, ADMIN_AUTH):
        r = gsp(server, "DELETE", MODERATION, auth=auth)
        assert r.status_code == 403 and "private graph" in r.text, r.text
        assert gsp(server, "DELETE", submission_graph(submission_id), auth=auth).status_code == 403
        for text in (f"DROP GRAPH <{MODERATION}>", f"DROP SILENT GRAPH <{MODERATION}>", f"CLEAR GRAPH <{MODERATION}>"):
            r = update(server, text, auth)  # a write to it by name: refused as the Graph Store Protocol's DELETE
            assert r.status_code == 403 and "private graph" in r.text, (text, r.text)
        for text in (f"DELETE WHERE {{ GRAPH <{MODERATION}> {{ ?s ?p ?o }} }}", f"PREFIX foaf: <{FOAF}> "
                     f"DELETE WHERE {{ GRAPH ?g {{ ?s foaf:mbox ?m }} }}"):
            r = update(server, text, auth)  # finds nothing to delete: a graph it cannot read is empty to it
            assert r.status_code in (200, 400) and r.status_code < 500, (text, r.text)
            assert r.status_code == 400 or r.json()["changedGraphs"] == [], (text, r.text)
    assert unchanged(before, as_the_editor_reads_it(server, editor, submission_id))
    assert editor.get(server + "/moderation", timeout=30).text.count("/moderation/") == queue.count("/moderation/")


def test_an_empty_put_of_the_ontology_needs_the_admin_scope(server):
    ontology = gsp(server, "GET", ONTOLOGY, auth={"Accept": "application/n-triples"})
    assert ontology.status_code == 200 and len(ontology.content) > 1000
    graphs = public_graphs(server)
    r = gsp(server, "PUT", ONTOLOGY, "", AUTH)
    assert r.status_code == 403 and "admin" in r.text, r.text
    assert update(server, f"CLEAR GRAPH <{ONTOLOGY}>").status_code == 403
    assert public_graphs(server) == graphs
    # the admin scope may: empty it, then put it back as it was
    assert gsp(server, "PUT", ONTOLOGY, "", ADMIN_AUTH).status_code == 204
    assert gsp(server, "GET", ONTOLOGY, auth={}).status_code == 404
    restored = gsp(server, "PUT", ONTOLOGY, ontology.content.decode(), ADMIN_AUTH, ctype="application/n-triples")
    assert restored.status_code == 201, restored.text
    assert public_graphs(server)[ONTOLOGY] == graphs[ONTOLOGY]


@pytest.mark.parametrize("graph", ["ontology", "log", "validation", "changes", "harvest-log"])
def test_the_servers_own_graphs_take_an_admin_token(server, graph):
    iri, triple = BASE + "graph/" + graph, f"<{BASE}id/x/admin-only> <{BASE}p> \"x\" ."
    graphs = public_graphs(server)
    for method in ("PUT", "POST", "DELETE"):
        r = gsp(server, method, iri, triple if method != "DELETE" else None, AUTH)
        assert r.status_code == 403 and "admin scope" in r.text, (method, r.text)
    assert update(server, f"INSERT DATA {{ GRAPH <{iri}> {{ {triple} }} }}").status_code == 403
    assert public_graphs(server) == graphs
    if graph not in ("ontology", "validation"):  # (the shapes judge those two: an untyped triple conforms elsewhere)
        r = update(server, f"INSERT DATA {{ GRAPH <{iri}> {{ {triple} }} }} ; DELETE DATA {{ GRAPH <{iri}> {{ {triple} }} }}",
                   ADMIN_AUTH)
        assert r.status_code == 200, r.text


# ------------------------------------------------------------------ I2/I3: the siblings


def sibling_updates(submission_id: str, target: str) -> dict[str, str]:
    sub = submission_graph(submission_id)
    copy = f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }}"
    return {
        "GRAPH ?g enumerates": f"INSERT {{ GRAPH <{target}> {{ ?g a <{BASE}seen> }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "GRAPH <submission>": f"{copy} WHERE {{ GRAPH <{sub}> {{ ?s ?p ?o }} }}",
        "USING <moderation>": f"{copy} USING <{MODERATION}> WHERE {{ ?s ?p ?o }}",
        "USING NAMED <moderation>": f"{copy} USING NAMED <{MODERATION}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "WITH <moderation> reads": f"WITH <{MODERATION}> INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        "WITH <moderation> writes": f"WITH <{MODERATION}> INSERT {{ <{BASE}x> <{BASE}p> \"x\" }} WHERE {{}}",
        "WITH <moderation> deletes": f"WITH <{MODERATION}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        "COPY moderation out": f"COPY <{MODERATION}> TO <{target}>",
        "ADD submission out": f"ADD <{sub}> TO <{target}>",
        "MOVE moderation out": f"MOVE <{MODERATION}> TO <{target}>",
        "MOVE local in": f"MOVE <{LOCAL}> TO <{MODERATION}>",
        "COPY local in": f"COPY <{LOCAL}> TO <{sub}>",
        "ADD local in": f"ADD <{LOCAL}> TO <{MODERATION}>",
        "DROP ALL": "DROP ALL",
        "CLEAR ALL": "CLEAR ALL",
        "DROP NAMED": "DROP NAMED",
        "CLEAR NAMED": "CLEAR NAMED",
    }


#: Each sibling with each scope — but the admin's DROP/CLEAR of every graph, which may empty every public graph
#: (the write token's case shows the private ones untouched).
SIBLINGS = [pytest.param(name, auth, id=f"{name}-{scope}") for name in sibling_updates("id", "http://x")
            for auth, scope in ((AUTH, "write"), (ADMIN_AUTH, "admin"))
            if not (scope == "admin" and name.startswith(("DROP", "CLEAR")))]


@pytest.mark.parametrize("name, auth", SIBLINGS)
def test_no_update_reads_or_changes_a_private_graph(server, editor, name, auth):
    submission_id, email = pending_submission(server)
    target = leak()
    before, graphs = as_the_editor_reads_it(server, editor, submission_id), public_graphs(server)
    r = update(server, sibling_updates(submission_id, target)[name], auth)
    assert r.status_code in (200, 400, 403), r.text
    if r.status_code == 200:  # it ran over the public graphs only: nothing private in what it wrote
        seen = gsp(server, "GET", target, auth={"Accept": "application/n-triples"})
        assert seen.status_code == 404 or (MODERATION not in seen.text and "graph/submission/" not in seen.text
                                           and email not in seen.text), seen.text
        assert set(r.json()["changedGraphs"]) <= {target}, r.text
        gsp(server, "DELETE", target)
    else:
        assert "nothing was written" in r.text or "one or the other" in r.text, r.text
        assert public_graphs(server) == graphs
    if "in" in name.split() or "writes" in name:  # it would change a private graph: refused outright
        assert r.status_code == 403 and "private graph" in r.text, r.text
    assert unchanged(before, as_the_editor_reads_it(server, editor, submission_id))


def test_reading_a_private_graph_is_404_whatever_the_request_carries(server):
    submission_id, _email = pending_submission(server)
    for graph in (submission_graph(submission_id), MODERATION):
        for auth in ({}, AUTH, ADMIN_AUTH):
            for method in ("GET", "HEAD"):
                assert gsp(server, method, graph, auth=auth).status_code == 404, (graph, auth, method)


def test_a_write_token_still_writes_the_public_data(server):
    """The scopes take nothing from the ordinary writer: the local graph, a harvest graph, any graph of its own."""
    for graph in (LOCAL, BASE + "graph/harvest/scoped-" + uuid.uuid4().hex[:6], leak()):
        slug = "w-" + uuid.uuid4().hex[:8]
        data = Graph().parse(data=actor(slug), format="turtle").serialize(format="nt")
        r = update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ {data} }} }}")
        assert r.status_code == 200 and r.json()["changedGraphs"] == [graph], r.text
        assert gsp(server, "POST", graph, actor(slug + "-gsp")).status_code in (201, 204)


# ------------------------------------------------------------------ I2/I3: scopes as configured


def test_token_entries_carry_their_scope():
    write, admin = "sha256:" + "a" * 64, "admin:sha256:" + "b" * 64
    settings = load_settings(overrides={"update_tokens": (write, admin, "write:sha256:" + "c" * 64)}, environ={})
    assert settings.update_tokens[1] == admin
    for bad in ("root:sha256:" + "a" * 64, "admin:" + "a" * 64, "admin:sha256:" + "A" * 64, "admin:sha256:xyz"):
        with pytest.raises(SettingsError, match="admin:sha256"):
            load_settings(overrides={"update_tokens": (bad,)}, environ={})
    assert token_scope(TOKEN, (TOKEN_HASH, ADMIN_TOKEN_HASH)) is Scope.WRITE
    assert token_scope(ADMIN_TOKEN, (TOKEN_HASH, ADMIN_TOKEN_HASH)) is Scope.ADMIN
    assert token_scope(TOKEN, ("write:" + TOKEN_HASH,)) is Scope.WRITE
    assert token_scope(TOKEN, (TOKEN_HASH, "admin:" + TOKEN_HASH)) is Scope.ADMIN  # listed twice: the widest
    assert token_scope("another", (TOKEN_HASH, ADMIN_TOKEN_HASH)) is None
    assert token_entry(TOKEN) == TOKEN_HASH and token_entry(ADMIN_TOKEN, Scope.ADMIN) == ADMIN_TOKEN_HASH


def test_which_graphs_need_what(settings):
    for graph in (settings.ontology_graph, settings.log_graph, settings.changes_graph, reports.validation_graph(settings),
                  harvest.log_graph(settings)):
        assert needs_admin(settings, graph) and settings.is_public_graph(graph), graph
        assert "admin scope" in write_refusal(settings, Scope.WRITE, graph) and write_refusal(settings, Scope.ADMIN, graph) is None
    for graph in (settings.local_graph, settings.harvest_graph("partner"), "https://partner.example/g"):
        assert write_refusal(settings, Scope.WRITE, graph) is None, graph
    private = [settings.moderation_graph, settings.submission_graph("x"), settings.thesaurus_graph,
               harvest.quarantine_graph(settings, "partner")]
    for graph in private:
        assert not settings.is_public_graph(graph)
        for scope in Scope:
            assert "private graph" in write_refusal(settings, scope, graph), graph


def test_the_token_command_prints_the_line_for_each_scope(run_cli):
    for args, scope in ((("token",), Scope.WRITE), (("token", "--admin"), Scope.ADMIN)):
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr
        token = re.search(r"^token [^:]*: (\S+)$", done.stdout, re.M).group(1)
        line = re.search(r"^hash [^:]*:\s+(\S+)$", done.stdout, re.M).group(1)
        assert line.startswith("admin:sha256:" if scope is Scope.ADMIN else "sha256:")
        settings = load_settings(overrides={"update_tokens": (line,)}, environ={})
        assert token_scope(token, settings.update_tokens) is scope


# ------------------------------------------------------------------ F6: only one's own submission is superseded


def conflict_ids(url: str, editor: requests.Session, submission_id: str) -> set[str]:
    page = editor.get(f"{url}/moderation/{submission_id}", timeout=30).text
    notice = re.search(r'<div class="warning" role="alert" id="conflicts">(.*?)</div>', page, re.S)
    return set(re.findall(r'href="/moderation/([A-Za-z0-9_-]+)"', notice.group(1))) if notice else set()


def test_someone_elses_api_submission_waits_beside_mine_and_the_editor_sees_the_conflict(server, editor):
    slug = "contested-" + uuid.uuid4().hex[:8]
    mine = submit_api(server, actor(slug), "ada@example.org")
    theirs = submit_api(server, actor(slug), "grace@example.org")
    assert mine.status_code == theirs.status_code == 201, theirs.text
    mine_id, theirs_id = (r.headers["Location"].rsplit("/", 1)[1] for r in (mine, theirs))
    assert status_of(server, mine_id) == status_of(server, theirs_id) == "pending"
    assert conflict_ids(server, editor, mine_id) == {theirs_id}
    assert conflict_ids(server, editor, theirs_id) == {mine_id}
    page = editor.get(f"{server}/moderation/{mine_id}", timeout=30, headers={"Accept-Language": "fr"}).text
    assert "Conflit : d'autres soumissions en attente portent sur les mêmes fiches." in unescape(page)
    # naming my submission does not let them replace it, nor does my address typed by them without the id
    refused = submit_api(server, actor(slug), "grace@example.org", supersedes=mine_id)
    assert refused.status_code == 409 and "X-Tscgraph-Supersedes" in refused.json()["error"], refused.text
    assert submit_api(server, actor(slug), "ada@example.org").status_code == 201
    assert status_of(server, mine_id) == "pending"
    # I replace my own, naming it, from my address
    corrected = submit_api(server, actor(slug), "ada@example.org", supersedes=mine_id)
    assert corrected.status_code == 201, corrected.text
    assert status_of(server, mine_id) == "superseded" and status_of(server, theirs_id) == "pending"
    corrected_id = corrected.headers["Location"].rsplit("/", 1)[1]
    assert theirs_id in conflict_ids(server, editor, corrected_id) and mine_id not in conflict_ids(server, editor, corrected_id)
    assert conflict_ids(server, editor, mine_id) == set()  # decided: no notice


def form_fields(page: str) -> dict[str, str]:
    fields = {k: unescape(v) for k, v in re.findall(r'<input type="(?:text|date|url|hidden)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    lead = re.search(r'name="tsc-leadOrganisation".*?<option value="([^"]+)" selected', page, re.S)
    if lead:
        fields["tsc-leadOrganisation"] = lead.group(1)
    return fields


def send_form(url: str, path: str, title: str, email: str, **extra) -> requests.Response:
    person = requests.Session()
    page = person.get(url + path, timeout=30)
    assert page.status_code == 200, page.text
    data = {**form_fields(page.text), "csrf_token": csrf_of(page.text), "dcterms-title.en": title,
            "tsc-leadOrganisation": LEAD, "submitter-name": "Someone", "submitter-email": email, **extra}
    return person.post(url + path.split("?")[0], data=data, allow_redirects=False, timeout=60)


def test_edits_of_a_record_by_two_people_both_wait(server, editor):
    path, currency = "/submit/project?edit=/id/project/biodiversa-plus", {"tsc-budget.schema-currency": "EUR"}
    first = send_form(server, path, "Biodiversa+ (first edit)", "camille@example.org", **currency)
    second = send_form(server, path, "Biodiversa+ (second edit)", "dominique@example.org", **currency)
    assert first.status_code == second.status_code == 303, second.text[-2000:]
    first_id, second_id = (r.headers["Location"].split("?")[0].rsplit("/", 1)[1] for r in (first, second))
    assert status_of(server, first_id) == status_of(server, second_id) == "pending"
    assert second_id in conflict_ids(server, editor, first_id) and first_id in conflict_ids(server, editor, second_id)


def test_the_sender_corrects_their_own_pending_submission_through_the_form(server):
    title = "Example: wetlands " + uuid.uuid4().hex[:6]
    sent = send_form(server, "/submit/project", title, "camille@example.org")
    assert sent.status_code == 303, sent.text[-2000:]
    first_id = sent.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    status = requests.get(f"{server}/submissions/{first_id}", timeout=30).text
    link = unescape(re.search(r'<a href="([^"]+)" id="correct">', status).group(1))
    assert link == f"/submit/project?supersedes={first_id}"
    form = requests.get(server + link, timeout=30)
    assert form.status_code == 200 and f'value="{title}"' in form.text and 'id="supersedes-notice"' in form.text
    assert f'name="supersedes" value="{first_id}"' in form.text
    # someone with the link but another address: 422, the message, nothing replaced
    refused = send_form(server, link, title + " (theirs)", "intruder@example.org")
    assert refused.status_code == 422 and "cannot replace your earlier submission" in unescape(refused.text)
    assert status_of(server, first_id) == "pending"
    # the sender: replaced, same record
    corrected = send_form(server, link, title + " (corrected)", "camille@example.org")
    assert corrected.status_code == 303, corrected.text[-2000:]
    second_id = corrected.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    assert status_of(server, first_id) == "superseded" and status_of(server, second_id) == "pending"
    assert 'id="correct"' not in requests.get(f"{server}/submissions/{first_id}", timeout=30).text
    assert requests.get(server + link, timeout=30).status_code == 409  # no longer pending
    assert requests.get(server + "/submit/organisation?supersedes=" + second_id, timeout=30).status_code == 400
    assert requests.get(server + "/submit/project?supersedes=no-such-submission", timeout=30).status_code == 404


# ------------------------------------------------------------------ J3: N3 beyond RDF, on every door

FORMULA = "@prefix : <http://example.org/> .\n{ :a :b :c } :d :e .\n"
BEYOND_RDF = {
    "formula": FORMULA,
    "formula as object": "@prefix : <http://example.org/> .\n:x :says { :a :b :c } .\n",
    "rule": "@prefix : <http://example.org/> .\n{ ?x :b :c } => { ?x :d :e } .\n",
    "variable": "@prefix : <http://example.org/> .\n:x :d ?y .\n",
    "literal subject": '@prefix : <http://example.org/> .\n"text" :d :e .\n',
}


@pytest.mark.parametrize("case", BEYOND_RDF)
def test_n3_beyond_rdf_is_a_400_with_a_message_on_every_door(server, case):
    body = BEYOND_RDF[case].encode()
    submitter = {"X-Submitter-Name": "Someone", "X-Submitter-Email": "n3@example.org"}
    graphs = public_graphs(server)
    answers = {
        "validate": requests.post(server + "/validate", data=body, headers={"Content-Type": "text/n3"}, timeout=30),
        "validate upload": requests.post(server + "/validate", files={"file": ("data.n3", body)}, timeout=30),
        "submissions": requests.post(server + "/submissions", data=body, headers={"Content-Type": "text/n3", **submitter},
                                     timeout=30),
        "submissions upload": requests.post(server + "/submissions", files={"file": ("data.n3", body)}, timeout=30,
                                            data={"submitter_name": "Someone", "submitter_email": "n3@example.org"}),
        "gsp put": gsp(server, "PUT", leak(), body.decode(), ctype="text/n3"),
        "gsp post": gsp(server, "POST", LOCAL, body.decode(), ctype="text/n3"),
    }
    for door, answer in answers.items():
        assert answer.status_code == 400 and "not RDF" in answer.text, (door, answer.status_code, answer.text[:300])
    assert public_graphs(server) == graphs
    assert requests.get(server + "/health", timeout=30).status_code == 200


# ------------------------------------------------------------------ J8: a harvested record is edited at its source


def test_editing_a_harvested_record_through_the_form_is_a_400_with_a_message(server):
    harvested = BASE + "graph/harvest/partner"
    assert gsp(server, "PUT", harvested, PARTNER_DATA).status_code in (201, 204)
    path = "/submit/organisation?edit=" + requests.utils.quote(PARTNER_OFB, safe="")
    for lang, message in (("en", "was harvested from the partner node partner: it is changed at its source, not here."),
                          ("fr", "a été moissonnée depuis le nœud partenaire partner : elle se modifie à sa source, pas ici.")):
        page = requests.get(server + path, headers={"Accept-Language": lang}, timeout=30)
        assert page.status_code == 400 and message in unescape(page.text), page.text[-1500:]
    person = requests.Session()
    token = csrf_of(person.get(server + "/submit/organisation", timeout=30).text)
    sent = person.post(server + "/submit/organisation", allow_redirects=False, timeout=30, data={
        "csrf_token": token, "edit": PARTNER_OFB, "skos-prefLabel.en": "Taken over", "submitter-name": "X",
        "submitter-email": "x@example.org"})
    assert sent.status_code == 400 and "was harvested from the partner node" in unescape(sent.text)
    # a record of the local graph is still edited here, where it is curated
    assert requests.get(server + "/submit/organisation?edit=/id/actor/ofb", timeout=30).status_code == 200
