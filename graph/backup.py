"""Backup and restore: every quad of the store (private graphs included) in one gzip N-Quads file.

**Backup is online and consistent.** A running server owns the embedded store (one process may open it),
but it keeps read-only snapshots of it — RocksDB checkpoints, renewed after every write — for its query
workers. ``tscgraph backup`` reads the newest snapshot when the store is locked, the store itself when it
is not; either way it reads one state of the store, never a write half done. (An external store is read
graph by graph through the protocol; consistency across graphs is then the store's, see docs/backends.md.)

The file is written to a temporary name and renamed, and begins with a comment line giving the number of
quads, so a truncated or edited backup is refused at restore::

    # tscgraph backup 2026-11-24T16:00:00+00:00 quads=123456 graphs=9

**Restore is all or nothing.** The whole file is read and checked first; then every graph of the backup
replaces its namesake and every other graph is dropped, in one ``replace_graphs`` call (one transaction in
the embedded store). It needs the store to itself (stop the server), and refuses to overwrite a store
that holds data unless asked to (``--replace``).
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rdflib import Dataset, Graph, URIRef

from graph.changes import sync_all
from graph.settings import Settings
from graph.store import Store, StoreError, StoreLockedError, open_store

Progress = Callable[[str], None]
HEADER = re.compile(r"# tscgraph backup (\S+) quads=(\d+) graphs=(\d+)")
#: Attempts at reading the newest snapshot: the server drops old ones as it writes.
SNAPSHOT_ATTEMPTS = 3


class BackupError(Exception):
    """A backup could not be made or restored; the message says why, and nothing was changed."""


@dataclass(frozen=True)
class Summary:
    quads: int
    graphs: int
    source: str  # "store", "snapshot …" or the backup file


def _newest_snapshot(settings: Settings) -> Path | None:
    directory = settings.snapshots_dir
    found = sorted(p for p in directory.iterdir() if p.is_dir() and p.name.isdigit()) if directory.is_dir() else []
    return found[-1] if found else None


def _export(store: Store, target: Path) -> tuple[int, int]:
    """Every quad of ``store`` into ``target`` (gzip N-Quads with the header line), atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=target.parent)
    try:
        graphs = [str(g) for g in store.graph_names()]
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as out:
            quads = sum(store.count(g) for g in graphs)
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            out.write(f"# tscgraph backup {stamp} quads={quads} graphs={len(graphs)}\n".encode())
            store.export(out, "nquads", graphs=graphs)
        os.replace(tmp, target)
        return quads, len(graphs)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup(settings: Settings, target: Path, progress: Progress = lambda _m: None) -> Summary:
    """Write the store's quads to ``target``: from the store, or from the running server's newest snapshot."""
    try:
        with open_store(settings) as store:
            progress("reading the store")
            quads, graphs = _export(store, target)
            return Summary(quads, graphs, "store")
    except StoreLockedError:
        pass  # a server holds it: its snapshots are the consistent, readable state
    from graph.store.oxigraph import OxigraphStore

    for attempt in range(SNAPSHOT_ATTEMPTS):
        snapshot = _newest_snapshot(settings)
        if snapshot is None:
            raise BackupError(f"the store at {settings.store_dir} is in use and its server keeps no snapshot in "
                              f"{settings.snapshots_dir}: stop the process that holds it, or back up from the server's machine")
        try:
            with OxigraphStore.open_read_only(snapshot) as store:
                progress(f"the store is in use: reading the server's newest snapshot ({snapshot.name})")
                quads, graphs = _export(store, target)
                return Summary(quads, graphs, f"snapshot {snapshot.name}")
        except (StoreError, OSError) as exc:  # dropped by the server meanwhile: take the next newest
            progress(f"snapshot {snapshot.name} went away ({exc}); trying the newest again")
            time.sleep(0.2 * (attempt + 1))
    raise BackupError("the server's snapshots kept changing while they were read; try again")


def read_backup(source: Path) -> dict[str, Graph]:
    """The graphs of a backup file, checked against its header; :class:`BackupError` when it cannot be trusted."""
    try:
        with gzip.open(source, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"{source}: not a readable gzip file ({exc})") from None
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    header = HEADER.fullmatch(first.strip())
    if header is None:
        raise BackupError(f"{source}: not a tscgraph backup (its first line is not the backup header)")
    dataset = Dataset()
    try:
        dataset.parse(data=data, format="nquads")
    except Exception as exc:  # noqa: BLE001 - any parser error means the file is damaged
        raise BackupError(f"{source}: damaged ({exc})") from None
    graphs = {}
    for context in dataset.graphs():
        name = str(context.identifier)
        if len(context) and isinstance(context.identifier, URIRef) and not name.startswith("urn:x-rdflib:"):
            graphs[name] = Graph() + context
    quads = sum(len(g) for g in graphs.values())
    if quads != int(header.group(2)) or len(graphs) != int(header.group(3)):
        raise BackupError(f"{source}: holds {quads} quads in {len(graphs)} graphs, its header says "
                          f"{header.group(2)} in {header.group(3)}: truncated or edited, not restored")
    return graphs


def restore(settings: Settings, source: Path, *, replace: bool = False,
            progress: Progress = lambda _m: None) -> Summary:
    """Make the store hold exactly the backup's quads, in one transaction (see the module docstring)."""
    progress(f"reading {source}")
    graphs = read_backup(source)
    try:
        store = open_store(settings)
    except StoreLockedError as exc:
        raise BackupError(f"{exc}; stop the server before restoring") from None
    with store:
        present = [str(g) for g in store.graph_names()]
        if present and not replace:
            raise BackupError(f"the store already holds {store.count()} quads in {len(present)} graphs; "
                              "restore over them with --replace")
        content = {name: Graph() for name in present} | graphs
        progress(f"writing {sum(len(g) for g in graphs.values())} quads in {len(graphs)} graphs, in one transaction")
        store.replace_graphs(content)
        sync_all(store)  # the feeds came with the backup; this only logs what they did not know
        return Summary(store.count(), len(store.graph_names()), str(source))
