"""Running the web app under granian, a production HTTP server written in Rust.

granian reads requests asynchronously (a slow client holds a socket, not a thread) and hands the WSGI app
only whole requests, through :class:`graph.rsgi.WSGIOverRSGI`; the app answers in a bounded pool of
threads (``server_threads``), where pyoxigraph releases the GIL while it evaluates. One worker process:
the embedded on-disk store admits a single read-write process. The app is built in that worker (granian's
factory loading), never in the parent, so the store is opened by the one process that uses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, fields

from graph.settings import Settings, load_settings
from graph.store import StoreError

#: The settings of ``tscgraph serve``, handed to the worker process (it builds the app from them).
SETTINGS_VARIABLE = "TSCGRAPH_SERVE_SETTINGS"
#: Seconds a request's body may take to arrive whole (then 408), and a request's headers (granian's).
BODY_TIMEOUT = 30.0
HEADER_TIMEOUT_MS = 10_000


def check_store_opens(settings: Settings) -> None:
    """Open and close the store in a *separate process*, so a locked or unusable store fails now
    with a clear message instead of inside a worker that the server keeps restarting.

    Not in this process: RocksDB keeps per-process background threads, and a process that opened a
    store before forking leaves its forked child unable to flush or snapshot (seen here: the child's
    first ``backup`` hung forever). The server forks its worker from this process.
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


def _encode(settings: Settings) -> str:
    return json.dumps({k: (list(v) if isinstance(v, tuple) else str(v) if not isinstance(v, (int, float)) else v)
                       for k, v in asdict(settings).items()})


def _decode(text: str) -> Settings:
    names = {f.name for f in fields(Settings)}
    return load_settings(overrides={k: v for k, v in json.loads(text).items() if k in names}, environ={})


def app_factory():
    """The worker's application (granian calls it once per worker): the Flask app behind the RSGI bridge,
    its validation workers started before the first document arrives."""
    from graph.rsgi import WSGIOverRSGI
    from server import create_app

    settings = _decode(os.environ[SETTINGS_VARIABLE])
    app = create_app(settings)
    app.extensions["tscgraph.validation"].start()
    return WSGIOverRSGI(app, threads=settings.server_threads, max_body=settings.max_request_bytes,
                        body_timeout=BODY_TIMEOUT, server_name=settings.host, server_port=settings.port)


def run_server(settings: Settings) -> int:
    """Serve until stopped (granian: one worker process that owns the store; see the module docstring)."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    check_store_opens(settings)
    os.environ[SETTINGS_VARIABLE] = _encode(settings)
    print(f"tscgraph: serving {settings.store_url or settings.store_dir} on http://{settings.host}:{settings.port}/",
          flush=True)
    Server(
        "graph.serve:app_factory",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.RSGI,
        workers=1,
        factory=True,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_MS),
        log_access=False,
        respawn_failed_workers=True,
        respawn_interval=1.0,
        workers_kill_timeout=10,
    ).serve()
    return 0
