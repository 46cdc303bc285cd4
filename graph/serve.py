"""Running the web app under gunicorn, a production WSGI server.

One worker process, several threads: the embedded on-disk store admits a single read-write
process, and pyoxigraph releases the GIL while it evaluates, so threads do serve in parallel.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from graph.settings import Settings
from graph.store import open_store


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


def run_server(settings: Settings) -> int:
    """Serve until stopped. The store is opened once here first, so a locked or unusable store
    fails now with a clear message instead of inside a worker that gunicorn keeps restarting."""
    from server import create_app

    open_store(settings).close()

    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
        "threads": settings.server_threads,
        "worker_class": "gthread",
        "graceful_timeout": 10,
        "preload_app": False,
    }
    print(f"tscgraph: serving {settings.store_dir} on http://{settings.host}:{settings.port}/", flush=True)
    _Gunicorn(lambda: create_app(settings), options).run()
    return 0
