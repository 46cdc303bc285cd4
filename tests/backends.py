"""The store backends the store and endpoint suites run against: the embedded store, an Oxigraph server and
Virtuoso Open Source, each started on loopback by the test set-up (installed first when missing), through
:func:`bench.peers.store_server` — the one place that knows how to start each.

``backend_store(name, request, settings)`` yields an empty store of that backend for one test: a fresh
on-disk embedded store, or the store tscgraph opens with the session's server settings, with every graph of
the previous test dropped.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from bench.peers import StoreServer, store_server
from graph.settings import Settings, load_settings
from graph.store import Store, open_store
from graph.store.oxigraph import OxigraphStore

BACKENDS = ("embedded", "oxigraph-server", "virtuoso")


@pytest.fixture(scope="session")
def oxigraph_store(tmp_path_factory):
    with store_server("oxigraph-server", tmp_path_factory.mktemp("oxigraph-store")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_store(tmp_path_factory):
    with store_server("virtuoso", tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


def remote_store(server: StoreServer) -> Store:
    """The store tscgraph opens with ``server``'s settings, emptied of every graph tscgraph sees."""
    store = open_store(load_settings(overrides=server.settings, environ={}))
    for name in store.graph_names():
        store.drop_graph(str(name))
    return store


def backend_store(name: str, request, settings: Settings) -> Iterator[Store]:
    if name == "embedded":
        with OxigraphStore(settings.store_dir) as store:
            yield store
        return
    server = request.getfixturevalue({"oxigraph-server": "oxigraph_store", "virtuoso": "virtuoso_store"}[name])
    store = remote_store(server)
    try:
        yield store
    finally:
        store.close()
