"""Harvesting (loaders/harvest.py, ``tscgraph harvest``): own graph per source, atomic replace, quarantine,
provenance, unchanged re-harvests, failing sources, and a harvest killed half-way."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import URIRef

from bench.peers import free_port
from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from graph.store.view import PublicView
from loaders.harvest import Source, fetch, harvest_source, log_graph, quarantine_graph, read_sources
from tests.conftest import BIN, cli_env

DATA = Path(__file__).resolve().parent / "data" / "harvest"
PARTNER = "https://partner.example.org/id/"
fast_fetch = partial(fetch, backoff=(0.01,), timeout=5)


def run(store, settings, validator, source, **kw):
    return harvest_source(store, settings, source, validator, fetcher=kw.pop("fetcher", fast_fetch), **kw)


def on_loopback(name: str, url: str) -> Source:
    """An rdf source served by the test's own partner on loopback, which the sources file must allow."""
    return Source(name, "rdf", url, allow_private_addresses=True)


def served(body: dict[str, bytes], delay: float = 0.0):
    """A loopback HTTP server in a thread serving ``body`` by path (``delay`` seconds between 4 KiB chunks)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            data = body.get(self.path)
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for i in range(0, len(data), 4096):
                    self.wfile.write(data[i:i + 4096])
                    if delay:
                        time.sleep(delay)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_sources_file_example_reads():
    sources = read_sources(ROOT / "harvest.example.toml")
    assert sources and all(s.url.startswith("https://") and "example.org" in s.url for s in sources)


def test_sources_file_errors(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[source]]\nname = "a b"\nkind = "rdf"\nurl = "x.ttl"\n')
    with pytest.raises(ValueError, match="name must be"):
        read_sources(bad)
    bad.write_text('[[source]]\nname = "a"\nkind = "csv"\nurl = "x.ttl"\n')
    with pytest.raises(ValueError, match="kind must be"):
        read_sources(bad)
    for value in ('["https://mirror.example/path"]', '["file:///etc"]', '"https://mirror.example"', '[3]'):
        bad.write_text(f'[[source]]\nname = "a"\nkind = "rdf"\nurl = "x.ttl"\nallow_origins = {value}\n')
        with pytest.raises(ValueError, match="allow_origins must be a list of origins"):
            read_sources(bad)
    bad.write_text('[[source]]\nname = "a"\nkind = "rdf"\nurl = "x.ttl"\nallow_private_addresses = "yes"\n')
    with pytest.raises(ValueError, match="allow_private_addresses must be true or false"):
        read_sources(bad)
    bad.write_text('[[source]]\nname = "a"\nkind = "rdf"\nurl = "https://p.example/x.ttl"\n'
                   'allow_origins = ["https://Mirror.example:8443/"]\nallow_private_addresses = true\n')
    [source] = read_sources(bad)
    assert source.policy().origins == {"https://p.example:443", "https://mirror.example:8443"}
    assert source.policy().private


def test_file_source_quarantine_provenance_and_unchanged(store, settings, validator, tmp_path):
    path = tmp_path / "partner.ttl"
    shutil.copy(DATA / "with-violation.ttl", path)
    source = Source("partner-a", "rdf", str(path), "24h")
    first = run(store, settings, validator, source)
    assert (first.outcome, first.records, first.quarantined, first.added) == ("ok", 2, 1, 3), first.error
    harvest, quarantine = settings.harvest_graph("partner-a"), quarantine_graph(settings, "partner-a")
    untitled = URIRef(PARTNER + "project/example-untitled")
    assert (untitled, None, None) not in store.read_graph(harvest)
    held = store.read_graph(quarantine)
    assert (untitled, None, None) in held
    # the quarantined record's report is readable (raw store), and says what is wrong
    rows = store.select("PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?path ?g ?f WHERE { GRAPH ?g { "
                        "?r sh:focusNode ?f ; sh:resultPath ?path } }", bindings={"g": URIRef(quarantine), "f": untitled})
    assert {str(r["path"]) for r in rows} >= {"http://purl.org/dc/terms/title"}
    # ...but not public
    view = PublicView(store, settings.is_public_graph)
    assert not view.query("ASK { ?s ?p ?o }", bindings={"s": untitled}).boolean
    assert view.query("ASK { ?s ?p ?o }", bindings={"s": URIRef(PARTNER + "project/example-survey")}).boolean
    # provenance is public and queryable
    rows = view.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX void: <http://rdfs.org/ns/void#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?outcome ?n ?q ?hg ?qg WHERE { ?run dcterms:type ?outcome ; "
        "prov:wasAssociatedWith ?agent ; prov:startedAtTime ?t ; prov:generated ?h, ?qq . "
        "?h void:entities ?n ; dcterms:isPartOf ?hg . ?qq void:entities ?q ; dcterms:isPartOf ?qg }",
        bindings={"hg": URIRef(harvest), "qg": URIRef(quarantine)})
    assert [(str(r["outcome"]), int(r["n"]), int(r["q"])) for r in rows] == [("ok", 2, 1)]
    # unchanged: nothing but the run record
    before = {g: v for g, v in store.fingerprints().items() if g != log_graph(settings)}
    second = run(store, settings, validator, source)
    assert second.outcome == "unchanged" and (second.added, second.removed, second.changed) == (0, 0, 0)
    assert {g: v for g, v in store.fingerprints().items() if g != log_graph(settings)} == before
    # changed source: fixed record leaves quarantine, one removed
    path.write_text(DATA.joinpath("good.ttl").read_text().replace("a harvested survey", "a renamed survey"))
    third = run(store, settings, validator, source)
    assert (third.outcome, third.quarantined, third.added, third.removed, third.changed) == ("ok", 0, 0, 1, 1)
    assert store.count(quarantine) == 0


def test_http_source_down_and_malformed_keep_previous(store, settings, validator):
    server, url = served({"/a.ttl": (DATA / "good.ttl").read_bytes(), "/bad.ttl": b"<oops> <is> not turtle ."})
    try:
        source = on_loopback("partner-b", url + "/a.ttl")
        assert run(store, settings, validator, source).outcome == "ok"
        graph = settings.harvest_graph("partner-b")
        kept = store.fingerprints()[graph]
        progress: list[str] = []
        down = on_loopback("partner-b", f"http://127.0.0.1:{free_port()}/a.ttl")
        failed = run(store, settings, validator, down, progress=progress.append)
        assert failed.outcome == "failed" and "after 3 attempts" in failed.error
        assert sum("retrying" in line for line in progress) == 2
        malformed = run(store, settings, validator, on_loopback("partner-b", url + "/bad.ttl"))
        assert malformed.outcome == "failed"
        missing = run(store, settings, validator, on_loopback("partner-b", url + "/gone.ttl"))
        assert missing.outcome == "failed" and "404" in missing.error
        assert store.fingerprints()[graph] == kept
        outcomes = store.select("PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#> "
                                "SELECT ?o ?e ?g WHERE { GRAPH ?g { ?r dcterms:type ?o ; prov:endedAtTime ?e } } ORDER BY ?e",
                                bindings={"g": URIRef(log_graph(settings))})
        assert [str(r["o"]) for r in outcomes] == ["ok", "failed", "failed", "failed"]
    finally:
        server.shutdown()
        server.server_close()


def kill_at(command: list[str], env: dict, marker: str, wait: float, timeout: float = 240) -> None:
    """Run ``command`` and SIGKILL it ``wait`` seconds after it prints a progress line holding ``marker``
    (bounded: the line, or ``timeout`` seconds); fails if it ends on its own first."""
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        deadline, line = time.monotonic() + timeout, ""
        while marker not in line and time.monotonic() < deadline:
            line = proc.stderr.readline() or line
            if proc.poll() is not None:
                break
        assert marker in line, f"the command never printed {marker!r}"
        time.sleep(wait)
        assert proc.poll() is None, "the command ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stderr.close()


def test_killed_harvest_leaves_previous_intact(tmp_path):
    """A real ``tscgraph harvest`` killed (SIGKILL) mid-run: the previous harvest of the source is unchanged."""
    from bench.generate import write_dataset

    big = tmp_path / "big.nt"
    write_dataset(big, 20000)
    body = {"/partner.ttl": (DATA / "good.ttl").read_bytes(), "/partner.nt": big.read_bytes()}
    server, url = served(body, delay=0.005)
    store_dir = tmp_path / "store"
    env = cli_env(store_dir)
    sources = tmp_path / "sources.toml"
    try:
        sources.write_text(f'[[source]]\nname = "partner-c"\nkind = "rdf"\nurl = "{url}/partner.ttl"\n'
                           'allow_private_addresses = true\n')  # the partner is on loopback
        done = subprocess.run([str(BIN / "tscgraph"), "harvest", "--sources-file", str(sources)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with OxigraphStore(store_dir) as store:
            graph = "https://chm.example.org/graph/harvest/partner-c"
            kept = store.fingerprints()[graph]
        sources.write_text(f'[[source]]\nname = "partner-c"\nkind = "rdf"\nurl = "{url}/partner.nt"\n'
                           'allow_private_addresses = true\n')
        kill_at([str(BIN / "tscgraph"), "harvest", "--sources-file", str(sources)], env, "fetching", 0.5)
        with OxigraphStore(store_dir) as store:
            assert store.fingerprints()[graph] == kept
    finally:
        server.shutdown()
        server.server_close()


def test_harvest_killed_inside_its_write_leaves_one_whole_state(tmp_path):
    """SIGKILL once the harvest has started its one-transaction write (its "writing" progress line): the
    source's graph afterwards is the previous harvest or the new one, whole — never a mix — and the change
    feed, synced again, reports exactly the records the graph holds."""
    from bench.generate import write_dataset
    from graph.changes import known_states, record_digests, sync_all

    big = tmp_path / "big.nt"
    write_dataset(big, 20000)
    server, url = served({"/partner.ttl": (DATA / "good.ttl").read_bytes(), "/partner.nt": big.read_bytes()})
    graph = "https://chm.example.org/graph/harvest/partner-k"
    sources = tmp_path / "sources.toml"

    def harvest_cli(store_dir, path):
        sources.write_text(f'[[source]]\nname = "partner-k"\nkind = "rdf"\nurl = "{url}{path}"\n'
                           'allow_private_addresses = true\n')  # the partner is on loopback
        return [str(BIN / "tscgraph"), "harvest", "--sources-file", str(sources)], cli_env(store_dir)

    def records(store_dir):
        with OxigraphStore(store_dir) as store:
            return record_digests(store.read_graph(graph))

    try:
        reference = tmp_path / "reference"  # the new harvest, complete: what a kill after the commit leaves
        for path in ("/partner.ttl", "/partner.nt"):
            command, env = harvest_cli(reference, path)
            assert subprocess.run(command, env=env, capture_output=True, timeout=300).returncode == 0
        new = records(reference)
        previous_store = tmp_path / "previous"
        command, env = harvest_cli(previous_store, "/partner.ttl")
        assert subprocess.run(command, env=env, capture_output=True, timeout=300).returncode == 0
        previous = records(previous_store)
        assert previous and new and previous != new
        seen = []
        for trial, wait in enumerate((0.0, 0.3)):
            store_dir = tmp_path / f"trial-{trial}"
            shutil.copytree(previous_store, store_dir)
            command, env = harvest_cli(store_dir, "/partner.nt")
            kill_at(command, env, "writing", wait)
            after = records(store_dir)
            assert after in (previous, new), "a killed write left a mix of two harvests"
            seen.append("previous" if after == previous else "new")
            with OxigraphStore(store_dir) as store:
                sync_all(store)
                feed = {r: d for r, d in known_states(store, graph).items() if d is not None}
            assert feed == after
        assert "previous" in seen, seen  # killed right at the start of the write, it did not land
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("backend_name", ["embedded", "oxigraph-server", "virtuoso"])
def test_a_harvest_runs_on_every_store_backend(backend_name, request, settings, validator, tmp_path):
    """A source larger than one Virtuoso request (3,000 triples) is harvested whole on each backend, its feed
    logs each record, and harvesting it again changes nothing."""
    from bench.generate import write_dataset
    from graph.changes import known_states
    from tests.backends import backend_store

    data = tmp_path / "partner.nt"
    write_dataset(data, 3000)
    source = Source("partner-x", "rdf", str(data))
    graph = settings.harvest_graph("partner-x")
    for store in backend_store(backend_name, request, settings):
        run = harvest_source(store, settings, source, validator, fetcher=fast_fetch)
        assert run.outcome == "ok", run.error
        assert store.count(graph) == run.triples > 2500 and run.quarantined == 0
        assert len(known_states(store, graph)) == run.records > 100
        again = harvest_source(store, settings, source, validator, fetcher=fast_fetch)
        assert again.outcome == "unchanged" and store.count(graph) == run.triples
        runs = store.select("PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?log ?run WHERE { GRAPH ?log { ?run a prov:Activity } }",
                            bindings={"log": URIRef(log_graph(settings))})
        assert len(runs) == 2
