"""``tscgraph backup`` / ``tscgraph restore`` (graph/backup.py), run as the operator runs them: a round trip gives
back the same quads, private graphs included; a backup is taken while the server runs and writes; restore is
all or nothing and refuses what it cannot trust."""

from __future__ import annotations

import gzip
import subprocess

import requests
from rdflib.compare import isomorphic

from graph.store.oxigraph import OxigraphStore
from tests.conftest import AUTH, BASE, BIN, TOKEN_HASH, cli_env, start_server, stop_server


def cli(store_dir, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "tscgraph"), *map(str, args)], env=cli_env(store_dir), capture_output=True,
                          text=True, input=stdin, timeout=300)


def graphs_of(store_dir) -> dict:
    with OxigraphStore(store_dir) as store:
        return {str(g): store.read_graph(str(g)) for g in store.graph_names()}


def same_quads(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(len(a[g]) == len(b[g]) and isomorphic(a[g], b[g]) for g in a)


def test_a_backup_restores_to_the_same_quads_private_graphs_included(tmp_path):
    source, target, file = tmp_path / "source", tmp_path / "target", tmp_path / "backup.nq.gz"
    assert cli(source, "setup").returncode == 0
    # a private graph too: a pending submission through the machine channel needs a server; write one directly
    with OxigraphStore(source) as store:
        store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/submission/s1> {{ <{BASE}id/project/p> <urn:x:p> _:b . "
                     f"_:b <urn:x:q> \"1500.00\"^^<http://www.w3.org/2001/XMLSchema#decimal> }} }}")
    done = cli(source, "backup", file)
    assert done.returncode == 0, done.stderr
    assert "from the store" in done.stderr
    original = graphs_of(source)
    assert f"{BASE}graph/submission/s1" in original and f"{BASE}graph/changes" in original
    restored = cli(target, "restore", file)
    assert restored.returncode == 0, restored.stderr
    assert same_quads(graphs_of(target), original)


def test_restore_refuses_to_overwrite_data_unless_asked_and_is_then_whole(tmp_path):
    first, second, file = tmp_path / "first", tmp_path / "second", tmp_path / "backup.nq.gz"
    assert cli(first, "setup").returncode == 0
    assert cli(first, "backup", file).returncode == 0
    assert cli(second, "setup").returncode == 0
    with OxigraphStore(second) as store:
        store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/harvest/extra> {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }}")
    before = graphs_of(second)
    refused = cli(second, "restore", file)
    assert refused.returncode == 2 and "--replace" in refused.stderr and "nothing was changed" in refused.stderr
    assert same_quads(graphs_of(second), before)
    replaced = cli(second, "restore", file, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    after = graphs_of(second)
    assert f"{BASE}graph/harvest/extra" not in after and same_quads(after, graphs_of(first))


def test_a_damaged_or_truncated_backup_changes_nothing(tmp_path):
    store_dir, file = tmp_path / "store", tmp_path / "backup.nq.gz"
    assert cli(store_dir, "setup").returncode == 0
    assert cli(store_dir, "backup", file).returncode == 0
    before = graphs_of(store_dir)
    lines = gzip.decompress(file.read_bytes()).decode().splitlines(keepends=True)
    cases = {
        "truncated.nq.gz": gzip.compress("".join(lines[: len(lines) // 2]).encode()),
        "damaged.nq.gz": gzip.compress(("".join(lines) + "<urn:x:a> <urn:x:b> .\n").encode()),
        "headless.nq.gz": gzip.compress("".join(lines[1:]).encode()),
        "not-gzip.nq.gz": "".join(lines).encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        refused = cli(store_dir, "restore", tmp_path / name, "--replace")
        assert refused.returncode == 2 and "nothing was changed" in refused.stderr, (name, refused.stderr)
        assert same_quads(graphs_of(store_dir), before), name


def test_backup_while_the_server_runs_and_writes_then_restore_elsewhere(tmp_path):
    """Online: the server holds the store; the backup reads its newest snapshot, which holds the write just made.
    Restore is refused while the server holds the store, and works once it is stopped."""
    server = start_server(tmp_path, update_tokens=TOKEN_HASH, query_workers="1")
    file = tmp_path / "online.nq.gz"
    try:
        written = requests.post(server.url + "/update", headers=AUTH, timeout=60, data={"update": (
            f"INSERT DATA {{ GRAPH <{BASE}graph/local> {{ <{BASE}id/actor/online> a <https://w3id.org/tscgraph/ontology#Organisation> ; "
            f"<http://www.w3.org/2004/02/skos/core#prefLabel> \"Example: written while online\"@en ; "
            f"<https://w3id.org/tscgraph/ontology#actorType> <https://w3id.org/tscgraph/vocab/actor-type/ngo> }} }}")})
        assert written.status_code == 200, written.text
        done = cli(server.store_dir, "backup", file)
        assert done.returncode == 0, done.stderr
        assert "snapshot" in done.stderr
        refused = cli(server.store_dir, "restore", file, "--replace")
        assert refused.returncode == 2 and "stop the server" in refused.stderr
    finally:
        stop_server(server)
    elsewhere = tmp_path / "elsewhere"
    assert cli(elsewhere, "restore", file).returncode == 0
    assert same_quads(graphs_of(elsewhere), graphs_of(server.store_dir))
    assert any("written while online" in str(o) for o in graphs_of(elsewhere)[f"{BASE}graph/local"].objects())
