"""Running the web app under gunicorn, a production WSGI server.

One worker process, several threads: the embedded on-disk store admits a single read-write
process, and pyoxigraph releases the GIL while it evaluates, so threads do serve in parallel.
"""

from __future__ import annotations

from pathlib import Path

from gunicorn.app.base import BaseApplication

from graph.settings import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._app


def run_server(settings: Settings, config_file: str | Path | None = None) -> int:
    from server import create_app

    app = create_app(settings)
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
        "threads": settings.server_threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "graceful_timeout": 10,
    }
    print(f"tscgraph: serving {settings.store_dir} on http://{settings.host}:{settings.port}/", flush=True)
    _Gunicorn(app, options).run()
    return 0
