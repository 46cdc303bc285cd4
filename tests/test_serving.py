"""The serving processes (#17): readers on every core read the newest snapshot, one writer writes, and HTTP is
done in front — per-state answers with validators and compression, and a share of query capacity kept for
short queries. Real servers on loopback, real clients; no timing is asserted (figures are bench/'s).
"""

from __future__ import annotations

import gzip
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AUTH, BASE, HTML, TOKEN_HASH, client_from, start_server, stop_server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
JSON = {"Accept": "application/sparql-results+json"}
NO_CACHE = {"Cache-Control": "no-cache"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Two readers and the writer, writes allowed, answers from the state before a write for 10 s after it."""
    srv = start_server(tmp_path_factory.mktemp("serving"), web_processes=2, validation_workers=2,
                       update_tokens=TOKEN_HASH, rate_limit=1000, cache_stale_seconds=10)
    yield srv
    stop_server(srv)


def ask(url: str, query: str) -> bool:
    r = requests.get(url + "/sparql", params={"query": query}, headers=JSON, timeout=60)
    assert r.status_code == 200, r.text[:300]
    return r.json()["boolean"]


def update(url: str, text: str) -> requests.Response:
    return requests.post(url + "/update", data=text.encode(), timeout=120,
                         headers={**AUTH, "Content-Type": "application/sparql-update"})


def count(url: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` in ``/metrics`` whose labels include ``labels``."""
    families = text_string_to_metric_families(requests.get(url + "/metrics", timeout=30).text)
    return sum(s.value for f in families for s in f.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def cache_hits(url: str) -> float:
    return count(url, "tscgraph_cache_hit_total")


# ------------------------------------------------------------------ processes


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def roles(server) -> dict[str, list[int]]:
    """The server's processes by role, read from /proc (the supervisor is the process the test started)."""
    top = server.process.pid
    found: dict[str, list[int]] = {"reader": [], "writer": [], "writer worker": [], "query worker": [],
                                   "validation worker": []}
    for pid in children(top):
        if "serving.writer" in cmdline(pid):
            found["writer"].append(pid)
            for worker in children(pid):
                found["writer worker"].append(worker)
                found["validation worker"] += [p for p in children(worker) if "spawn_main" in cmdline(p)]
        elif "tscgraph" in cmdline(pid):
            found["reader"].append(pid)
            found["query worker"] += [p for p in children(pid) if "spawn_main" in cmdline(p)]
    return found


def test_the_tree_has_its_processes(server):
    found = roles(server)
    assert len(found["reader"]) == 2 and len(found["writer"]) == 1 and len(found["writer worker"]) == 1
    assert len(found["query worker"]) >= 2 * 3 and len(found["validation worker"]) >= 2


def test_every_reader_reads_a_write_at_once(server):
    """A write's answer leaves the writer once its snapshot is published: whichever reader the client asks
    next — every new connection may land on either — reads it. Ten writes, eight fresh reads after each."""
    for n in range(10):
        subject = f"<{BASE}id/note/read-your-writes-{uuid.uuid4().hex}>"
        assert update(server.url, f'INSERT DATA {{ {subject} <http://www.w3.org/2000/01/rdf-schema#comment> "{n}" }}'
                      ).status_code == 200
        with ThreadPoolExecutor(4) as pool:
            seen = list(pool.map(lambda _i: ask(server.url, f"ASK {{ {subject} ?p ?o }}"), range(8)))
        assert all(seen), f"write {n}: a reader answered from an older snapshot"


# ------------------------------------------------------------------ HTTP in front


def test_a_repeated_read_is_answered_from_the_cache_with_its_validator(server):
    session = requests.Session()
    url = server.url + "/projects"
    first = session.get(url, headers=HTML, timeout=30)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag and first.headers["Cache-Control"] == "no-cache"
    hits = cache_hits(server.url)
    for _ in range(6):  # each reader fills its own cache once, then answers from it
        again = session.get(url, headers=HTML, timeout=30)
        assert again.status_code == 200 and again.content == first.content
    assert cache_hits(server.url) >= hits + 4
    unchanged = session.get(url, headers={**HTML, "If-None-Match": etag}, timeout=30)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["ETag"] == etag


def test_clients_asking_one_answer_at_once_wait_for_one_computation(server):
    """After a write every cache starts again, and a busy page is asked by many clients at once: each reader
    computes it once and its other clients get that answer (single flight), instead of one computation each.
    A query of about a second, asked by 8 clients at once over 2 readers: at most 2 computations, 6 cache hits."""
    query = (f"# single flight {uuid.uuid4().hex}\n"
             "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?x . FILTER(?a != ?b) }")
    hits = cache_hits(server.url)

    def get(_n: int) -> tuple[int, str]:
        r = requests.get(server.url + "/sparql", params={"query": query}, headers=JSON, timeout=120)
        return r.status_code, r.text

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(get, range(8)))
    assert {status for status, _text in answers} == {200}, answers[0][1][:300]
    assert len({text for _status, text in answers}) == 1
    assert cache_hits(server.url) >= hits + 6


def test_text_answers_are_compressed_for_clients_that_accept_it(server):
    raw = requests.get(server.url + "/projects", headers={**HTML, "Accept-Encoding": "identity"}, timeout=30)
    packed = requests.get(server.url + "/projects", headers={**HTML, "Accept-Encoding": "gzip"}, timeout=30,
                          stream=True)
    body = packed.raw.read()
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(body) == raw.content and len(body) < len(raw.content) / 3
    assert packed.headers["ETag"] != raw.headers["ETag"]  # another representation, another validator
    small = requests.get(server.url + "/health", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert "Content-Encoding" not in small.headers  # too small to gain


def test_a_public_write_renews_the_answers_and_a_private_one_does_not(server):
    url = server.url + "/graph?format=json"
    before = requests.get(url, timeout=30)
    submitted = requests.post(server.url + "/submissions", timeout=60, data=Path("tests/shapes/ProjectShape-valid-01.ttl").read_bytes(),
                              headers={"Content-Type": "text/turtle", "Accept": "application/json",
                                       "X-Submitter-Name": "A", "X-Submitter-Email": "a@example.org"})
    assert submitted.status_code == 201
    assert requests.get(url, timeout=30).headers["ETag"] == before.headers["ETag"]
    assert update(server.url, f'INSERT DATA {{ <{BASE}id/note/{uuid.uuid4().hex}> '
                              f'<http://www.w3.org/2000/01/rdf-schema#comment> "x" }}').status_code == 200
    after = requests.get(url, headers=NO_CACHE, timeout=30)
    assert after.json()["triples"] == before.json()["triples"] + 1 and after.headers["ETag"] != before.headers["ETag"]


def test_after_a_write_the_readers_answer_from_the_state_before_while_one_of_them_computes_the_new(server):
    """Stale-while-revalidate, bounded: after a public write, an anonymous read whose answer was kept answers at
    once — the state just before or the new one, never older — while one computation of the new answer, by one
    of the two readers for both, runs; then every reader gives the new one. ``no-cache`` and credentials always
    read the newest state."""
    query = f"# stale while revalidate {uuid.uuid4().hex}\nSELECT (COUNT(*) AS ?n) WHERE {{ ?s a <{BASE}ns#Swr> }}"

    def n(headers=None) -> int:
        r = requests.get(server.url + "/sparql", params={"query": query}, headers={**JSON, **(headers or {})},
                         timeout=60)
        assert r.status_code == 200, r.text[:300]
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    for _ in range(12):  # both readers keep the answer (each new connection may land on either)
        assert n() == 0
    computed = count(server.url, "tscgraph_requests_total", route="/sparql", method="GET")
    cached = count(server.url, "tscgraph_cache_hit_total") + count(server.url, "tscgraph_cache_stale_total")
    for step in (1, 2):
        assert update(server.url, f"INSERT DATA {{ <{BASE}id/note/swr-{uuid.uuid4().hex}> a <{BASE}ns#Swr> }}"
                      ).status_code == 200
        seen = [n() for _ in range(20)]
        assert seen[0] == step - 1, "the first read after the write waited for the new answer"
        assert set(seen) <= {step - 1, step}, f"an answer older than the state before: {seen}"
        assert n(NO_CACHE) == step and n(AUTH) == step  # the newest state, asked for or with credentials
        deadline = time.monotonic() + 30
        while not all(n() == step for _ in range(6)):  # the new answer replaces it in every reader
            assert time.monotonic() < deadline, "the new answer never came"
            time.sleep(0.05)
    app_answers = count(server.url, "tscgraph_requests_total", route="/sparql", method="GET") - computed \
        - (count(server.url, "tscgraph_cache_hit_total") + count(server.url, "tscgraph_cache_stale_total") - cached)
    # per write: the no-cache read and the one with credentials, then one computation for both readers
    assert app_answers <= 2 * 3, f"{app_answers} computations for 2 writes"


def test_personal_answers_are_not_kept(server):
    """A request with a session cookie or credentials is answered by the app each time, never from the cache."""
    browser = requests.Session()
    browser.get(server.url + "/submit/project", headers=HTML, timeout=30)  # gives the session its CSRF token
    assert browser.cookies
    hits = cache_hits(server.url)
    for _ in range(4):
        assert browser.get(server.url + "/projects", headers=HTML, timeout=30).status_code == 200
        assert requests.get(server.url + "/projects", headers={**HTML, **AUTH}, timeout=30).status_code == 200
    assert cache_hits(server.url) == hits


# ------------------------------------------------------------------ fair admission


def test_a_cheap_query_answers_while_every_worker_runs_a_runaway(tmp_path):
    """Every regular query worker runs a runaway query (two clients, one each); a cheap ASK from a third client
    runs in the express lane at once. A runaway sent meanwhile to the express lane is stopped there (503)."""
    srv = start_server(tmp_path, web_processes=1, query_workers=2, query_express_workers=1,
                       query_express_time_limit=1, query_time_limit=8, query_queue_wait=1, max_client_jobs=1)
    try:
        def run(address: str, query: str) -> requests.Response:
            return client_from(address).get(srv.url + "/sparql", params={"query": query}, headers=JSON, timeout=60)

        with ThreadPoolExecutor(3) as pool:
            # each runaway a text of its own: identical ones would be one computation (the readers' single flight)
            runaways = [pool.submit(run, f"127.0.0.{n}", f"# {n}\n{RUNAWAY}") for n in (2, 3)]
            time.sleep(1.5)  # let both start (a sequencing wait, not a timed assertion)
            cheap = run("127.0.0.4", "ASK { ?s ?p ?o }")
            outgrown = run("127.0.0.5", f"# 5\n{RUNAWAY}")
            assert [r.result().status_code for r in runaways] == [503, 503]  # stopped at the 8 s limit
        assert cheap.status_code == 200 and cheap.json()["boolean"] is True
        assert outgrown.status_code == 503 and "express lane" in outgrown.text
    finally:
        stop_server(srv)


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize("role", ["reader", "query worker", "writer worker", "writer", "validation worker"])
def test_any_one_process_killed_is_replaced_and_no_acknowledged_write_is_lost(server, role):
    """SIGKILL one process of ``role`` while a client writes and another reads: reads go on, the process is
    replaced, every acknowledged write is there and every write is whole (two triples, both or neither)."""
    acked, tried, reads = [], [], []
    stop = False
    killed_at = [float("inf")]

    def write_loop():
        for n in range(1500):  # bounded
            if stop:
                return
            subject = f"<{BASE}id/note/fault-{role.replace(' ', '-')}-{n}-{uuid.uuid4().hex[:6]}>"
            tried.append(subject)
            try:
                r = update(server.url, f'INSERT DATA {{ {subject} <http://www.w3.org/2000/01/rdf-schema#comment> '
                                       f'"a" , "b" }}')
                if r.status_code == 200:
                    acked.append((subject, time.monotonic()))
            except requests.RequestException:
                pass
            time.sleep(0.05)

    def read_loop():
        for _ in range(3000):  # bounded
            if stop:
                return
            try:
                reads.append(requests.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON,
                                          timeout=30).status_code)
            except requests.RequestException:
                reads.append(0)
            time.sleep(0.05)

    deadline = time.monotonic() + 60
    while not (before := roles(server)[role]):  # bounded: a process started again by an earlier case is up
        assert time.monotonic() < deadline, f"no {role} is running"
        time.sleep(0.2)
    with ThreadPoolExecutor(2) as pool:
        writing, reading = pool.submit(write_loop), pool.submit(read_loop)
        while not acked:  # bounded: the first write lands (it validates the local graph) before the kill
            assert time.monotonic() < deadline and not writing.done(), "no write was acknowledged"
            time.sleep(0.1)
        killed_at[0] = time.monotonic()
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 90
        while True:  # bounded: replaced, and writes land again
            now = roles(server)[role]
            if before[0] not in now and len(now) >= len(before) and acked[-1][1] > killed_at[0]:
                break
            assert time.monotonic() < deadline and not writing.done(), \
                f"the killed {role} was not replaced, or writes did not land again: {before} → {now}"
            time.sleep(0.2)
        stop = True
        writing.result(), reading.result()
    acked = [subject for subject, _at in acked]
    # Reads go on: a request in flight on a killed reader may be cut (0), nothing else fails (a query whose worker
    # is killed runs again on another), and reading works after the kill. Counted, not a share: on a busy machine
    # only a few reads fall in the window.
    failed = [status for status in reads if status != 200]
    assert reads and reads[-1] == 200 and len(failed) <= (2 if role == "reader" else 0), \
        f"reads while a {role} was killed: {reads}"
    for subject in tried:
        count = requests.get(server.url + "/sparql", headers=JSON, timeout=60, params={
            "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {subject} ?p ?o }}"}).json()["results"]["bindings"][0]["n"]
        assert int(count["value"]) in ((2,) if subject in acked else (0, 2)), f"{subject}: {count['value']} triples"


def test_a_head_never_leaves_an_empty_answer_for_a_get(server):
    """A HEAD is answered without a body; the GET after it must get the whole answer, not the HEAD's."""
    path = f"/projects?q=head-{uuid.uuid4().hex[:6]}"
    assert requests.head(server.url + path, headers=HTML, timeout=30).status_code == 200
    got = requests.get(server.url + path, headers=HTML, timeout=30)
    assert got.status_code == 200 and b"</html>" in got.content
