"""A pool of worker processes whose work can be stopped: the one way tscgraph runs work it cannot bound.

Why processes, and why this shape:

* Some work cannot be interrupted from Python: pyoxigraph has no query timeout, and pySHACL, rdflib's
  parsers and Python's regular expressions run to the end once started. Whatever an anonymous client or a
  partner node can make the server do runs in a worker *process*; past its time limit that process is
  killed (SIGKILL) — the CPU really stops — and a fresh one takes its place, while the web process goes on.
* Workers are started with ``spawn``, never ``fork``: the parent may hold an open on-disk store, whose
  per-process state must not be inherited.
* A worker builds its state once (a validator parses the shapes; a query worker opens a snapshot), then
  says it is ready; only ready workers take jobs, so a worker's start never counts against a job's limit.
* **Fairness.** One client address may hold at most ``per_client`` workers at a time; its further jobs wait
  for one of its own to end (within ``queue_wait``), so one client cannot hold every worker while others
  wait (three heavy queries from one client used to make every other client wait 10 s for a 503).
* Workers may run at a lower CPU priority (``nice``), so that pages and health checks keep the CPU they
  need while the workers are busy.

The pool is role-neutral: a role module (:mod:`graph.workers.validation`, :mod:`graph.store.querypool`)
gives the function that builds a worker's handler and the jobs it understands.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.util
import os
import queue
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Hashable


class PoolError(Exception):
    """Work the pool could not do; the message says why, for the client."""


class PoolBusy(PoolError):
    """No worker (or none of the client's share) became free within the queue wait."""


class PoolTimeout(PoolError):
    """The job ran past its time limit; its worker was killed."""


class WorkerCrashed(PoolError):
    """The worker died while working (for example, out of memory); it has been replaced."""


def _serve(conn: Connection, factory: str, args: tuple, nice: int) -> None:
    """A worker's life: lower its priority, build its handler once, say ready, then answer jobs one by one."""
    if nice:
        os.nice(nice)
    module, _, name = factory.rpartition(".")
    handler: Callable[[Any], Any] = getattr(importlib.import_module(module), name)(*args)
    try:
        conn.send("ready")
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            conn.send(handler(job))
    except (BrokenPipeError, OSError):
        return


class _Worker:
    def __init__(self, ctx, factory: str, args: tuple, nice: int, name: str) -> None:
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, factory, args, nice), daemon=True, name=name)
        self.process.start()
        child.close()
        self.conn = parent
        self.ready = False  #: built its state and handed out: from then on the pool's watcher replaces it if it dies
        self._killed = threading.Lock()

    def kill(self) -> None:
        """Stop the process and close its pipe, once: the pool's close and a thread still waiting for the worker to
        start may both get here, and a pipe closed twice could close a descriptor the process has since reused."""
        if not self._killed.acquire(blocking=False):
            return
        self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


class Admission:
    """At most ``per_client`` jobs of one client at a time; a client over its share waits for its own to end."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self.running: Counter[Hashable] = Counter()
        self.changed = threading.Condition()

    def enter(self, client: Hashable, deadline: float) -> bool:
        with self.changed:
            while self.running[client] >= self.per_client:
                left = deadline - time.monotonic()
                if left <= 0 or not self.changed.wait(left):
                    if self.running[client] >= self.per_client:
                        return False
            self.running[client] += 1
            return True

    def leave(self, client: Hashable) -> None:
        with self.changed:
            self.running[client] -= 1
            if self.running[client] <= 0:
                del self.running[client]
            self.changed.notify_all()


class WorkerPool:
    """``size`` workers built by ``factory(*args)`` (a dotted name, importable in a fresh interpreter).

    :meth:`run` sends one job to an idle worker and returns the worker's reply, or raises :class:`PoolBusy`
    (no worker within ``queue_wait``), :class:`PoolTimeout` (past ``time_limit``; the worker is killed and
    replaced) or :class:`WorkerCrashed`.
    """

    def __init__(self, factory: str, args: tuple = (), *, size: int, time_limit: float, queue_wait: float,
                 per_client: int | None = None, nice: int = 0, name: str = "tscgraph-worker", lazy: bool = False) -> None:
        self.factory, self.args, self.nice, self.name = factory, args, nice, name
        self.time_limit, self.queue_wait = time_limit, queue_wait
        self.size = size
        self.admission = Admission(per_client or size)
        self._ctx = multiprocessing.get_context("spawn")
        # The worker that finished last goes first (LIFO): a query worker opens each new snapshot once, so after
        # a write the queries of a quiet moment all run in the one worker that opened it, not in each in turn
        # (7-8 ms of opening per worker and state).
        self._idle: queue.Queue[_Worker] = queue.LifoQueue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._spawning = threading.Lock()  #: held while a worker is started, so that close() never cuts a start short
        self._closed = False
        self._started = False
        # Closed before multiprocessing stops the daemonic workers as this process ends (its exit function runs
        # the finalisers of priority >= 0 first; in a spawned process such as a web worker it runs before atexit).
        # Why: the watcher would see the stopped workers die and start new ones while the process ended, and a
        # process started half-way dies at once with a traceback in the log.
        self._finalizer = multiprocessing.util.Finalize(None, self.close, exitpriority=10)
        if not lazy:
            self.start()

    def start(self) -> None:
        """Start the workers (a lazy pool starts them at its first job; a server starts them at once)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        for _ in range(self.size):
            self._add_worker()
        threading.Thread(target=self._watch, daemon=True, name=self.name + "-watch").start()

    # ------------------------------------------------------------------ workers

    def _add_worker(self) -> None:
        with self._spawning:
            if self._closed:
                return
            worker = _Worker(self._ctx, self.factory, self.args, self.nice, self.name)
            with self._lock:
                self._workers.add(worker)
        threading.Thread(target=self._wait_ready, args=(worker,), daemon=True, name=self.name + "-start").start()

    def _wait_ready(self, worker: _Worker) -> None:
        """Hand the worker out once it has built its state; a worker that dies while starting is replaced
        (after a pause, so that a worker that cannot start does not spin)."""
        try:
            ready = worker.conn.poll(600) and worker.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if ready:
            worker.ready = True
            self._idle.put(worker)
            return
        with self._lock:
            self._workers.discard(worker)
        worker.kill()
        if not self._closed:
            time.sleep(1.0)
            self._add_worker()

    def _retire(self, worker: _Worker) -> None:
        """Stop ``worker`` and start another in its place, once (the job that found it dead and the watcher may
        both get here)."""
        with self._lock:
            if worker not in self._workers:
                return
            self._workers.discard(worker)
        worker.kill()
        self._add_worker()  # none once the pool is closed

    def _watch(self) -> None:
        """Replace a worker that dies while idle at once. Why: the idle workers are handed out last-in first-out,
        so one at the bottom may wait long before a job would find it dead (and a pool that lost a worker serves
        with one less meanwhile)."""
        while not self._closed:  # bounded by the pool's life; each round waits at most a second
            with self._lock:
                watched = {w.process.sentinel: w for w in self._workers if w.ready}
            if not watched:
                time.sleep(1.0)
                continue
            for sentinel in wait(list(watched), timeout=1.0):
                self._retire(watched[sentinel])  # type: ignore[index]

    def has_idle(self) -> bool:
        """Whether a worker is free right now (a hint: another thread may take it first)."""
        return not self._idle.empty()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def capacity(self) -> int:
        """How many jobs may run at once (the live workers)."""
        return len(self.worker_pids())

    # ------------------------------------------------------------------ jobs

    def run(self, job: Any, *, client: Hashable = None, time_limit: float | None = None) -> Any:
        limit = self.time_limit if time_limit is None else time_limit
        self.start()
        deadline = time.monotonic() + self.queue_wait
        if not self.admission.enter(client, deadline):
            raise PoolBusy(f"this client already has {self.admission.per_client} job(s) running and none ended "
                           f"within {self.queue_wait:g} s; try again shortly")
        try:
            while True:  # bounded by the deadline: a worker retired while idle is skipped
                try:
                    worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise PoolBusy(f"all workers stayed busy for {self.queue_wait:g} s; try again shortly") from None
                with self._lock:
                    if worker in self._workers:
                        break
            return self._run_on(worker, job, limit)
        finally:
            self.admission.leave(client)

    def _run_on(self, worker: _Worker, job: Any, limit: float) -> Any:
        healthy = False
        try:
            started = time.monotonic()
            try:
                worker.conn.send(job)
            except (BrokenPipeError, OSError):
                raise WorkerCrashed("the worker was not running; it has been replaced") from None
            if not worker.conn.poll(max(0.0, limit - (time.monotonic() - started))):
                raise PoolTimeout(f"the work ran past the time limit of {limit:g} s and was stopped")
            try:
                reply = worker.conn.recv()
            except (EOFError, OSError):
                raise WorkerCrashed("the worker died while working (out of memory?); it has been replaced") from None
            healthy = True
            return reply
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._retire(worker)

    def close(self) -> None:
        with self._spawning:  # a start under way ends first; none begins after
            self._closed = True
        self._finalizer.cancel()  # the registry holds the pool until then
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.kill()
