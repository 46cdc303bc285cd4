"""Queries that can be stopped: query worker processes over read-only snapshots of the embedded store.

Why this shape:

* pyoxigraph has no query timeout and a running query cannot be interrupted from Python; Oxigraph
  server's own ``--timeout-s`` was seen to leave a COUNT over a cross product burning a core. So every
  public query runs in a worker *process* of a :class:`graph.workers.pool.WorkerPool`; at the time limit that
  process is killed (SIGKILL) — the CPU really stops — and a fresh worker takes its place.
* An on-disk store admits one read-write process, and opening it read-only while another process
  writes is undefined behaviour. So workers never open the live store: they open **snapshots**, RocksDB
  checkpoints taken by the owner with ``Store.backup`` (hard links: ~20 ms after the first). After each
  write the owner takes a new snapshot; a worker moves to it at its next query. Snapshots are immutable,
  so reading them from other processes is safe.
* Everything a query's text can cost happens in the worker, under its time limit: the ``SERVICE``/``LOAD``
  text check (:mod:`graph.guard`), parsing, evaluation and rendering (:mod:`graph.formats`, cut at the
  result-size limit with the cut reported), so only bounded bytes cross the pipe.
* Which graphs a public query may see is decided in the worker, on the snapshot the query runs on: a
  graph made private after the snapshot was taken is not listed in it, and one taken later is judged
  by the same rule (deciding on the live store let a query see a private graph written in between).
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from rdflib.term import Identifier

from graph.formats import ALL_FORMATS, NotAcceptable, Rendered, render
from graph.guard import ForbiddenOperation, check_query
from graph.settings import Settings
from graph.store.base import QuerySyntaxError, StoreError
from graph.store.view import PrivateGraph, PublicView
from graph.workers.pool import PoolBusy, PoolTimeout, WorkerCrashed, WorkerPool


@dataclass(frozen=True)
class QueryJob:
    """One query to run in a worker, with everything it needs (picklable).

    ``default_graphs``/``named_graphs`` are the dataset the client asked for (empty: none asked); with
    ``public`` the worker keeps only the graphs the public may read (plus ``extra_graphs``, an editor's
    preview) on the snapshot it runs on.
    """

    sparql: str
    format_key: str
    max_rows: int
    bindings: tuple[tuple[str, Identifier], ...] = ()
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    public: bool = True
    extra_graphs: tuple[str, ...] = ()
    check_services: bool = True


class QueryTimeout(StoreError):
    """The query ran past the time limit; its worker was killed."""


class QueryPoolBusy(StoreError):
    """Every worker (or every one of the client's share) stayed busy for the whole queue wait."""


class QueryWorkerCrashed(StoreError):
    """The worker process died while answering (for example, out of memory)."""


class QueryForbidden(StoreError):
    """The query asks the server to reach another address (``SERVICE`` outside the allow-list, ``LOAD``)."""


class SnapshotManager:
    """Numbered snapshot directories of one live store; the newest is the one queries read.

    Two names of the store's state: :meth:`current` changes with every write; :meth:`public_version` only with
    writes that change what the public reads. Public caches and ETags are keyed on the second, so a pending
    submission or an editor's sign-in (private graphs only) neither empties them nor tells the public, through
    a changed ETag, that something private happened.
    """

    def __init__(self, store, directory: Path, keep: int = 4) -> None:
        self.store = store
        self.directory = Path(directory)
        self.keep = keep
        self._lock = threading.Lock()
        self._generation = 0
        self._public_generation = 0
        self._current: Path | None = None
        shutil.rmtree(self.directory, ignore_errors=True)  # leftovers of a previous run are stale
        self.directory.mkdir(parents=True, exist_ok=True)
        self.refresh()

    def refresh(self, *, public: bool = True) -> Path:
        """Take a new snapshot (call after every write; ``public=False`` after one that changed private graphs
        only) and drop the old ones beyond ``keep``."""
        with self._lock:
            self._generation += 1
            if public:
                self._public_generation = self._generation
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

    def public_version(self) -> str:
        """Names the state of the public graphs (see the class docstring)."""
        return f"{self.directory}:{self._public_generation}"


def query_handler(settings: Settings):
    """A query worker's handler (built once per worker process): ``(snapshot, job)`` → a reply tuple."""
    from graph.store.oxigraph import OxigraphStore

    state: dict = {"store": None, "opened": None}

    def answer(work: tuple[str, QueryJob]) -> tuple[str, object]:
        snapshot, job = work
        try:
            if job.check_services:
                check_query(job.sparql, settings.service_allowlist)
            if snapshot != state["opened"]:
                if state["store"] is not None:
                    state["store"].close()
                state["store"] = OxigraphStore.open_read_only(snapshot)
                state["opened"] = snapshot
            store = state["store"]
            dataset = {"default_graphs": list(job.default_graphs) or None, "named_graphs": list(job.named_graphs) or None}
            if job.public:
                view = PublicView(store, settings.is_public_graph, extra=job.extra_graphs)
                dataset = view.dataset(dataset["default_graphs"], dataset["named_graphs"])
            result = store.query(job.sparql, bindings=dict(job.bindings) or None, **dataset)
            return "ok", render(result, ALL_FORMATS[job.format_key], job.max_rows)
        except ForbiddenOperation as exc:
            return "forbidden", str(exc)
        except PrivateGraph as exc:
            return "private", str(exc)
        except QuerySyntaxError as exc:
            return "syntax", str(exc)
        except NotAcceptable as exc:
            return "format", str(exc)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the client as a message
            return "error", f"{type(exc).__name__}: {exc}"

    return answer


class QueryPool:
    """Query workers over the newest snapshot; :meth:`run` answers or raises within ``time_limit`` seconds
    of getting a worker (``queue_wait`` bounds the wait for one; one client holds at most ``per_client``)."""

    def __init__(self, snapshots: SnapshotManager, settings: Settings, *, size: int, time_limit: float,
                 queue_wait: float, per_client: int | None = None) -> None:
        self.snapshots = snapshots
        self.time_limit = time_limit
        self.queue_wait = queue_wait
        self.workers = WorkerPool("graph.store.querypool.query_handler", (settings,), size=size, time_limit=time_limit,
                                  queue_wait=queue_wait, per_client=per_client, name="tscgraph-query")

    def worker_pids(self) -> list[int]:
        return self.workers.worker_pids()

    @property
    def capacity(self) -> int:
        """How many queries may run at once (the live workers)."""
        return self.workers.capacity

    def run(self, job: QueryJob, *, client: object = None) -> Rendered:
        try:
            status, payload = self.workers.run((self.snapshots.current(), job), client=client)
        except PoolTimeout:
            raise QueryTimeout(f"the query ran past the time limit of {self.time_limit:g} s and was stopped") from None
        except PoolBusy as exc:
            raise QueryPoolBusy(str(exc).replace("workers", "query workers")) from None
        except WorkerCrashed as exc:
            raise QueryWorkerCrashed(f"the query worker died while answering ({exc})") from None
        if status == "ok":
            return payload  # type: ignore[return-value]
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "format":
            raise NotAcceptable(payload)
        if status == "forbidden":
            raise QueryForbidden(payload)
        if status == "private":
            raise PrivateGraph(payload)
        raise StoreError(payload)

    def close(self) -> None:
        self.workers.close()
