"""A write applied change by change, that can be taken back whole — and that a crash cannot leave half done.

The writer applies an update's operations one after the other (each sees the ones before), validates the
records they touched as they now stand, and keeps or takes back the whole. pyoxigraph gives a transaction per
call but none around several, and cannot name a stored blank node in ``DELETE DATA``: so a write is applied
with exact quads (``remove``, ``extend``) and journalled here —

* :meth:`Journal.apply` records what each change really did (the quads it removed that were there, the quads
  it added that were not), so :meth:`Journal.undo` puts back exactly the state before, blank nodes included;
* before the first change, a **marker** is written beside the store naming a snapshot of the state before the
  write (the writer's newest published snapshot, taken anew if the store changed since; without a publisher,
  a checkpoint of its own beside the store); it is removed when
  the write is kept or taken back. A store opened with the marker still there (:func:`recover`) is put back
  to that snapshot first: a write cut by a crash is wholly absent.

Readers never see a write half applied either way: they read snapshots, and the next one is published only
once the write is kept.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

MARKER_SUFFIX = "-write-in-progress"
CHECKPOINT_SUFFIX = "-write-checkpoint"


def marker_path(store_dir: Path) -> Path:
    return store_dir.with_name(store_dir.name + MARKER_SUFFIX)


def recover(store_dir: Path) -> bool:
    """Put the store back to the snapshot a cut write's marker names (before the store is opened). True when a
    write was taken back. A marker whose snapshot is gone is an error: the store's state cannot be trusted."""
    marker = marker_path(store_dir)
    if not marker.exists():
        return False
    snapshot = Path(json.loads(marker.read_text(encoding="utf-8"))["snapshot"])
    if not snapshot.is_dir():
        raise OSError(f"a write to {store_dir} was cut and its recovery snapshot {snapshot} is gone: restore the "
                      "store from a backup (tscgraph restore)")
    rebuilt = store_dir.with_name(store_dir.name + ".recovering")
    shutil.rmtree(rebuilt, ignore_errors=True)
    ox.Store.read_only(str(snapshot)).backup(str(rebuilt))  # a checkpoint: hard links, fast
    aside = store_dir.with_name(store_dir.name + ".cut")
    shutil.rmtree(aside, ignore_errors=True)
    if store_dir.exists():
        os.replace(store_dir, aside)
    os.replace(rebuilt, store_dir)
    shutil.rmtree(aside, ignore_errors=True)
    marker.unlink()
    if snapshot.name.endswith(CHECKPOINT_SUFFIX):
        shutil.rmtree(snapshot, ignore_errors=True)
    return True


class Journal:
    """The changes of one write to ``engine`` (a pyoxigraph Store), with the marker of :func:`recover`."""

    def __init__(self, engine: ox.Store, store_dir: Path | None, recovery_point: Callable[[], str | None] | None,
                 *, on_change: Callable[[list[ox.Quad]], None] | None = None):
        self.engine = engine
        self.on_change = on_change  #: told the quads each change removed and added (the store's change ledger)
        self.removed: list[list[ox.Quad]] = []
        self.added: list[list[ox.Quad]] = []
        self.marker: Path | None = None
        self.checkpoint: Path | None = None
        snapshot = None
        if store_dir is not None:
            snapshot = recovery_point() if recovery_point is not None else None
            if snapshot is None:  # no published snapshot (a store used without the writer's publisher)
                self.checkpoint = store_dir.with_name(store_dir.name + CHECKPOINT_SUFFIX)
                shutil.rmtree(self.checkpoint, ignore_errors=True)
                engine.backup(str(self.checkpoint))  # a RocksDB checkpoint: hard links, fast
                snapshot = str(self.checkpoint)
        if snapshot is not None:
            self.marker = marker_path(store_dir)  # type: ignore[arg-type]
            tmp = self.marker.with_name(self.marker.name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump({"snapshot": snapshot}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.marker)

    def apply(self, deletes: list[ox.Quad], inserts: list[ox.Quad]) -> tuple[list[ox.Quad], list[ox.Quad]]:
        """Remove ``deletes`` then add ``inserts``; what was really removed and really added."""
        removed = list(dict.fromkeys(q for q in deletes if q in self.engine))
        for quad in removed:
            self.engine.remove(quad)
        added = list(dict.fromkeys(q for q in inserts if q not in self.engine))
        if added:
            self.engine.extend(added)
        self.removed.append(removed)
        self.added.append(added)
        if self.on_change is not None:
            self.on_change(removed + added)
        return removed, added

    def changed(self) -> tuple[list[ox.Quad], list[ox.Quad]]:
        """Every quad removed and every quad added so far (a quad removed then added again counts in both)."""
        return [q for part in self.removed for q in part], [q for part in self.added for q in part]

    def undo(self) -> None:
        """Put back the state before the first change (in reverse order, each change exactly)."""
        for removed, added in zip(reversed(self.removed), reversed(self.added)):
            for quad in added:
                self.engine.remove(quad)
            if removed:
                self.engine.extend(removed)
        self.removed.clear()
        self.added.clear()
        self.close()

    def close(self) -> None:
        """The write is kept (or was taken back): the marker goes. Every change is in the engine's write-ahead
        log already, which a killed process does not lose; the snapshot published next flushes it to disk."""
        if self.marker is not None:
            self.marker.unlink(missing_ok=True)
            self.marker = None
        if self.checkpoint is not None:
            shutil.rmtree(self.checkpoint, ignore_errors=True)
            self.checkpoint = None
