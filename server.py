"""The tscgraph web application (Flask application factory).

``create_app()`` builds an app over one store, opened once per app and kept in
``app.extensions``; tests build their own app over a temporary store.
"""

from __future__ import annotations

import atexit
from typing import Any, Mapping

from flask import Flask

from graph.queries import load_catalogue
from graph.settings import Settings, load_settings
from graph.store import Store, open_store


def create_app(config: Settings | Mapping[str, Any] | None = None, *, store: Store | None = None) -> Flask:
    """Build the app. ``config`` is a :class:`Settings` or overrides of the configured settings."""
    settings = config if isinstance(config, Settings) else load_settings(overrides=dict(config or {}))
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config["TSCGRAPH"] = settings
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if store is None:
        store = open_store(settings)
        atexit.register(store.close)
    app.extensions["tscgraph.store"] = store
    app.extensions["tscgraph.queries"] = load_catalogue(settings.queries_dir)

    from web.browse import bp as browse

    app.register_blueprint(browse)
    return app
