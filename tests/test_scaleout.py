"""Beyond one machine (#17): two tscgraph web tiers ("hosts" on loopback) in front of one external store
(an Oxigraph server), with one writer, behind a reverse proxy (Debian's nginx, installed by the test set-up
when missing) — the production layout of docs/backends.md, in small.

Writes sent through the proxy to either host land once, through the one writer; reads through the proxy
are answered by both hosts and find every write; a host's cache follows writes made through the other.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
import requests

from bench.peers import free_port, store_server
from tests.conftest import AUTH, BASE, TOKEN_HASH, start_server, stop_server
from tests.system_packages import ensure_debian_packages

NGINX = "/usr/sbin/nginx"
JSON = {"Accept": "application/sparql-results+json"}
NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    upstream tscgraph {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 10m;
        client_body_timeout 30s;
        client_header_timeout 10s;
        location / {{
            proxy_pass http://tscgraph;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 660s;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    ensure_debian_packages({NGINX: "nginx"})
    tmp = tmp_path_factory.mktemp("scaleout")
    with store_server("oxigraph-server", tmp / "oxigraph") as store:
        writer_port = free_port()
        shared = {**{k: str(v) for k, v in store.settings.items()}, "update_tokens": TOKEN_HASH,
                  "secret_key": "a-key-every-host-shares-" + uuid.uuid4().hex, "trusted_proxies": "1",
                  "web_processes": "1", "rate_limit": "1000"}
        writer = start_server(tmp / "writer", serve_args=("--role", "writer"), health=None,
                              writer_listen=f"127.0.0.1:{writer_port}", **shared)
        deadline = time.monotonic() + 120
        while True:  # bounded: the writer sets the store up and listens
            try:
                if requests.get(f"http://127.0.0.1:{writer_port}/_tscgraph/state", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the writer did not start:\n" + writer.log()
            time.sleep(0.2)
        hosts = [start_server(tmp / f"host-{name}", serve_args=("--role", "reader"), setup=False,
                              writer_url=f"http://127.0.0.1:{writer_port}", **shared) for name in "ab"]
        port = free_port()
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, a=hosts[0].url.rsplit(":", 1)[1],
                                                          b=hosts[1].url.rsplit(":", 1)[1], port=port))
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / folder).mkdir()
        nginx = subprocess.Popen([NGINX, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        proxy = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:  # bounded
            try:
                if requests.get(proxy + "/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and nginx.poll() is None, (tmp / "nginx-error.log").read_text()
            time.sleep(0.1)
        try:
            yield proxy, hosts, writer
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)
            for server in (*hosts, writer):
                stop_server(server)


def count(url: str, subject: str) -> int:
    r = requests.get(url + "/sparql", headers=JSON, timeout=60,
                     params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {subject} ?p ?o }}"})
    assert r.status_code == 200, r.text[:300]
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_writes_through_the_proxy_land_once_and_both_hosts_read_them(layout):
    proxy, hosts, writer = layout
    subjects = []
    for n in range(6):  # the proxy alternates: each host hands some of these to the writer
        subject = f"<{BASE}id/note/scaleout-{uuid.uuid4().hex}>"
        r = requests.post(proxy + "/update", headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=120,
                          data=f'INSERT DATA {{ {subject} <http://www.w3.org/2000/01/rdf-schema#comment> "{n}" }}')
        assert r.status_code == 200, r.text[:300]
        subjects.append(subject)
        assert count(proxy, subject) == 1  # read through the proxy: whichever host answers has it
    for host in hosts:  # and each host, asked directly, has every write
        assert all(count(host.url, s) == 1 for s in subjects)
    answered = [sum('"path": "/sparql"' in line for line in host.log().splitlines()) for host in hosts]
    assert all(answered), f"reads per host: {answered}"
    written = [line for line in writer.log().splitlines() if '"path": "/update"' in line]
    assert len(written) == len(subjects)  # every write went to the one writer, once
    assert not [line for line in writer.log().splitlines() if '"status": 5' in line]


def test_a_host_s_cache_follows_a_write_made_through_the_other(layout):
    proxy, (a, b), _writer = layout
    url = "/graph?format=json"
    before = requests.get(b.url + url, timeout=30).json()["triples"]
    assert requests.get(b.url + url, timeout=30).json()["triples"] == before  # now answered from b's cache
    r = requests.post(a.url + "/update", headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=120,
                      data=f'INSERT DATA {{ <{BASE}id/note/{uuid.uuid4().hex}> '
                           '<http://www.w3.org/2000/01/rdf-schema#comment> "x" }')
    assert r.status_code == 200
    deadline = time.monotonic() + 10
    while requests.get(b.url + url, timeout=30).json()["triples"] != before + 1:  # bounded: b learns the state
        assert time.monotonic() < deadline, "host b kept serving the answer from before the write"
        time.sleep(0.05)

