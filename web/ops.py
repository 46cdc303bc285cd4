"""Operations: ``/health``, ``/metrics`` (Prometheus text format) and one structured log line per request.

The metrics registry is a few counters kept in-process (the server runs one worker process, so
there is nothing to aggregate across processes). Without credentials ``/metrics`` leaves out the
editors' routes (:data:`EDITOR_ROUTES`: sign-ins, the moderation pages, decisions), which would tell
anyone when and how often editors sign in and decide; with a write token it shows every route.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict

from flask import Blueprint, Response, current_app, g, jsonify, request

from web import context
from web.auth import check_write_access, sends_token

bp = Blueprint("ops", __name__)
log = logging.getLogger("tscgraph.requests")

#: Upper bounds (seconds) of the latency histogram buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Routes (by the start of their rule) only shown to a client with a write token: editors' activity.
EDITOR_ROUTES = ("/editor/", "/moderation")


def is_editor_route(route: str) -> bool:
    return route.startswith(EDITOR_ROUTES)


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.events: dict[str, int] = defaultdict(int)  # timeouts, truncated answers, errors

    def observe(self, route: str, method: str, status: int, seconds: float, event: str | None) -> None:
        with self.lock:
            self.requests[(route, method, status)] += 1
            self.latency_sum[route] += seconds
            self.latency_count[route] += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[route][i] += 1
            if event:
                self.events[event] += 1
            if status >= 500:
                self.events["server_error"] += 1

    def exposition(self, editors: bool = True) -> str:
        """The metrics as Prometheus text; without the editors' routes unless ``editors``."""
        shown = (lambda route: True) if editors else (lambda route: not is_editor_route(route))
        out = [
            "# HELP tscgraph_requests_total HTTP requests by route, method and status.",
            "# TYPE tscgraph_requests_total counter",
        ]
        with self.lock:
            for (route, method, status), n in sorted(self.requests.items()):
                if not shown(route):
                    continue
                out.append(f'tscgraph_requests_total{{route="{route}",method="{method}",status="{status}"}} {n}')
            out += [
                "# HELP tscgraph_request_duration_seconds Request latency by route.",
                "# TYPE tscgraph_request_duration_seconds histogram",
            ]
            for route in sorted(filter(shown, self.latency_count)):
                for bound, n in zip(BUCKETS, self.buckets[route]):
                    out.append(f'tscgraph_request_duration_seconds_bucket{{route="{route}",le="{bound}"}} {n}')
                out.append(f'tscgraph_request_duration_seconds_bucket{{route="{route}",le="+Inf"}} {self.latency_count[route]}')
                out.append(f'tscgraph_request_duration_seconds_sum{{route="{route}"}} {self.latency_sum[route]:.6f}')
                out.append(f'tscgraph_request_duration_seconds_count{{route="{route}"}} {self.latency_count[route]}')
            for event, help_text in (
                ("query_timeout", "Queries stopped at the time limit."),
                ("query_truncated", "Answers cut at the result-size limit."),
                ("query_busy", "Queries refused because every worker stayed busy."),
                ("server_error", "Responses with a 5xx status."),
            ):
                out += [f"# HELP tscgraph_{event}_total {help_text}", f"# TYPE tscgraph_{event}_total counter",
                        f"tscgraph_{event}_total {self.events.get(event, 0)}"]
        return "\n".join(out) + "\n"


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
    log.info(json.dumps({
        "method": request.method,
        "path": request.path,
        "route": route,
        "status": response.status_code,
        "ms": round(seconds * 1000, 1),
        "bytes": response.calculate_content_length(),
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
    return jsonify(status="ok", store="reachable", triples=triples, query_workers=context.query_pool().capacity)


@bp.get("/metrics")
def prometheus():
    """Every route with a write token (a wrong one: 401); without one, all but the editors' routes."""
    if sends_token() and (refusal := check_write_access()) is not None:
        return refusal
    response = Response(metrics().exposition(editors=sends_token()), content_type="text/plain; version=0.0.4; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Authorization"
    return response
