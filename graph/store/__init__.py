"""The store boundary. ``open_store`` and ``open_query_pool`` are the only places that choose an engine."""

from __future__ import annotations

from graph.settings import Settings
from graph.store.base import QueryResult, QuerySyntaxError, Store, StoreError, StoreLockedError

__all__ = [
    "QueryResult",
    "QuerySyntaxError",
    "Store",
    "StoreError",
    "StoreLockedError",
    "open_query_pool",
    "open_snapshots",
    "open_store",
]


def open_store(settings: Settings) -> Store:
    """Open the store the settings describe: an external one at ``store_url`` (SPARQL 1.1 protocols,
    :mod:`graph.store.remote`), else the embedded on-disk engine in ``store_dir``."""
    if settings.store_url:
        from graph.store.remote import open_remote

        store: Store = open_remote(settings)
    else:
        from graph.store.oxigraph import OxigraphStore

        store = OxigraphStore(settings.store_dir)
    store.apart = lambda graph: not settings.is_public_graph(graph)  # type: ignore[method-assign]
    store.summary_graph = settings.summary_graph
    return store


def open_snapshots(store: Store, settings: Settings):
    """What names the store's state and gives query workers something to read: published snapshots of the
    embedded store (:class:`graph.store.snapshots.SnapshotPublisher`), or for an external store a version
    counter (:class:`graph.store.remotepool.RemoteVersions`: the store itself is what everyone reads)."""
    from graph.store.remote import RemoteStore

    if isinstance(store, RemoteStore):
        from graph.store.remotepool import RemoteVersions

        return RemoteVersions(settings.snapshots_dir)
    from graph.store.snapshots import SnapshotPublisher

    return SnapshotPublisher(store, settings.snapshots_dir, retention=max(600.0, 2 * settings.query_time_limit))


def open_query_pool(store: Store, settings: Settings, snapshots, *, lazy: bool = False):
    """The stoppable query runner for public queries (see :mod:`graph.store.querypool`; over an external
    store, :mod:`graph.store.remotepool`), reading what ``snapshots`` names."""
    from graph.store.querypool import QueryPool
    from graph.store.remote import RemoteStore

    if isinstance(store, RemoteStore):
        from graph.store.remotepool import RemoteQueryPool

        return RemoteQueryPool(store, settings, snapshots, size=settings.query_workers,
                               time_limit=settings.query_time_limit, queue_wait=settings.query_queue_wait,
                               per_client=settings.max_client_jobs)
    return QueryPool(snapshots, settings, size=settings.query_workers, time_limit=settings.query_time_limit,
                     queue_wait=settings.query_queue_wait, per_client=settings.max_client_jobs,
                     express=settings.query_express_workers, express_limit=settings.query_express_time_limit,
                     lazy=lazy)
