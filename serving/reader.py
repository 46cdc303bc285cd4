"""A reader: one of the web processes that answer reads (``web_processes`` of them, one per core by default).

A reader never writes and never holds the live store:

* it reads the newest snapshot the writer published (:class:`graph.store.snapshots.SnapshotFollower`),
  pinned for the whole of each request so a page is read from one state; with an external store it reads
  the store itself, and follows the writer's state to know when its caches are stale;
* its public SPARQL queries run in its own query workers, over the same snapshot;
* every request that is not a plain read — the routes of :data:`web.auth.WRITE_ROUTES` and a SPARQL Update
  sent to ``/sparql`` — is handed whole to the writer (:mod:`serving.forward`) before any thread of the reader
  takes it, so writes are never queued behind reads, and rate limits, sessions, sign-in back-off and the
  harvest's one-run-per-source rule all live in the one process that writes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import urllib.request
from typing import BinaryIO, Callable, Iterator, Mapping, Sequence

from flask import Flask, g
from rdflib import Graph, URIRef
from rdflib.term import Identifier
from werkzeug.exceptions import HTTPException

from graph.settings import Settings
from graph.store import Store, StoreError, open_store
from graph.store.base import QueryResult
from graph.store.remotepool import STATE_SECONDS
from graph.store.snapshots import CURRENT, SnapshotFollower, State, read_state, state_from
from web.auth import WRITE_ROUTES

#: Seconds between two readings of the writer's state by a reader on another host.
STATE_POLL = 0.05

log = logging.getLogger("tscgraph.server")


class ReaderStore(Store):
    """The store a reader's app is given: every call reads the newest published snapshot. Requests pin their
    own (:func:`init_reader`); this serves what runs outside one. Writing is the writer's."""

    def __init__(self, follower: SnapshotFollower) -> None:
        self.follower = follower

    def _newest(self) -> Store:
        state = self.follower.poll()
        assert state is not None
        store = self.follower.pin(state)
        self.follower.unpin(state)  # the newest is never closed
        return store  # type: ignore[return-value]

    def query(self, sparql: str, *, bindings: Mapping[str, Identifier] | None = None,
              default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None,
              base_iri: str | None = None) -> QueryResult:
        return self._newest().query(sparql, bindings=bindings, default_graphs=default_graphs, named_graphs=named_graphs,
                                    base_iri=base_iri)

    def graph_names(self) -> list[URIRef]:
        return self._newest().graph_names()

    def count(self, graph_iri: str | None = None) -> int:
        return self._newest().count(graph_iri)

    def export(self, out: BinaryIO, fmt="nquads", graphs=None) -> None:
        self._newest().export(out, fmt, graphs=graphs)

    def read_graph(self, graph_iri: str) -> Graph:
        return self._newest().read_graph(graph_iri)

    def triples(self, graph_iri: str) -> Iterator:
        return self._newest().triples(graph_iri)

    def _refuse(self, *_args, **_kwargs):
        raise StoreError("a reader writes nothing: writes are the writer's")

    load_files = update = add_graphs = replace_graphs = drop_graph = scratch_copy = fingerprints = _refuse  # type: ignore[assignment]

    def close(self) -> None:
        self.follower.close()


class StateFollower:
    """The writer's state for readers of an external store: the ``CURRENT`` file of this host, or — for a
    reader on another host — the writer's ``/_tscgraph/state``, asked every :data:`STATE_POLL` seconds by a
    thread of its own (never in the request's path), and learnt at once from each write this reader hands over
    (:meth:`saw`). So a write made through another host shows in this host's cached answers within
    :data:`STATE_POLL` seconds; the store itself, which every host reads, has it at once."""

    def __init__(self, settings: Settings) -> None:
        self.directory = settings.snapshots_dir
        self.url = settings.writer_url.rstrip("/") + "/_tscgraph/state" if settings.writer_url else ""
        self._state = State(0, 0)
        self._seen: tuple[int, int] | None = None
        self._lock = threading.Lock()
        if self.url:
            threading.Thread(target=self._follow, daemon=True, name="tscgraph-state").start()

    def _follow(self) -> None:
        while True:  # for the life of the process (a daemon thread)
            try:
                with urllib.request.urlopen(self.url, timeout=2) as answer:
                    data = json.loads(answer.read())
                self.saw(state_from({**data, "path": None}))
            except (OSError, ValueError, KeyError):
                pass  # the writer is restarting: keep the last state known
            time.sleep(STATE_POLL)

    def poll(self) -> State:
        if not self.url:  # this host's writer: read CURRENT again only when it was replaced (one stat)
            try:
                st = os.stat(self.directory / CURRENT)
            except OSError:
                return self._state
            if (st.st_ino, st.st_mtime_ns) != self._seen:
                self._seen = (st.st_ino, st.st_mtime_ns)
                self._state = read_state(self.directory) or self._state
        return self._state

    def saw(self, state: State) -> None:
        with self._lock:
            if state.run != self._state.run or state.generation > self._state.generation:
                self._state = state

    def current(self) -> str:
        return "remote:" + self.poll().version

    def version(self) -> str:
        return "remote:" + self.poll().version + f":{int(time.time() // STATE_SECONDS)}"

    def public_version(self) -> str:
        return "remote:" + self.poll().public_version + f":{int(time.time() // STATE_SECONDS)}"

    def prior_public_version(self) -> str | None:
        prior = self.poll().prior_public_version
        return None if prior is None else "remote:" + prior + f":{int(time.time() // STATE_SECONDS)}"

    def refresh(self, *, public: bool = True) -> None:
        """A reader writes nothing."""


def open_reader_store(settings: Settings):
    """(store, state follower) of a reader: the newest snapshot, or the external store and the writer's state."""
    if settings.store_url:
        store, follower = open_store(settings), StateFollower(settings)
        store.state = follower.version  # type: ignore[attr-defined]  # its graph list follows the writer's writes
        return store, follower
    follower = SnapshotFollower(settings.snapshots_dir)
    return ReaderStore(follower), follower


def init_reader(app: Flask) -> None:
    """Pin each request to the newest published state (one ``stat`` to know it), and let it go at the end."""
    follower = app.extensions["tscgraph.snapshots"]

    @app.before_request
    def pin_state() -> None:
        state = follower.poll()
        if isinstance(follower, SnapshotFollower) and state is not None:
            g.pinned_store = follower.pin(state)
            g.pinned_state = state
            g.pinned_versions = (state.version, state.public_version)

    @app.teardown_request
    def unpin_state(_exc=None) -> None:
        state = g.pop("pinned_state", None)
        if state is not None:
            follower.unpin(state)


def warm_listings(app: Flask) -> threading.Thread:
    """Compute the unfiltered listings (``/projects``, ``/actors``: items, sort keys, facet counts) of the newest
    state in every language, in a thread, as the reader starts.

    Why: at 1M triples the first ``/projects`` a reader computed took 2.1–2.4 s, once per reader and start,
    while after a write its answers are kept or brought up to date in ~0.1 s (:func:`web.facets.run_listing`).
    A visitor who asks meanwhile waits for this computation instead of starting another
    (:class:`web.context.StateCache` computes each answer once). It runs as a request of its own would (the
    language chosen, the state pinned), without the request log or the metrics: nobody asked."""
    from web import facets
    from web.actors import ACTORS
    from web.projects import PROJECTS

    def run() -> None:
        started = time.monotonic()
        for lang in app.extensions["tscgraph.languages"]:
            for path, listing in (("/projects", PROJECTS), ("/actors", ACTORS)):
                try:
                    with app.test_request_context(path, query_string={"lang": lang}):
                        if app.preprocess_request() is None:
                            facets.answer(listing, facets.request_selection(listing))
                except Exception:  # noqa: BLE001 - a visitor's request computes it then, and says what fails
                    log.exception("preparing %s (%s) failed", path, lang)
        log.info("listings prepared in %.1f s", time.monotonic() - started)

    thread = threading.Thread(target=run, daemon=True, name="tscgraph-warm")
    thread.start()
    return thread


# ------------------------------------------------------------------ which requests are writes


#: Reads whose truth lives in the writer's memory, so the writer answers them: the harvest pages say which
#: harvest is running now (the writer runs them, one per source).
WRITER_PAGES = {("GET", "/harvest"), ("GET", "/harvest/<name>")}


def write_classifier(app: Flask) -> Callable[[str, str, str, bytes], bool]:
    """``forwards(method, path, content_type, body)``: whether a request goes to the writer — a route of
    :data:`WRITE_ROUTES` (for ``POST /sparql`` only an update: a query by POST is a read), or of
    :data:`WRITER_PAGES`."""
    adapter = app.url_map.bind("localhost")
    writes = {(route.method, route.rule) for route in WRITE_ROUTES} | WRITER_PAGES

    page_roots = tuple({rule.split("<", 1)[0].rstrip("/") or "/" for _m, rule in WRITER_PAGES})

    def forwards(method: str, path: str, content_type: str, body: bytes) -> bool:
        if method == "OPTIONS" or (method in ("GET", "HEAD") and not path.startswith(page_roots)):
            return False  # the common case, decided without matching the route
        try:
            rule, _args = adapter.match(path, "GET" if method == "HEAD" else method, return_rule=True)
        except HTTPException:
            return False  # the reader answers 404/405 itself
        if ("GET" if method == "HEAD" else method, rule.rule) not in writes:
            return False
        if rule.rule == "/sparql":
            return is_update(content_type, body)
        return True

    return forwards


def is_update(content_type: str, body: bytes) -> bool:
    """Whether a ``POST /sparql`` carries an update (``application/sparql-update``, or an ``update`` field)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/sparql-update":
        return True
    if media == "application/x-www-form-urlencoded":
        return _UPDATE_FIELD.search(body) is not None
    return False


_UPDATE_FIELD = re.compile(rb"(?:^|&)update=")


# ------------------------------------------------------------------ the reader's application


def public_changes(follower) -> Callable[[], list]:
    """``changes()``: the earlier public states, nearest first, each with what changed from it to the newest
    (:meth:`State.public_changes`); none for an external store's states, which do not say."""
    if not isinstance(follower, SnapshotFollower):
        return lambda: []

    def changes() -> list:
        state = follower.poll()
        return [] if state is None else state.public_changes()
    return changes


def writer_address(settings: Settings) -> str:
    """Where this reader hands writes: ``writer_url``, else the local writer's socket."""
    return settings.writer_url or f"unix:{settings.writer_socket}"


def app_factory():
    """A reader's application (granian calls it once in each reader process)."""
    from graph.workers.validation import TRUSTED_TIME_LIMIT
    from server import create_app
    from serving import die_with_parent
    from serving.forward import Forwarder, reader_key
    from serving.httpcache import ResponseCache
    from serving.rsgi import Front, WSGIOverRSGI, log_hit
    from serving.sharedanswers import SharedAnswers
    from serving.supervisor import BODY_TIMEOUT, settings_from_environ
    from web.ops import count_cache_hit
    from web.security import secret_key

    die_with_parent()
    settings = settings_from_environ()
    if settings.reader_nice:  # before any worker starts: they inherit it (docs/architecture.md, "who owns what")
        os.nice(settings.reader_nice)
    app = create_app(settings, role="reader", opened=open_reader_store(settings))
    init_reader(app)
    follower = app.extensions["tscgraph.snapshots"]

    def on_hit(route, scope, status, seconds, stale) -> None:
        count_cache_hit(app, route, scope.method, status, seconds, stale)
        log_hit(route, scope, status, seconds)

    front = Front(
        forwards=write_classifier(app),
        forwarder=Forwarder(writer_address(settings), key=reader_key(secret_key(settings)),
                            timeout=TRUSTED_TIME_LIMIT + 60),
        cache=ResponseCache(settings.response_cache_bytes),
        public_state=follower.public_version,
        prior_state=follower.prior_public_version,
        shared=SharedAnswers(settings.answers_dir, settings.response_cache_bytes) if settings.response_cache_bytes else None,
        stale_seconds=settings.cache_stale_seconds,
        saw_state=(lambda generation, public, run, prior: follower.saw(State(generation, public, None, run, prior)))
        if isinstance(follower, StateFollower) else None,
        changes=public_changes(follower), visible=settings.is_public_graph,
        on_hit=on_hit,
    )
    app.extensions["tscgraph.pool"].start()
    warm_listings(app)
    return WSGIOverRSGI(app, threads=settings.server_threads, max_body=settings.max_request_bytes,
                        body_timeout=BODY_TIMEOUT, server_name=settings.host, server_port=settings.port, front=front)
