"""Operations: ``/health``, ``/metrics`` (Prometheus text format) and one structured log line per request.

Metrics are prometheus-client's, in its multiprocess mode under ``tscgraph serve``: every process (each
reader, the writer) counts into files of one directory (``PROMETHEUS_MULTIPROC_DIR``, set by
:mod:`serving.supervisor`), and ``/metrics`` — whichever reader answers — reports the sum, the whole server.
An app built on its own (a test, a command) counts in memory. Answers the readers' cache gives without the
app are counted too (:func:`count_cache_hit`). Without credentials ``/metrics`` leaves out the editors'
routes (:data:`EDITOR_ROUTES`: sign-ins, the moderation pages, decisions), which would tell anyone when and
how often editors sign in and decide; with a write token it shows every route.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from web import context
from web.auth import check_write_access, sends_token

bp = Blueprint("ops", __name__)
log = logging.getLogger("tscgraph.requests")

#: Upper bounds (seconds) of the latency histogram buckets.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Routes (by the start of their rule) only shown to a client with a write token: editors' activity.
EDITOR_ROUTES = ("/editor/", "/moderation")
EVENTS = {
    "query_timeout": "Queries stopped at the time limit.",
    "query_truncated": "Answers cut at the result-size limit.",
    "query_busy": "Queries refused because every worker stayed busy.",
    "server_error": "Responses with a 5xx status.",
    "cache_hit": "Answers given from a reader's cache, without the application.",
    "cache_stale": "Answers given from a reader's cache for the state just before a write while the new one was "
                   "computed (cache_stale_seconds).",
}
_EDITOR_LINE = re.compile(r'route="(?:' + "|".join(re.escape(r) for r in EDITOR_ROUTES) + ")")


def is_editor_route(route: str) -> bool:
    return route.startswith(EDITOR_ROUTES)


def shared() -> bool:
    """Whether this process counts for the whole server (multiprocess mode, under ``tscgraph serve``)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tscgraph_requests", "HTTP requests by route, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.duration = Histogram("tscgraph_request_duration_seconds", "Request latency by route.", ["route"],
                                  buckets=BUCKETS, registry=self.registry)
        self.events = {name: Counter(f"tscgraph_{name}", help_text, registry=self.registry)
                       for name, help_text in EVENTS.items()}

    def observe(self, route: str, method: str, status: int, seconds: float, event: str | None) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.duration.labels(route).observe(seconds)
        if event:
            self.events[event].inc()
        if status >= 500:
            self.events["server_error"].inc()

    def exposition(self, editors: bool = True) -> str:
        """The metrics as Prometheus text — the whole server's in multiprocess mode; without the editors'
        routes unless ``editors``."""
        if shared():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        text = generate_latest(registry).decode("utf-8")
        if not editors:
            text = "\n".join(line for line in text.splitlines() if not _EDITOR_LINE.search(line)) + "\n"
        return text


def count_cache_hit(app: Flask, route: str, method: str, status: int, seconds: float, stale: bool = False) -> None:
    """Count an answer a reader's cache gave (no request of the app saw it); ``stale``: of the state just before
    the current one, given while the new answer is computed."""
    app.extensions["tscgraph.metrics"].observe(route or "cached", method, status, seconds,
                                               "cache_stale" if stale else "cache_hit")


def metrics() -> Metrics:
    return current_app.extensions["tscgraph.metrics"]


@bp.before_app_request
def start_timer() -> None:
    g.started = time.monotonic()


@bp.after_app_request
def record(response: Response) -> Response:
    seconds = time.monotonic() - g.get("started", time.monotonic())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    event = None
    body_start = b""
    if response.status_code == 503 and not response.direct_passthrough:
        body_start = response.get_data()[:8]
        event = "query_timeout" if body_start.startswith(b"timeout") else "query_busy" if body_start.startswith(b"busy") else None
    elif response.headers.get("X-Tscgraph-Truncated") == "true":
        event = "query_truncated"
    metrics().observe(route, request.method, response.status_code, seconds, event)
    if current_app.extensions.get("tscgraph.role") == "reader":  # for the bridge's cache (never sent)
        response.headers["X-Tscgraph-Route"] = route
    log.info(json.dumps({
        "method": request.method,
        "path": request.path,
        "route": route,
        "status": response.status_code,
        "ms": round(seconds * 1000, 1),
        "bytes": None if response.is_streamed else response.calculate_content_length(),  # never buffer a stream to count it
        "client": request.remote_addr,
        **({"event": event} if event else {}),
    }))
    return response


@bp.get("/health")
def health():
    try:
        triples = context.store().count()
    except Exception as exc:  # noqa: BLE001 - the health check reports any failure
        return jsonify(status="error", store="unreachable", error=str(exc)), 503
    response = jsonify(status="ok", store="reachable", triples=triples, query_workers=context.query_pool().capacity)
    response.headers["Cache-Control"] = "no-store"  # this process's health, asked each time
    return response


@bp.get("/metrics")
def prometheus():
    """Every route with a write token (a wrong one: 401); without one, all but the editors' routes."""
    if sends_token() and (refusal := check_write_access()) is not None:
        return refusal
    response = Response(metrics().exposition(editors=sends_token()), content_type="text/plain; version=0.0.4; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Authorization"
    return response
