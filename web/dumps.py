"""Data dumps: every public graph as compressed N-Quads, and their union as one compressed Turtle file.

Public graphs are the ontology graph, the local graph and the harvested graphs (``{base}graph/harvest/…``);
submission graphs (pending, unreviewed records) and any other graph are never dumped.

A dump is built on demand, at the first request after the public data changed, and kept in
``settings.dumps_dir``; it is written to a temporary file and renamed, so a half-written dump is never
served, and older dumps are then removed. What "the data changed" means: the public state the writer
publishes with each snapshot (:mod:`graph.store.snapshots`; it names the writer's run too, so a restart
rebuilds the dumps once). A dump's name (and ETag) is a digest of that state. **Built once for the whole
server**: the readers share the folder, and one build at a time holds a lock on a file in it (``flock``),
so the other readers wait for that build and then serve its file.

Why not key dumps by content (``Store.fingerprints()``)? Measured at 1M triples: fingerprinting reads
every quad in Python, 7.5 s, more than building the N-Quads dump itself (5 s); a state key costs nothing.
The price: a write to a graph that is not dumped (a submission) also renews the dumps.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from graph.settings import Settings
from graph.store.base import Store


@dataclass(frozen=True)
class Dump:
    name: str
    media_type: str  # of the content, before compression
    fmt: Literal["nquads", "turtle"]  # of Store.export


DUMPS = (
    Dump("tscgraph.nq.gz", "application/n-quads", "nquads"),
    Dump("tscgraph.ttl.gz", "text/turtle", "turtle"),
)
BY_NAME = {d.name: d for d in DUMPS}
#: gzip level: 6 (the default) costs ~2x level 1's time for ~15 % smaller files; dumps are built rarely.
COMPRESS_LEVEL = 6


def public_graphs(store) -> list[str]:
    """The graphs a dump holds: those the public view of the store shows (never pending submissions)."""
    return [str(g) for g in store.graph_names()]


def write_dump(store: Store, graphs: list[str], dump: Dump, target: Path) -> None:
    """Write ``dump`` of ``graphs`` to ``target`` atomically (temporary file in the same folder, renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".building-{dump.name}-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(filename=target.name[:-3], mode="wb", fileobj=raw,
                                                       compresslevel=COMPRESS_LEVEL, mtime=0) as out:
            store.export(out, dump.fmt, graphs=graphs)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Dumps:
    """The dumps of one app: which state of the store they stand for, built once per state."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def key(self, marker: str) -> str:
        """The content key of the store's public state that ``marker`` names."""
        return hashlib.sha256(f"tscgraph dump {marker}".encode()).hexdigest()[:20]

    def path(self, dump: Dump, key: str) -> Path:
        return self.directory / f"{key}-{dump.name}"

    def built(self, dump: Dump, marker: str) -> Path | None:
        """The dump's file if it is already built for ``marker``'s state (no work), else None."""
        path = self.path(dump, self.key(marker))
        return path if path.is_file() else None

    def ensure(self, store: Store, settings: Settings, dump: Dump, marker: str) -> tuple[Path, str]:
        """The dump's file for the current state, built first if needed; and its key."""
        key = self.key(marker)
        path = self.path(dump, key)
        if path.is_file():
            return path, key
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.directory / f".lock-{dump.name}", "a") as lock:  # this process's threads, then
            fcntl.flock(lock, fcntl.LOCK_EX)                                       # every reader: one build
            try:
                if not path.is_file():
                    for leftover in self.directory.glob(f".building-{dump.name}-*"):  # killed midway: none runs now
                        leftover.unlink(missing_ok=True)
                    write_dump(store, public_graphs(store), dump, path)
                    for old in self.directory.glob(f"*-{dump.name}"):
                        if old != path:
                            old.unlink(missing_ok=True)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return path, key
