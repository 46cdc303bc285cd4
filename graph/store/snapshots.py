"""Snapshots: how the one process that writes shares the store with every process that reads.

An on-disk store admits one read-write process, and opening it read-only while another process writes is
undefined behaviour. So the writer shares **snapshots**, never the live store: after each write it takes a
RocksDB checkpoint (``Store.snapshot``: hard links, ~20 ms after the first) into a numbered directory, then
**publishes** it by replacing one small file, ``CURRENT`` (written aside and renamed: a reader sees the old
file or the new, whole). Snapshots are immutable, so any number of processes may read them.

* :class:`SnapshotPublisher` (the writer): take, publish, and drop the snapshots nobody can still be reading
  (the newest few, and any superseded less than ``retention`` seconds ago: a query or a download that began
  on it may still run).
* :class:`SnapshotFollower` (a reader): at each request, one ``stat`` of ``CURRENT`` says whether there is a
  newer snapshot; the reader then opens it read-only and pins it for the request, so a page is read from one
  state. A write's answer leaves the writer after its snapshot is published, so the next request to any
  reader reads it (read-your-writes), and a reader is never more than the snapshot being published behind.

``CURRENT`` names two states: ``generation`` changes with every write, ``public`` only with writes that
change what the public reads (public caches and ETags key on it, so a private write — a pending submission, a
sign-in — tells the public nothing); ``prior`` is the public state just before ``public``, the one a reader's
cache may still answer from while it computes the new answer (:mod:`serving.rsgi`, "stale while revalidate"),
and ``history`` what the writes changed from each of the last :data:`HISTORY` public states to the next
(:mod:`graph.changekeys`: the properties and classes with their subjects, or the graphs changed blindly), so a reader
keeps the answers of an earlier state that read none of it, or brings them up to date for the few items a change
touched (:class:`web.context.StateCache`, :func:`web.facets.run_listing`) — from whichever of those states it last
computed them in: the readers take turns at computing a new state's answers (:mod:`serving.sharedanswers`).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from graph.changekeys import Change, merge
from graph.writelock import WRITE_LOCK

CURRENT = "CURRENT"
#: Public states whose changes ``CURRENT`` names (``State.history``).
HISTORY = 32


@dataclass(frozen=True)
class State:
    """A published state of the store: its snapshot directory (None for an external store) and its numbers."""

    generation: int
    public: int
    path: str | None = None
    run: str = ""  #: drawn when the writer starts: numbers start again with it, so names carry it too
    prior: int | None = None  #: the public state before ``public`` (None: none since the writer started)
    #: ``(from, to, change)`` of the last public states, oldest first: what changed from public state ``from`` to
    #: the next, ``to`` (:mod:`graph.changekeys`; None: unknown); the last one's ``to`` is ``public``.
    history: tuple = ()

    def changes_since(self) -> list[tuple[int, Change | None]]:
        """``(earlier public state, what changed from it to public)``, the nearest first, while the history runs
        without a gap."""
        found: list[tuple[int, Change | None]] = []
        merged: Change | None = Change({})
        following = self.public
        for start, end, change in reversed(self.history):
            if end != following:
                break
            merged = merge(change, merged)
            found.append((start, merged))
            following = start
        return found

    @property
    def version(self) -> str:
        return f"{self.run}:{self.generation}"

    def public_changes(self) -> list[tuple[str, Change | None]]:
        """:meth:`changes_since`, each earlier public state named as :attr:`public_version` names a state."""
        return [(f"{self.run}:{start}", change) for start, change in self.changes_since()]

    @property
    def public_version(self) -> str:
        return f"{self.run}:{self.public}"

    @property
    def prior_public_version(self) -> str | None:
        return None if self.prior is None else f"{self.run}:{self.prior}"

    @property
    def public_path(self) -> str | None:
        """The snapshot taken when the public state began (the writer keeps it while that state is the public one):
        what a public query reads. Private writes since (a submission, a sign-in) publish newer snapshots whose
        public graphs are the same, and a query worker that stays on this one opens no store for them."""
        return None if self.path is None else str(Path(self.path).parent / f"{self.public:010d}")


def read_state(directory: Path) -> State | None:
    """The state ``directory``'s ``CURRENT`` file publishes, or None when none is published yet."""
    try:
        return state_from(json.loads((Path(directory) / CURRENT).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def state_from(data: dict) -> State:
    """A state as ``CURRENT`` and the writer's ``/_tscgraph/state`` say it (the latter without its path); a
    missing number raises ``KeyError``, a wrong one ``ValueError``."""
    prior = data.get("prior")
    history = tuple((int(start), int(end), None if change is None else Change.from_json(change))
                    for start, end, change in data.get("history") or ())
    return State(int(data["generation"]), int(data["public"]), data.get("path"), str(data.get("run", "")),
                 None if prior is None else int(prior), history)


def write_state(directory: Path, state: State) -> None:
    """Publish ``state``: written aside, then renamed over ``CURRENT`` (atomic on POSIX)."""
    tmp = Path(directory) / f".{CURRENT}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(json.dumps({"generation": state.generation, "public": state.public, "path": state.path,
                               "run": state.run, "prior": state.prior,
                               "history": [[start, end, None if change is None else change.to_json()]
                                           for start, end, change in state.history]}), encoding="utf-8")
    os.replace(tmp, Path(directory) / CURRENT)


class SnapshotPublisher:
    """The writer's side: numbered snapshot directories of the live store, the newest published in ``CURRENT``."""

    def __init__(self, store, directory: Path, *, keep: int = 4, retention: float = 600.0) -> None:
        self.store = store
        self.directory = Path(directory)
        self.keep, self.retention = keep, retention
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        # A writer that starts again finds the snapshots of the one before it, which readers and query
        # workers may still be reading: they are superseded from now on (dropped after the retention), and
        # the numbers go on after them, so no directory is ever reused.
        earlier = sorted(p for p in self.directory.iterdir() if p.is_dir() and p.name.isdigit())
        self._superseded: dict[Path, float] = {path: time.monotonic() for path in earlier}
        last = int(earlier[-1].name) if earlier else 0
        self._state = State(last, last, None, uuid.uuid4().hex[:12])
        self._write_count = -1
        self._pending: Change | None = None  # changed since the public state: unknown before the first
        self.refresh()
        if hasattr(store, "recovery_point"):
            store.recovery_point = self.recovery_point

    def refresh(self, *, public: bool = True) -> State:
        """Take a snapshot and publish it (call after every write; ``public=False`` after one that changed
        private graphs only). Under the write lock: never a snapshot of a write half applied."""
        with WRITE_LOCK, self._lock:
            self._write_count = getattr(self.store, "write_count", 0)
            generation = self._state.generation + 1
            path = self.directory / f"{generation:010d}"
            self.store.snapshot(path)
            old, now = self._state, time.monotonic()
            if old.path is not None:
                # The public state's own snapshot is kept while it is the public one (public queries read it:
                # :attr:`State.public_path`); it is superseded with that state.
                if public or old.generation != old.public:
                    self._superseded[Path(old.path)] = now
                if public and old.public_path is not None:
                    self._superseded.setdefault(Path(old.public_path), now)
            path.parent.mkdir(parents=True, exist_ok=True)
            # A private write's keys wait for the next public state: another thread's public write may be in
            # this snapshot already, before its own refresh (writes and refreshes are separate turns of the lock).
            self._pending = merge(self._pending, self.store.take_changes())
            if public:
                history = (*old.history, (old.public, generation, self._pending))[-HISTORY:] if old.path else ()
                self._state = State(generation, generation, str(path), old.run,
                                    old.public if old.path is not None else old.prior, history)
                self._pending = Change({})
            else:
                self._state = State(generation, old.public, str(path), old.run, old.prior, old.history)
            write_state(self.directory, self._state)
            self._drop_old()
            return self._state

    def _drop_old(self) -> None:
        newest = sorted(p for p in self.directory.iterdir() if p.is_dir())[-self.keep:]
        now = time.monotonic()
        for path, since in list(self._superseded.items()):
            if path not in newest and now - since > self.retention:
                shutil.rmtree(path, ignore_errors=True)
                del self._superseded[path]

    @property
    def state(self) -> State:
        return self._state

    def recovery_point(self) -> str:
        """A snapshot of the store as it is now, for a write's journal (:mod:`graph.store.journal`): the newest,
        or a new one when the store changed since (a write that forgot to publish)."""
        if getattr(self.store, "write_count", 0) != self._write_count:
            self.refresh()
        return self.current()

    def current(self) -> str:
        """The newest snapshot's directory (what a query worker opens for a query that may read private graphs)."""
        assert self._state.path is not None
        return self._state.path

    def public_current(self) -> str:
        """The public state's snapshot (what a query worker opens for a public query: :attr:`State.public_path`)."""
        assert self._state.public_path is not None
        return self._state.public_path

    def public_version(self) -> str:
        return self._state.public_version

    def version(self) -> str:
        return self._state.version


class SnapshotFollower:
    """A reader's side: the newest published snapshot, opened read-only, and the state it is."""

    def __init__(self, directory: Path, *, wait: float = 60.0) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._state: State | None = None
        self._stores: dict[str, object] = {}
        self._pins: dict[str, int] = {}
        deadline = time.monotonic() + wait
        while self.poll() is None:  # bounded: the writer publishes its first snapshot as it starts
            if time.monotonic() > deadline:
                raise RuntimeError(f"no snapshot published in {self.directory}: is the writer running?")
            time.sleep(0.05)

    def poll(self) -> State | None:
        """The newest published state (one ``stat``; ``CURRENT`` is read again only when it was replaced)."""
        try:
            st = os.stat(self.directory / CURRENT)
        except OSError:
            return self._state
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp != self._seen:
            with self._lock:
                state = read_state(self.directory)
                if state is not None and (self._state is None or state.generation >= self._state.generation):
                    self._state, self._seen = state, stamp
        return self._state

    def pin(self, state: State):
        """The read-only store of ``state``'s snapshot, opened once, held until :meth:`unpin` (a request reads
        one state from start to end, a download included); stores neither newest nor pinned are closed."""
        from graph.store.oxigraph import OxigraphStore

        assert state.path is not None
        with self._lock:
            opened = self._stores.get(state.path)
            if opened is None:
                opened = self._stores[state.path] = OxigraphStore.open_read_only(state.path)
            self._pins[state.path] = self._pins.get(state.path, 0) + 1
            self._close_unused(state.path)
            return opened

    def unpin(self, state: State) -> None:
        with self._lock:
            if state.path in self._pins:
                self._pins[state.path] -= 1
                self._close_unused(self._state.path if self._state else None)

    def _close_unused(self, newest: str | None) -> None:
        for path in [p for p in self._stores if p != newest and not self._pins.get(p)]:
            self._stores.pop(path).close()  # type: ignore[attr-defined]
            self._pins.pop(path, None)

    def current(self) -> str:
        state = self.poll()
        assert state is not None and state.path is not None
        return state.path

    def public_current(self) -> str:
        state = self.poll()
        assert state is not None and state.public_path is not None
        return state.public_path

    def public_version(self) -> str:
        state = self.poll()
        return state.public_version if state else ""

    def version(self) -> str:
        state = self.poll()
        return state.version if state else ""

    def prior_public_version(self) -> str | None:
        state = self.poll()
        return state.prior_public_version if state else None

    def refresh(self, *, public: bool = True) -> None:
        """A reader writes nothing: its writes are the writer's (nothing to take)."""

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                store.close()  # type: ignore[attr-defined]
            self._stores.clear()
