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
    "open_store",
]


def open_store(settings: Settings) -> Store:
    """Open the store the settings describe: an external one at ``store_url`` (SPARQL 1.1 protocols,
    :mod:`graph.store.remote`), else the embedded on-disk engine in ``store_dir``."""
    if settings.store_url:
        from graph.store.remote import open_remote

        return open_remote(settings)
    from graph.store.oxigraph import OxigraphStore

    return OxigraphStore(settings.store_dir)


def open_query_pool(store: Store, settings: Settings):
    """The stoppable query runner for public queries over ``store`` (see :mod:`graph.store.querypool`;
    over an external store, :mod:`graph.store.remotepool`)."""
    from graph.store.querypool import QueryPool, SnapshotManager
    from graph.store.remote import RemoteStore

    if isinstance(store, RemoteStore):
        from graph.store.remotepool import RemoteQueryPool

        return RemoteQueryPool(store, settings, size=settings.query_workers, time_limit=settings.query_time_limit,
                               queue_wait=settings.query_queue_wait, per_client=settings.max_client_jobs)

    snapshots = SnapshotManager(store, settings.snapshots_dir)
    return QueryPool(snapshots, settings, size=settings.query_workers, time_limit=settings.query_time_limit,
                     queue_wait=settings.query_queue_wait, per_client=settings.max_client_jobs)
