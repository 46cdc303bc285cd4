"""What every view needs from the running app: its settings, store, validator, query pool, catalogue.

They are created once per app in :func:`server.create_app` and kept in ``app.extensions``.
"""

from __future__ import annotations

from flask import current_app

from graph.queries import NamedQuery
from graph.settings import Settings
from graph.store import Store
from graph.store.querypool import QueryPool
from graph.validation import Validator


def settings() -> Settings:
    return current_app.config["TSCGRAPH"]


def store() -> Store:
    return current_app.extensions["tscgraph.store"]


def validator() -> Validator:
    return current_app.extensions["tscgraph.validator"]


def query_pool() -> QueryPool:
    return current_app.extensions["tscgraph.pool"]


def catalogue() -> dict[str, NamedQuery]:
    return current_app.extensions["tscgraph.queries"]
