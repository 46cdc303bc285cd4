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
from graph.store import open_query_pool, open_snapshots, open_store
from graph.validation import Validator
from graph.workers.validation import ValidationPool

#: The web application's parts, one module each with its blueprint ``bp``.
BLUEPRINTS = (
    "web.browse",
    "web.linkeddata",
    "web.sparql",
    "web.workbench",
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


#: What an app is for (see :mod:`serving`): ``single`` owns the store and serves everything (an app a test
#: builds, or a command that needs one); ``writer`` owns the store and answers the writes the readers hand it;
#: ``reader`` reads the newest published snapshot (or the external store) and hands every write to the writer.
ROLES = ("single", "writer", "reader")


def create_app(config: Settings | Mapping[str, Any] | None = None, *, role: str = "single",
               opened: tuple | None = None) -> Flask:
    """Build the app. ``config`` is a :class:`Settings` or overrides of the configured settings; ``opened`` the
    (store, state) a reader reads (:mod:`serving.reader` opens them); the other roles open the store here."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    settings = config if isinstance(config, Settings) else load_settings(overrides=dict(config or {}))
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config["TSCGRAPH"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _configure_request_log()

    if opened is not None:
        store, snapshots = opened
    else:
        store = open_store(settings)
        snapshots = open_snapshots(store, settings)
    # the writer answers writes: its query workers start only if a read ever reaches it
    pool = open_query_pool(store, settings, snapshots, lazy=role == "writer")
    validation = ValidationPool(settings, nice=0 if role == "writer" else 10)

    def shutdown() -> None:
        validation.close()
        pool.close()
        store.close()

    atexit.register(shutdown)
    app.extensions["tscgraph.role"] = role
    app.extensions["tscgraph.store"] = store
    app.extensions["tscgraph.snapshots"] = snapshots
    app.extensions["tscgraph.pool"] = pool
    app.extensions["tscgraph.validation"] = validation
    app.extensions["tscgraph.validator"] = Validator.from_paths(settings.shapes_dir, settings.ontology_dir)
    app.extensions["tscgraph.queries"] = load_catalogue(settings.queries_dir, settings.base_iri)
    app.extensions["tscgraph.shutdown"] = shutdown

    from web import context, i18n, links, security
    from web.ops import Metrics

    i18n.init_app(app, settings.translations_dir, settings.languages, settings.default_lang)
    links.init_app(app)
    security.init_app(app, settings)
    app.after_request(context.say_reads)
    app.extensions["tscgraph.metrics"] = Metrics()
    app.teardown_request(context.close_earlier_stores)  # snapshots a listing opened to bring its answers up to date
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
