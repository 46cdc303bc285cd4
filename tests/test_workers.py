"""The worker pool (graph/workers/pool.py) that the query, validation and load workers run in: which idle worker
takes a job, and a worker that dies while idle replaced without a job having to find it dead."""

from __future__ import annotations

import os
import signal
import time

from graph.workers.pool import WorkerPool


def pid_handler():
    """A worker's handler (built in the worker): each job answered with the worker's process id."""
    return lambda job: (os.getpid(), job)


def ready_pool(size: int) -> WorkerPool:
    pool = WorkerPool("tests.test_workers.pid_handler", size=size, time_limit=30, queue_wait=30)
    deadline = time.monotonic() + 120
    while pool._idle.qsize() < size:  # bounded: the workers start
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    return pool


def test_the_worker_that_finished_last_takes_the_next_job():
    """One after another, jobs run in one worker: a query worker opens each new snapshot once, not each in turn."""
    pool = ready_pool(3)
    try:
        assert len({pool.run(n)[0] for n in range(6)}) == 1
    finally:
        pool.close()


def test_a_worker_that_dies_while_idle_is_replaced_before_a_job_finds_it():
    pool = ready_pool(2)
    try:
        working = pool.run("first")[0]
        idle = next(pid for pid in pool.worker_pids() if pid != working)  # below the one that just worked
        os.kill(idle, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while idle in pool.worker_pids() or pool.capacity < 2:  # bounded: the watcher replaces it
            assert time.monotonic() < deadline, f"the killed worker was not replaced: {pool.worker_pids()}"
            time.sleep(0.05)
        assert pool.run("after")[1] == "after" and pool.run("again")[0] == working
    finally:
        pool.close()
