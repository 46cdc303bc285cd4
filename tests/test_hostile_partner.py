"""A hostile partner node against a real tscgraph server (issue 23, H1 + S1 and H2).

The partner (tests/hostile_partner.py) serves a change feed whose entries name /etc/passwd, ``file:`` URLs,
the server's own session-key file, an internal service on loopback, ``gopher:``, redirects to the internal
service and to another origin, an endless body, a huge announced length and a description whose syntax
error would quote the secrets; its paging links lead elsewhere; its documents and SPARQL endpoint redirect
to the internal service. The server harvests each source on demand (POST /harvest/NAME/check with a
token). Then: the internal service saw no connection; no page (/harvest, /harvest/NAME, HTML and JSON), no
public graph (SPARQL over the harvest log and harvests, the dump) holds a byte of /etc/passwd, of the
session key or of the internal answer; every refusal is published in classified words; the previous
harvest of a source is intact; the server still serves.
"""

from __future__ import annotations

import gzip
import json
import os
import time

import pytest
import requests

from tests.conftest import AUTH, TEST_DATA, TOKEN_HASH, start_server, stop_server
from tests.hostile_partner import INTERNAL_SECRET, PASSWD, Internal, Partner, Reply, redirect

BASE = "https://chm.example.org/"
OFF_ORIGIN = "refused link (not on the source's origin)"
NOT_HTTP = "refused link (not http(s))"
TOO_LARGE = "too large (over 104857600 bytes)"


def feed(partner: Partner, name: str, hrefs: list[str], prev: str | None = None, last: str | None = None) -> None:
    """A change feed at /NAME/local: one Create per href, on its last page (``prev`` and ``last`` as given;
    with a ``prev`` the page holds the newest activities only, so a harvest from the start must follow it)."""
    first = 2 if prev else 1
    collection, page = f"{partner.url}/{name}/local", f"{partner.url}/{name}/local/page/1"
    activities = [{"id": f"{collection}/{n}", "type": "Create",
                   "object": {"id": f"https://partner.example.org/id/actor/hostile-{n}",
                              "url": [{"href": href, "mediaType": "text/turtle"}]}}
                  for n, href in enumerate(hrefs, first)]
    body = {"id": page, "type": "OrderedCollectionPage", "partOf": collection, "orderedItems": activities}
    if prev:
        body["prev"] = {"id": prev}
    partner.routes[f"/{name}/local"] = Reply(body=json.dumps({
        "id": collection, "type": "OrderedCollection", "totalItems": len(hrefs) + first - 1,
        "last": {"id": last or page}}).encode())
    partner.routes[f"/{name}/local/page/1"] = Reply(body=json.dumps(body).encode())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    partner, internal = Partner(), Internal()
    key_file = tmp / "store-secret-key"  # where the server keeps its session key (store_dir "store")
    elsewhere = f"http://localhost:{partner.port}"  # the same server under another name: another origin
    hrefs = [
        "/etc/passwd", "file:///etc/passwd", f"file://{key_file}", str(key_file),
        os.path.relpath(key_file, os.getcwd()), f"{internal.url}/secret", f"gopher://127.0.0.1:{internal.port}/",
        f"{partner.url}/to-internal", f"{partner.url}/to-elsewhere", f"{partner.url}/endless",
        f"{partner.url}/huge", f"{partner.url}/leaky.ttl",
    ]
    partner.routes.update({
        "/to-internal": redirect(302, f"{internal.url}/secret.ttl"),
        "/to-elsewhere": redirect(301, f"{elsewhere}/good.ttl"),
        "/endless": Reply(kind="endless"), "/huge": Reply(kind="huge"),
        "/good.ttl": Reply(body=(TEST_DATA / "harvest" / "good.ttl").read_bytes()),
        "/steady.ttl": Reply(body=(TEST_DATA / "harvest" / "good.ttl").read_bytes()),
        "/doc-to-internal.ttl": redirect(307, f"{internal.url}/secret.ttl"),
        "/doc-to-elsewhere.ttl": redirect(308, f"{elsewhere}/good.ttl"),
        "/sparql": redirect(307, f"{internal.url}/sparql"),
    })
    feed(partner, "entries", hrefs)
    feed(partner, "paging", [f"{partner.url}/good.ttl"] * 3, prev=f"{internal.url}/page/0")
    feed(partner, "last", [f"{partner.url}/good.ttl"], last=f"{elsewhere}/last/local/page/1")
    loopback = "allow_private_addresses = true\n"  # the hostile partner runs on loopback, as our own test nodes do
    sources = {
        "entries": ("changes", f"{partner.url}/entries/local", loopback),
        "paging": ("changes", f"{partner.url}/paging/local", loopback),
        "last": ("changes", f"{partner.url}/last/local", loopback),
        "doc-to-internal": ("rdf", f"{partner.url}/doc-to-internal.ttl", loopback),
        "doc-to-elsewhere": ("rdf", f"{partner.url}/doc-to-elsewhere.ttl", loopback),
        "sparql-to-internal": ("sparql", f"{partner.url}/sparql", loopback),
        "steady": ("rdf", f"{partner.url}/steady.ttl", loopback),
        "internal": ("rdf", f"{internal.url}/secret.ttl", ""),  # not allowed: the address is refused
        "internal-by-name": ("rdf", f"http://localhost:{internal.port}/secret.ttl", ""),
    }
    path = tmp / "sources.toml"
    path.write_text("".join(f'[[source]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n{extra}\n'
                            for name, (kind, url, extra) in sources.items()), encoding="utf-8")
    server = start_server(tmp, harvest_sources=str(path), update_tokens=TOKEN_HASH, rate_limit="1000",
                          query_workers="1")
    try:
        assert server.store_dir.with_name("store-secret-key") == key_file and key_file.exists()
        # A description whose parser error, quoted, would publish the secrets (the leak the issue saw).
        partner.routes["/leaky.ttl"] = Reply(body=f"{PASSWD}:root:/root:/bin/bash\n{key_file.read_text()}\n".encode())
        yield {"url": server.url, "partner": partner, "internal": internal, "key": key_file.read_text().strip(),
               "sources": list(sources)}
    finally:
        stop_server(server)
        partner.close()
        internal.close()


def harvest(url: str, name: str) -> dict:
    """Start a harvest of ``name`` and wait (bounded) for its run; the source's page as JSON."""
    before = len(requests.get(f"{url}/harvest/{name}?format=json", timeout=30).json()["runs"])
    started = requests.post(f"{url}/harvest/{name}/check", headers={**AUTH, "Accept": "application/json"}, timeout=30)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 120
    while True:  # bounded: 120 s
        data = requests.get(f"{url}/harvest/{name}?format=json", timeout=30).json()
        if len(data["runs"]) > before and not data["running"]:
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.1)


def leaks(text: str, key: str) -> list[str]:
    """What of the secrets ``text`` holds: /etc/passwd, the internal answer, any 12 hex digits of the key in a row."""
    found = [s for s in (PASSWD, INTERNAL_SECRET.decode()[:24]) if s in text]
    return found + [key[i:i + 12] for i in range(len(key) - 11) if key[i:i + 12] in text][:1]


def test_a_hostile_partner_reads_nothing_and_publishes_nothing(hostile):
    url, key = hostile["url"], hostile["key"]
    steady = harvest(url, "steady")
    assert steady["runs"][0]["outcome"] == "ok" and steady["runs"][0]["records"] == 2
    kept = count(url, f"{BASE}graph/harvest/steady")
    hostile["partner"].routes["/steady.ttl"] = redirect(302, f"{hostile['internal'].url}/secret.ttl")

    runs = {name: harvest(url, name)["runs"][0] for name in hostile["sources"]}

    assert hostile["internal"].connections == 0, "the internal service was reached"
    assert {name for name, run in runs.items() if run["outcome"] != "failed"} == set(), runs
    entries = runs["entries"]
    assert entries["error"] == "12 problem(s) reading the source; first: activity 1: description: HTTP 404"
    assert entries["problems"] == sorted([
        "activity 1: description: HTTP 404",              # /etc/passwd: a path on the partner, not ours
        f"activity 2: description: {NOT_HTTP}",           # file:///etc/passwd
        f"activity 3: description: {NOT_HTTP}",           # file://…/store-secret-key
        "activity 4: description: HTTP 404",              # /…/store-secret-key: on the partner
        "activity 5: description: HTTP 404",              # a relative path to the key: on the partner
        f"activity 6: description: {OFF_ORIGIN}",         # the internal service
        f"activity 7: description: {NOT_HTTP}",           # gopher:
        f"activity 8: description: redirect: {OFF_ORIGIN}",
        f"activity 9: description: redirect: {OFF_ORIGIN}",
        f"activity 10: description: {TOO_LARGE}",         # endless
        f"activity 11: description: {TOO_LARGE}",         # announced 1 TB
        "activity 12: description not valid turtle: syntax error at line 1, column 1",  # no excerpt
    ])
    assert runs["paging"]["error"] == f"a page of the feed: {OFF_ORIGIN}"
    assert runs["last"]["error"] == f"a page of the feed: {OFF_ORIGIN}"
    assert runs["doc-to-internal"]["error"] == f"redirect: {OFF_ORIGIN}"
    assert runs["doc-to-elsewhere"]["error"] == f"redirect: {OFF_ORIGIN}"
    assert runs["sparql-to-internal"]["error"].endswith(f": endpoint unreachable: redirect: {OFF_ORIGIN}")
    assert runs["internal"]["error"] == runs["internal-by-name"]["error"] == "refused address (loopback)"
    assert runs["steady"]["error"] == f"redirect: {OFF_ORIGIN}"
    assert count(url, f"{BASE}graph/harvest/steady") == kept  # the previous harvest is intact

    for name in hostile["sources"]:  # nothing fetched reached a quarantine either (H2)
        page = requests.get(f"{url}/harvest/{name}?format=json", timeout=30).json()
        assert page["quarantine"] == [] and not leaks(json.dumps(page), key), name
        assert not leaks(requests.get(f"{url}/harvest/{name}", timeout=30).text, key), name
    for page in (f"{url}/harvest", f"{url}/harvest?format=json"):
        assert not leaks(requests.get(page, timeout=30).text, key), page
    log = requests.get(f"{url}/sparql", params={"query": "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                                                "FILTER(STRSTARTS(STR(?g), \"" + BASE + "graph/harvest\")) }"},
                       headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert log.status_code == 200 and "refused" in log.text and not leaks(log.text, key)
    dump = requests.get(f"{url}/dumps/tscgraph.nq.gz", timeout=120)
    assert dump.status_code == 200
    assert not leaks(gzip.decompress(dump.content).decode("utf-8", errors="replace"), key)
    assert requests.get(f"{url}/health", timeout=30).status_code == 200


def count(url: str, graph: str) -> int:
    answer = requests.get(f"{url}/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> "
                                                            "{ ?s ?p ?o } }"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])
