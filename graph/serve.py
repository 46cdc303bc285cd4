"""Running the web app under gunicorn, a production WSGI server.

One worker process, several threads: the embedded on-disk store admits a single read-write
process, and pyoxigraph releases the GIL while it evaluates, so threads do serve in parallel.
"""

from __future__ import annotations

import subprocess
import sys

from gunicorn.app.base import BaseApplication

from graph.settings import Settings
from graph.store import StoreError


class _Gunicorn(BaseApplication):
    """Builds the app in the worker (``load`` runs after the fork), never in the master: the store
    must be opened by the one process that uses it, not inherited across a fork."""

    def __init__(self, make_app, options: dict) -> None:
        self._make_app = make_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._make_app()


def check_store_opens(settings: Settings) -> None:
    """Open and close the store in a *separate process*, so a locked or unusable store fails now
    with a clear message instead of inside a worker that gunicorn keeps restarting.

    Not in this process: RocksDB keeps per-process background threads, and a process that opened a
    store before forking leaves its forked child unable to flush or snapshot (seen here: the child's
    first ``backup`` hung forever). gunicorn forks its worker from this process.
    """
    code = (
        "import sys\n"
        "from graph.settings import load_settings\n"
        "from graph.store import StoreError, open_store\n"
        "try:\n"
        f"    open_store(load_settings(overrides={{'store_dir': {str(settings.store_dir)!r}}})).close()\n"
        "except StoreError as exc:\n"
        "    print(exc, file=sys.stderr); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if proc.returncode == 3:
        raise StoreError(proc.stderr.strip())
    if proc.returncode != 0:
        raise StoreError(f"cannot open the store at {settings.store_dir}: {proc.stderr.strip()[-500:]}")


def run_server(settings: Settings) -> int:
    """Serve until stopped (gunicorn: one worker process that owns the store, several threads)."""
    from server import create_app

    check_store_opens(settings)

    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
        "threads": settings.server_threads,
        "worker_class": "gthread",
        "graceful_timeout": 10,
        "preload_app": False,
    }
    print(f"tscgraph: serving {settings.store_url or settings.store_dir} on http://{settings.host}:{settings.port}/", flush=True)
    _Gunicorn(lambda: create_app(settings), options).run()
    return 0
