"""``tscgraph serve``: start the writer and the readers, keep them running, stop them together.

::

    tscgraph serve (this process: granian's main for the readers)
     ├── writer (python -m serving.writer: granian on a Unix socket, 1 worker)  ── owns the store
     │    └── writer's worker ── validation workers (killable)
     └── reader 1 … reader N (granian workers on the public address)           ── read snapshots
          └── query workers (killable), per reader

* The writer starts first: it opens the store, publishes the first snapshot and listens on its socket; the
  readers start once it answers. If the writer dies, it is started again (the store is crash-safe: a write
  is whole or absent), and meanwhile the readers keep answering reads and answer writes with 503.
* granian starts a reader again when one dies; the worker pools replace a killed worker.
* ``--role reader`` runs readers only, handing writes to ``writer_url`` (another host's writer, over an
  external store); ``--role writer`` runs the writer only. docs/backends.md shows the layout.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, fields

from graph.settings import Settings, load_settings
from graph.store import StoreError

#: The settings of ``tscgraph serve``, handed to every process it starts (they build their app from them).
SETTINGS_VARIABLE = "TSCGRAPH_SERVE_SETTINGS"
#: Seconds a request's body may take to arrive whole (then 408), and a request's headers (granian's).
BODY_TIMEOUT = 30.0
HEADER_TIMEOUT_MS = 10_000
ROLES = ("all", "reader", "writer")


def settings_to_environ(settings: Settings) -> None:
    os.environ[SETTINGS_VARIABLE] = json.dumps(
        {k: (list(v) if isinstance(v, tuple) else v if isinstance(v, (int, float)) else str(v))
         for k, v in asdict(settings).items()})


def settings_from_environ() -> Settings:
    names = {f.name for f in fields(Settings)}
    data = json.loads(os.environ[SETTINGS_VARIABLE])
    return load_settings(overrides={k: v for k, v in data.items() if k in names}, environ={})


def check_store_opens(settings: Settings) -> None:
    """Open and close the store in a *separate process*, so a locked or unusable store fails now with a clear
    message instead of inside a writer that keeps being restarted. (Not in this process: RocksDB keeps
    per-process threads, and a process that opened a store before forking leaves its children unable to
    snapshot.)"""
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


class WriterProcess:
    """The writer as a child process, started again whenever it dies (until :meth:`stop`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "serving.writer"], env=os.environ.copy())
        self.wait_ready()

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers():  # bounded: the writer opens the store and publishes a snapshot first
            if self.process is not None and self.process.poll() is not None:
                raise StoreError(f"the writer stopped as it started (exit {self.process.returncode}); see its log above")
            if time.monotonic() > deadline:
                raise StoreError(f"the writer did not answer within {timeout:g} s")
            time.sleep(0.1)

    def answers(self) -> bool:
        try:
            if self.settings.writer_listen:
                host, _, port = self.settings.writer_listen.rpartition(":")
                conn: http.client.HTTPConnection = http.client.HTTPConnection(host or "127.0.0.1", int(port), timeout=5)
            else:
                conn = _UnixConnection(str(self.settings.writer_socket), timeout=5)
            conn.request("GET", "/_tscgraph/state")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def watch(self) -> None:
        """Start the writer again when it dies (a pause after each restart, so a writer that cannot start
        does not spin)."""
        while not self.stopping.is_set():
            if self.process is not None and self.process.poll() is not None and not self.stopping.is_set():
                print(f"tscgraph: the writer stopped (exit {self.process.returncode}); starting it again", flush=True)
                self.restarts += 1
                try:
                    self.start()
                except StoreError as exc:
                    print(f"tscgraph: the writer did not start again: {exc}", flush=True)
                    time.sleep(1.0)
            self.stopping.wait(0.2)

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("writer", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def web_processes(settings: Settings) -> int:
    return settings.web_processes or os.cpu_count() or 1


def run_server(settings: Settings, role: str = "all") -> int:
    """Serve until stopped (see the module docstring)."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role in ("all", "writer") and not settings.store_url:
        check_store_opens(settings)
    metrics_dir = settings.store_dir.with_name(settings.store_dir.name + "-metrics")
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counts start again with the server
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    settings_to_environ(settings)
    writer = WriterProcess(settings) if role in ("all", "writer") else None
    if writer is not None:
        writer.start()
        if role == "writer":
            print(f"tscgraph: the writer of {settings.store_url or settings.store_dir} listens on "
                  f"{settings.writer_listen or settings.writer_socket}", flush=True)
            signal.signal(signal.SIGTERM, lambda *_: writer.stopping.set())
            try:
                writer.watch()
            except KeyboardInterrupt:
                pass
            writer.stop()
            return 0
        threading.Thread(target=writer.watch, daemon=True, name="tscgraph-writer-watch").start()
    processes = web_processes(settings)
    print(f"tscgraph: serving {settings.store_url or settings.store_dir} on http://{settings.host}:{settings.port}/ "
          f"({processes} reader process(es){', and the writer' if writer else ''})", flush=True)
    try:
        Server(
            "serving.reader:app_factory",
            address=settings.host,
            port=settings.port,
            interface=Interfaces.RSGI,
            workers=processes,
            factory=True,
            http1_settings=HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_MS),
            log_access=False,
            respawn_failed_workers=True,
            respawn_interval=0.5,
            workers_kill_timeout=10,
        ).serve()
    finally:
        if writer is not None:
            writer.stop()
    return 0
