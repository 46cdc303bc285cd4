"""The tscgraph web application (Flask application factory).

``create_app()`` builds an app over one store, opened once per app and kept in ``app.extensions``
with the validator (shapes parsed once), the query pool (stoppable query workers over snapshots),
the query catalogue and the metrics. Tests build their own app over a temporary store.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import sys
from typing import Any, Mapping

from flask import Flask

from graph.queries import load_catalogue
from graph.settings import Settings, load_settings
from graph.store import open_query_pool, open_store
from graph.validation import Validator
from graph.workers.validation import ValidationPool

#: The web application's parts, one module each with its blueprint ``bp``.
BLUEPRINTS = (
    "web.browse",
    "web.linkeddata",
    "web.sparql",
    "web.queries",
    "web.graphstore",
    "web.void",
    "web.openapi",
    "web.ops",
    "web.home",
    "web.projects",
    "web.actors",
    "web.frameworks",
    "web.commitments",
    "web.biobridge",
    "web.knowledge",
    "web.forms",
    "web.moderation",
    "web.duplicates",
    "web.validation",
    "web.harvest",
    "web.changes",
)


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a :class:`Settings` or overrides of the configured settings."""
    settings = config if isinstance(config, Settings) else load_settings(overrides=dict(config or {}))
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config["TSCGRAPH"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _configure_request_log()

    store = open_store(settings)
    pool = open_query_pool(store, settings)
    validation = ValidationPool(settings)

    def shutdown() -> None:
        validation.close()
        pool.close()
        store.close()

    atexit.register(shutdown)
    app.extensions["tscgraph.store"] = store
    app.extensions["tscgraph.pool"] = pool
    app.extensions["tscgraph.validation"] = validation
    app.extensions["tscgraph.validator"] = Validator.from_paths(settings.shapes_dir, settings.ontology_dir)
    app.extensions["tscgraph.queries"] = load_catalogue(settings.queries_dir)
    app.extensions["tscgraph.shutdown"] = shutdown

    from web import i18n, links, security
    from web.ops import Metrics

    i18n.init_app(app, settings.translations_dir, settings.languages, settings.default_lang)
    links.init_app(app)
    security.init_app(app, settings)
    app.extensions["tscgraph.metrics"] = Metrics()
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    return app


def _configure_request_log() -> None:
    log = logging.getLogger("tscgraph.requests")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
