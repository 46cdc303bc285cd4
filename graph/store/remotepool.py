"""Public queries over an external store: the same contract as :class:`graph.store.querypool.QueryPool`
(``run(job)`` answers rendered and cut at the row limit, or raises within the time limit), without
worker processes — the work happens in the store, so a query here is an HTTP request that waits.

* **Time limit.** The store gets its own limit with the query (its profile's parameter) and this side
  stops waiting at the limit; a store without a per-request parameter (Oxigraph server: ``--timeout-s``)
  must be started with one, or a query that this side gave up on keeps running there (docs/backends.md).
* **Concurrency.** At most ``size`` queries at once (``query_workers``); the others wait up to
  ``queue_wait`` seconds, then get the same "busy" error as with the embedded store.
* **State.** The data version (``snapshots.current()``), which keys the per-state caches and the dumps,
  changes with every write of this process and at least every :data:`STATE_SECONDS` — another process
  may write to the same store, and nothing in the protocols says when it did.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from graph.formats import ALL_FORMATS, Rendered, render
from graph.guard import ForbiddenOperation, check_query
from graph.settings import Settings
from graph.store.querypool import QueryForbidden, QueryJob, QueryPoolBusy, QueryTimeout, job_dataset
from graph.store.remote import RemoteStore, StoreTimeout
from graph.store.snapshots import State, write_state
from graph.store.view import PublicView
from graph.workers.pool import Admission

#: Longest time a cached page may lag behind a write made by another process on the same store.
STATE_SECONDS = 10.0


class RemoteVersions:
    """The data version of a remote store, as :class:`graph.store.snapshots.SnapshotPublisher` gives it for the
    embedded store: the writer counts its writes and publishes the count in ``CURRENT`` (no snapshot: the
    store itself is what every process reads), so the readers of this host follow it."""

    def __init__(self, directory=None) -> None:
        self._generation = 0
        self._public_generation = 0
        self._lock = threading.Lock()
        self.directory = directory
        self.run = uuid.uuid4().hex[:12]
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
            write_state(Path(directory), self.state)

    def refresh(self, *, public: bool = True) -> str:
        with self._lock:
            self._generation += 1
            if public:
                self._public_generation = self._generation
            if self.directory is not None:
                write_state(Path(self.directory), self.state)
        return self.current()

    @property
    def state(self) -> State:
        return State(self._generation, self._public_generation, None, self.run)

    def current(self) -> str:
        return f"remote:{self.run}:{self._generation}:{int(time.time() // STATE_SECONDS)}"

    def version(self) -> str:
        return self.current()

    def public_version(self) -> str:
        return f"remote:{self.run}:{self._public_generation}:{int(time.time() // STATE_SECONDS)}"


class RemoteQueryPool:
    def __init__(self, store: RemoteStore, settings: Settings, snapshots, *, size: int, time_limit: float,
                 queue_wait: float, per_client: int | None = None) -> None:
        self.store, self.settings, self.time_limit, self.queue_wait = store, settings, time_limit, queue_wait
        self.snapshots = snapshots
        self.capacity = size  # how many queries may run at once; the store does the work
        self._slots = threading.BoundedSemaphore(size)
        self.admission = Admission(per_client or size)

    def run(self, job: QueryJob, *, client: object = None) -> Rendered:
        if job.check_services:
            try:
                check_query(job.sparql, self.settings.service_allowlist)
            except ForbiddenOperation as exc:
                raise QueryForbidden(str(exc)) from None
        deadline = time.monotonic() + self.queue_wait
        if not self.admission.enter(client, deadline):
            raise QueryPoolBusy(f"this client already has {self.admission.per_client} query(ies) running and none "
                                f"ended within {self.queue_wait:g} s; try again shortly")
        try:
            return self._run(job, deadline)
        finally:
            self.admission.leave(client)

    def _run(self, job: QueryJob, deadline: float) -> Rendered:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise QueryPoolBusy(f"all query slots stayed busy for {self.queue_wait:g} s; try again shortly")
        try:
            dataset = job_dataset(job, lambda: PublicView(self.store, self.settings.is_public_graph, extra=job.extra_graphs))
            result = self.store.query(job.sparql, bindings=dict(job.bindings) or None, time_limit=self.time_limit,
                                      base_iri=job.base_iri, **dataset)
            return render(result, ALL_FORMATS[job.format_key], job.max_rows)
        except StoreTimeout as exc:
            raise QueryTimeout(f"the query ran past the time limit of {self.time_limit:g} s and was stopped "
                               f"({exc})") from None
        finally:
            self._slots.release()

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass
