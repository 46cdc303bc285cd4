"""The store boundary. ``open_store`` is the one place that chooses an engine."""

from __future__ import annotations

from graph.settings import Settings
from graph.store.base import QueryResult, QuerySyntaxError, Store, StoreError, StoreLockedError

__all__ = ["QueryResult", "QuerySyntaxError", "Store", "StoreError", "StoreLockedError", "open_store"]


def open_store(settings: Settings) -> Store:
    """Open the store the settings describe (today: the embedded on-disk engine)."""
    from graph.store.oxigraph import OxigraphStore

    return OxigraphStore(settings.store_dir)
