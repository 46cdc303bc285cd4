"""What every view needs from the running app: its settings, store, validator, query pool, catalogue.

They are created once per app in :func:`server.create_app` and kept in ``app.extensions``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

from flask import current_app, g

from graph.queries import NamedQuery
from graph.settings import Settings
from graph.store import Store
from graph.store.querypool import QueryPool
from graph.store.view import PublicView
from graph.validation import Validator


def settings() -> Settings:
    return current_app.config["TSCGRAPH"]


def store() -> PublicView:
    """The store as the public sees it (private graphs hidden): what every read goes through.

    An editor's preview (:func:`previewing`) adds a submission's graph for the current request.
    """
    extra = g.get("preview_graphs")
    if extra:
        return PublicView(raw_store(), settings().is_public_graph, extra=extra)
    view = current_app.extensions.get("tscgraph.public_view")
    if view is None:
        view = current_app.extensions["tscgraph.public_view"] = PublicView(raw_store(), settings().is_public_graph)
    return view


def previewing(*graph_iris: str) -> None:
    """For the rest of this request, reads also see ``graph_iris`` (an editor previewing a submission).
    Answers computed meanwhile are cached under their own data version, never the public one."""
    g.preview_graphs = tuple(graph_iris)


def raw_store() -> Store:
    """The whole store, private graphs included: for writes and moderation only."""
    return current_app.extensions["tscgraph.store"]


def validator() -> Validator:
    return current_app.extensions["tscgraph.validator"]


def query_pool() -> QueryPool:
    return current_app.extensions["tscgraph.pool"]


def catalogue() -> dict[str, NamedQuery]:
    return current_app.extensions["tscgraph.queries"]


def data_version() -> str:
    """Names the store's current state: the query workers' snapshot, renewed after every write of this
    process (the only one that may write while it serves)."""
    extra = g.get("preview_graphs")
    return query_pool().snapshots.current() + ("|preview:" + ",".join(extra) if extra else "")


T = TypeVar("T")


class StateCache:
    """Answers computed once per state of the data: a small LRU, emptied when the state changes.

    Pages whose queries cost 0.2-3 s at 1M triples (coverage counts, sorted listings, facet counts)
    pay it once per change rather than once per view, and a load or an approved write still shows
    at the next request, because the state's name changes with every write.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.version: object = None
        self.answers: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def remember(self, version: object, key: Hashable, compute: Callable[[], T]) -> T:
        with self.lock:
            if version != self.version:
                self.version, self.answers = version, OrderedDict()
            elif key in self.answers:
                self.answers.move_to_end(key)
                return self.answers[key]
        value = compute()
        with self.lock:
            if version == self.version:
                self.answers[key] = value
                while len(self.answers) > self.size:
                    self.answers.popitem(last=False)
        return value


def state_cache() -> StateCache:
    return current_app.extensions.setdefault("tscgraph.state_cache", StateCache())


def per_state(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per state of the data (see :class:`StateCache`)."""
    return state_cache().remember(data_version(), key, compute)
