"""The writer: the one process that owns the store and does every write.

It answers only what readers hand it — the routes of :data:`web.auth.WRITE_ROUTES` (SPARQL Update, Graph
Store writes, submissions, validations, approvals, duplicate decisions, sign-in and sign-out, harvests) —
over its own socket, never the public's. After each write it takes a snapshot and publishes it
(:class:`graph.store.snapshots.SnapshotPublisher`) *before* it answers, so the client's next request, to any
reader, reads its write; every answer says the state it left (``X-Tscgraph-Generation``). SHACL validation,
the heavy part of a write, runs in the writer's validation workers (:mod:`graph.workers.validation`), so
the writer's threads mostly wait, and no reader ever validates.

Being one process, it is also where what must be counted once is counted: the rate limits of anonymous
POSTs, the sign-in back-off, the harvest's one run per source.
"""

from __future__ import annotations

from flask import Flask, jsonify

from serving import die_with_parent
from serving.forward import STATE_HEADER, reader_key
from serving.rsgi import WSGIOverRSGI

#: The writer waits longer than a reader for the body of a write: it has been read once already.
BODY_TIMEOUT = 60.0


def init_writer(app: Flask) -> None:
    """Every answer carries the state the writer left; ``/_tscgraph/state`` says it to readers on other hosts."""
    snapshots = app.extensions["tscgraph.snapshots"]

    @app.after_request
    def tell_state(response):
        state = snapshots.state
        response.headers[STATE_HEADER] = f"{state.generation} {state.public} {state.run} {'-' if state.prior is None else state.prior}"
        return response

    @app.get("/_tscgraph/state")
    def state():
        published = snapshots.state
        return jsonify(generation=published.generation, public=published.public, run=published.run, prior=published.prior)


def app_factory():
    """The writer's application (granian calls it in the writer's worker process)."""
    from server import create_app
    from serving.supervisor import settings_from_environ
    from web.security import secret_key

    die_with_parent()
    settings = settings_from_environ()
    app = create_app(settings, role="writer")
    init_writer(app)
    app.extensions["tscgraph.validation"].start()  # ready before the first document arrives
    return WSGIOverRSGI(app, threads=settings.server_threads, max_body=settings.max_request_bytes,
                        body_timeout=BODY_TIMEOUT, server_name=settings.host, server_port=settings.port,
                        reader_key=reader_key(secret_key(settings)))


def main() -> None:
    """``python -m serving.writer``: the writer's granian, on its socket (started by the supervisor)."""
    from granian.constants import Interfaces
    from granian.server import Server

    from serving.supervisor import settings_from_environ

    die_with_parent()
    settings = settings_from_environ()
    if settings.writer_listen:
        host, _, port = settings.writer_listen.rpartition(":")
        where = {"address": host or "127.0.0.1", "port": int(port)}
    else:
        settings.writer_socket.unlink(missing_ok=True)
        where = {"uds": settings.writer_socket, "uds_permissions": 0o600}
    Server("serving.writer:app_factory", interface=Interfaces.RSGI, workers=1, factory=True, log_access=False,
           respawn_failed_workers=True, respawn_interval=0.5, workers_kill_timeout=10, **where).serve()


if __name__ == "__main__":
    main()
