"""The worker pool (graph/workers/pool.py) that the query, validation and load workers run in: which idle worker
takes a job, and a worker that dies while idle replaced without a job having to find it dead."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def pool_in_a_process(report: str) -> None:
    """A process's life with a pool (as a web worker's): its workers ready, then the process ends with the pool
    open; its atexit (as the app's shutdown, which takes a while) writes which workers are alive by then."""
    pool = ready_pool(2)

    def at_exit() -> None:
        time.sleep(1.0)  # the watcher, had it restarted the stopped workers, would have done so by now
        Path(report).write_text(" ".join(map(str, pool.worker_pids())))

    atexit.register(at_exit)


def test_a_process_that_ends_with_its_pool_open_starts_no_worker_on_the_way_out(tmp_path):
    """multiprocessing stops the daemonic workers as a spawned process (a web worker) ends, before the app's atexit
    closes the pool: the watcher saw them die and started new ones, cut short by the end (an EOFError traceback in
    the server's log at every stop). The pool is now closed first."""
    script, report = tmp_path / "ends.py", tmp_path / "alive-at-exit"
    script.write_text("import multiprocessing, sys\nfrom tests.test_workers import pool_in_a_process\n"
                      "if __name__ == '__main__':\n"
                      "    p = multiprocessing.get_context('spawn').Process(target=pool_in_a_process, args=(sys.argv[1],))\n"
                      "    p.start(); p.join(120)\n    raise SystemExit(p.exitcode)\n")
    root = Path(__file__).resolve().parent.parent
    ended = subprocess.run([sys.executable, str(script), str(report)], cwd=root, capture_output=True, text=True,
                           timeout=180, env={**os.environ, "PYTHONPATH": str(root)})
    assert ended.returncode == 0 and "Traceback" not in ended.stderr, ended.stderr
    assert report.read_text() == "", f"workers alive (restarted) as the process ended: {report.read_text()}"
