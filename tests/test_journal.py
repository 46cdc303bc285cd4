"""A write applied change by change (graph.store.journal): taken back whole when refused, and wholly absent after
a crash in its middle — a real process on a real store, SIGKILLed while the write is half applied, and the
store opened again by the next process, as the writer does when it is started again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.store.journal import marker_path
from graph.store.oxigraph import OxigraphStore
from graph.store.snapshots import SnapshotPublisher

G = ox.NamedNode("https://chm.example.org/graph/local")
EX = "http://example.org/ns#"


def quad(i: int, graph=G) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i)), graph)


def seeded(path: Path) -> list[ox.Quad]:
    store = OxigraphStore(path)
    before = [quad(i) for i in range(5)]
    store._store.extend(before)
    store._store.flush()
    store.close()
    return before


def test_undo_puts_back_exactly_the_state_before(tmp_path):
    before = seeded(tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    bnode = ox.BlankNode()
    store._store.add(ox.Quad(bnode, ox.NamedNode(f"{EX}p"), ox.Literal("kept"), G))
    state = set(store._store)
    journal = store.begin_write()
    journal.apply(before[:2], [quad(10), quad(11)])
    journal.apply([quad(10), ox.Quad(bnode, ox.NamedNode(f"{EX}p"), ox.Literal("kept"), G)], [before[0]])
    assert set(store._store) != state
    journal.undo()
    assert set(store._store) == state  # the stored blank node too: removed, then put back as itself
    assert not marker_path(tmp_path / "store").exists()
    store.close()


CRASH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import pyoxigraph as ox
    from graph.store.oxigraph import OxigraphStore
    from graph.store.snapshots import SnapshotPublisher

    path, publish = Path(sys.argv[1]), sys.argv[2] == "publisher"
    store = OxigraphStore(path)
    if publish:
        SnapshotPublisher(store, path.with_name("snapshots"))
    g = ox.NamedNode("https://chm.example.org/graph/local")
    journal = store.begin_write()
    gone = list(store._store.quads_for_pattern(None, None, None, g))[:3]
    journal.apply(gone, [ox.Quad(ox.NamedNode(f"http://example.org/ns#new{i}"), ox.NamedNode("http://example.org/ns#p"),
                                 ox.Literal(str(i)), g) for i in range(100)])
    store._store.flush()  # the half-applied write is on disk: only the journal's marker can take it back
    print("applied", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.parametrize("recovery", ["publisher", "checkpoint"])
def test_a_write_killed_in_its_middle_is_wholly_absent_when_the_store_opens_again(tmp_path, recovery):
    """``publisher``: the marker names the writer's published snapshot; ``checkpoint``: a store written without
    one takes a checkpoint of its own."""
    path = tmp_path / "store"
    before = seeded(path)
    proc = subprocess.run([sys.executable, "-c", CRASH, str(path), recovery], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == -9 and "applied" in proc.stdout, proc.stderr
    assert marker_path(path).exists()
    store = OxigraphStore(path)  # opening it takes the cut write back before anything reads
    try:
        assert set(store._store) == set(before)
        assert not marker_path(path).exists()
        assert not path.with_name(path.name + "-write-checkpoint").exists()
    finally:
        store.close()


def test_a_marker_whose_snapshot_is_gone_refuses_to_open(tmp_path):
    """A store whose cut write cannot be taken back is not opened as if nothing happened."""
    path = tmp_path / "store"
    seeded(path)
    marker_path(path).write_text('{"snapshot": "%s"}' % (tmp_path / "gone"), encoding="utf-8")
    with pytest.raises(Exception, match="restore the store from a backup"):
        OxigraphStore(path)


def test_the_publisher_is_the_recovery_point_and_a_kept_write_leaves_no_marker(tmp_path):
    path = tmp_path / "store"
    seeded(path)
    store = OxigraphStore(path)
    publisher = SnapshotPublisher(store, tmp_path / "snapshots")
    journal = store.begin_write()
    assert marker_path(path).exists() and publisher.current() in marker_path(path).read_text(encoding="utf-8")
    journal.apply([], [quad(99)])
    journal.close()
    assert not marker_path(path).exists() and quad(99) in store._store
    store.close()
