"""Published snapshots (graph/store/snapshots.py): public queries read the public state's own snapshot, which the
writer keeps while that state is the public one, so a private write (a submission, a sign-in) does not make every
query worker open a new store (~14 ms of CPU each)."""

from __future__ import annotations

import shutil
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from graph.namespaces import TSC
from graph.settings import load_settings
from graph.store.oxigraph import OxigraphStore
from graph.store.querypool import QueryJob, QueryPool
from graph.store.snapshots import SnapshotPublisher
from tests.conftest import BASE


def titled(title: str) -> Graph:
    graph = Graph()
    record = URIRef(f"{BASE}id/project/{title}")
    graph.add((record, RDF.type, TSC.Project))
    graph.add((record, DCTERMS.title, Literal(title)))
    return graph


def test_the_public_states_snapshot_is_kept_while_private_writes_publish_newer_ones(tmp_path):
    settings = load_settings(overrides={"store_dir": tmp_path / "store"}, environ={})
    store = OxigraphStore(settings.store_dir)
    publisher = SnapshotPublisher(store, tmp_path / "snapshots", keep=1, retention=0)
    store.add_graphs({settings.local_graph: titled("public")})
    public = publisher.refresh()
    assert public.public_path == public.path
    for n in range(4):  # more than `keep`, each past the retention: only the public state's snapshot stays
        store.add_graphs({settings.submission_graph(f"s{n}"): titled(f"pending-{n}")})
        private = publisher.refresh(public=False)
        assert private.public_path == public.path != private.path
        assert Path(public.path).is_dir()
    store.add_graphs({settings.local_graph: titled("next")})
    after = publisher.refresh()
    assert after.public_path == after.path
    publisher.refresh(public=False)  # superseded with its state: dropped past the retention like any other
    assert not Path(public.path).exists()
    store.close()


def test_a_public_query_reads_the_public_snapshot_and_an_editors_the_newest(tmp_path):
    settings = load_settings(overrides={"store_dir": tmp_path / "store", "query_workers": 1}, environ={})
    store = OxigraphStore(settings.store_dir)
    publisher = SnapshotPublisher(store, tmp_path / "snapshots")
    store.add_graphs({settings.local_graph: titled("public")})
    public = publisher.refresh()
    store.add_graphs({settings.submission_graph("s1"): titled("pending")})
    newest = publisher.refresh(public=False)
    pool = QueryPool(publisher, settings, size=1, time_limit=30, queue_wait=30)
    pool.start()
    try:
        query = "SELECT ?t WHERE { ?p <http://purl.org/dc/terms/title> ?t }"
        shutil.rmtree(newest.path)  # what reads the newest snapshot now fails; the public snapshot still answers
        rendered = pool.run(QueryJob(query, "json", 100))
        assert b'"public"' in rendered.body and b"pending" not in rendered.body
        try:
            pool.run(QueryJob(query, "json", 100, public=False))
        except Exception as exc:  # noqa: BLE001 - the store's error, whichever the engine gives
            assert "store" in str(exc).lower() or newest.path in str(exc)
        else:
            raise AssertionError("an editor's query read the public snapshot, not the newest")
        assert Path(public.path).is_dir()
    finally:
        pool.close()
        store.close()
