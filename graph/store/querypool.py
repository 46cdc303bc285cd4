"""Queries that can be stopped: worker processes over read-only snapshots of the embedded store.

Why this shape:

* pyoxigraph has no query timeout and a running query cannot be interrupted from Python; Oxigraph
  server's own ``--timeout-s`` was seen to leave a COUNT over a cross product burning a core. So every
  public query runs in a worker *process*; at the time limit that process is killed (SIGKILL) — the
  CPU really stops — and a fresh worker takes its place.
* An on-disk store admits one read-write process, and opening it read-only while another process
  writes is undefined behaviour. So workers never open the live store: they open **snapshots**, RocksDB
  checkpoints taken by the owner with ``Store.backup`` (hard links: ~20 ms after the first). After each
  write the owner takes a new snapshot; a worker moves to it at its next query. Snapshots are immutable,
  so reading them from other processes is safe.
* Workers render the answer themselves (:mod:`graph.formats`), cut at the result-size limit with the
  cut reported, so only bounded bytes cross the pipe.
"""

from __future__ import annotations

import multiprocessing
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from rdflib.term import Identifier

from graph.formats import ALL_FORMATS, NotAcceptable, Rendered, render
from graph.store.base import QuerySyntaxError, StoreError


@dataclass(frozen=True)
class QueryJob:
    """One query to run in a worker, with everything it needs (picklable)."""

    sparql: str
    format_key: str
    max_rows: int
    bindings: tuple[tuple[str, Identifier], ...] = ()
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


class QueryTimeout(StoreError):
    """The query ran past the time limit; its worker was killed."""


class QueryPoolBusy(StoreError):
    """Every worker stayed busy for the whole queue wait."""


class QueryWorkerCrashed(StoreError):
    """The worker process died while answering (for example, out of memory)."""


class SnapshotManager:
    """Numbered snapshot directories of one live store; the newest is the one queries read."""

    def __init__(self, store, directory: Path, keep: int = 4) -> None:
        self.store = store
        self.directory = Path(directory)
        self.keep = keep
        self._lock = threading.Lock()
        self._generation = 0
        self._current: Path | None = None
        shutil.rmtree(self.directory, ignore_errors=True)  # leftovers of a previous run are stale
        self.directory.mkdir(parents=True, exist_ok=True)
        self.refresh()

    def refresh(self) -> Path:
        """Take a new snapshot (call after every write) and drop the old ones beyond ``keep``."""
        with self._lock:
            self._generation += 1
            path = self.directory / f"{self._generation:010d}"
            self.store.snapshot(path)
            self._current = path
            snapshots = sorted(p for p in self.directory.iterdir() if p.is_dir())
            for old in snapshots[: -self.keep]:
                shutil.rmtree(old, ignore_errors=True)
            return path

    def current(self) -> str:
        assert self._current is not None
        return str(self._current)


def _worker_main(conn: Connection) -> None:
    """A query worker: open the asked snapshot read-only, run, render, send the bytes back."""
    from graph.store.oxigraph import OxigraphStore

    store = None
    opened = None
    while True:
        try:
            snapshot, job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if snapshot != opened:
                if store is not None:
                    store.close()
                store = OxigraphStore.open_read_only(snapshot)
                opened = snapshot
            result = store.query(
                job.sparql,
                bindings=dict(job.bindings) or None,
                default_graphs=list(job.default_graphs) or None,
                named_graphs=list(job.named_graphs) or None,
            )
            reply = ("ok", render(result, ALL_FORMATS[job.format_key], job.max_rows))
        except QuerySyntaxError as exc:
            reply = ("syntax", str(exc))
        except NotAcceptable as exc:
            reply = ("format", str(exc))
        except Exception as exc:  # noqa: BLE001 - every failure must reach the client as a message
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, ctx) -> None:
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True, name="tscgraph-query")
        self.process.start()
        child.close()
        self.conn = parent

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


class QueryPool:
    """A fixed number of query workers; :meth:`run` answers or raises within ``time_limit`` seconds
    of getting a worker (``queue_wait`` bounds the wait for one)."""

    def __init__(self, snapshots: SnapshotManager, *, size: int, time_limit: float, queue_wait: float) -> None:
        self.snapshots = snapshots
        self.time_limit = time_limit
        self.queue_wait = queue_wait
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process holding the live store
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._add_worker()

    def _add_worker(self) -> None:
        worker = _Worker(self._ctx)
        with self._lock:
            self._workers.add(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.kill()
        if not self._closed:
            self._add_worker()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def capacity(self) -> int:
        """How many queries may run at once (the live workers)."""
        return len(self.worker_pids())

    def run(self, job: QueryJob) -> Rendered:
        try:
            worker = self._idle.get(timeout=self.queue_wait)
        except queue.Empty:
            raise QueryPoolBusy(
                f"all query workers stayed busy for {self.queue_wait:g} s; try again shortly"
            ) from None
        healthy = False
        try:
            started = time.monotonic()
            try:
                worker.conn.send((self.snapshots.current(), job))
            except (BrokenPipeError, OSError):
                raise QueryWorkerCrashed("the query worker was not running; it has been replaced") from None
            if not worker.conn.poll(max(0.0, self.time_limit - (time.monotonic() - started))):
                raise QueryTimeout(f"the query ran past the time limit of {self.time_limit:g} s and was stopped")
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError):
                raise QueryWorkerCrashed("the query worker died while answering (out of memory?)") from None
            healthy = True
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._retire(worker)
        if status == "ok":
            return payload
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "format":
            raise NotAcceptable(payload)
        raise StoreError(payload)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.kill()
