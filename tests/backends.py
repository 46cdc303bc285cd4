"""The store backends the store and endpoint suites run against: the embedded store, an Oxigraph server and
Virtuoso Open Source, each started on loopback by the test set-up (installed first when missing).

``backend_store(name, request, settings)`` yields an empty store of that backend for one test: a fresh
on-disk embedded store, or a :class:`graph.store.remote.RemoteStore` over the session's server with every
graph of the previous test dropped.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from bench.peers import oxigraph_store_server
from graph.settings import Settings
from graph.store import Store
from graph.store.oxigraph import OxigraphStore
from graph.store.remote import PROFILES, RemoteStore

BACKENDS = ("embedded", "oxigraph-server", "virtuoso")


@dataclass(frozen=True)
class Endpoints:
    """Where a running store server answers, and how tscgraph is configured for it."""

    query: str
    update: str
    options: dict  # RemoteStore keyword arguments (the settings a deployment would write)


@dataclass(frozen=True)
class StoreServer:
    """A store server started for one tscgraph server: the settings pointing there, and its process."""

    settings: dict
    pid: int | None = None  # None: the embedded store, inside tscgraph's own processes


@contextlib.contextmanager
def store_server(name: str, work: Path) -> Iterator[StoreServer]:
    """A fresh, empty store of backend ``name`` for one tscgraph server (the embedded store lives in the
    server's own directory: nothing to start)."""
    if name == "embedded":
        yield StoreServer({})
        return
    if name == "oxigraph-server":
        with oxigraph_store_server(work) as (query, update, pid):
            yield StoreServer({"store_url": query, "store_update_url": update, "store_kind": "oxigraph"}, pid)
        return
    from bench.peers import virtuoso_server

    with virtuoso_server(work) as server:
        yield StoreServer({"store_url": server.url, "store_update_url": server.update_url, "store_kind": "virtuoso",
                           "store_user": getattr(server, "user", "") or "",
                           "store_password": getattr(server, "password", "") or ""}, server.process.pid)


@pytest.fixture(scope="session")
def oxigraph_endpoints(tmp_path_factory):
    with oxigraph_store_server(tmp_path_factory.mktemp("oxigraph-store")) as (query, update, _pid):
        yield Endpoints(query, update, {"profile": PROFILES["oxigraph"]})


@pytest.fixture(scope="session")
def virtuoso_endpoints(tmp_path_factory):
    from bench.peers import virtuoso_server

    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        yield Endpoints(server.url, server.update_url, {"profile": PROFILES["virtuoso"]})


def remote_store(endpoints: Endpoints) -> RemoteStore:
    """A RemoteStore over ``endpoints``, emptied of every graph tscgraph sees."""
    store = RemoteStore(endpoints.query, endpoints.update, **endpoints.options)
    for name in store.graph_names():
        store.drop_graph(str(name))
    return store


def backend_store(name: str, request, settings: Settings) -> Iterator[Store]:
    if name == "embedded":
        with OxigraphStore(settings.store_dir) as store:
            yield store
        return
    endpoints = request.getfixturevalue({"oxigraph-server": "oxigraph_endpoints", "virtuoso": "virtuoso_endpoints"}[name])
    store = remote_store(endpoints)
    try:
        yield store
    finally:
        store.close()
