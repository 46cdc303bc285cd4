"""The harvest status pages: each partner node's runs and quarantined records, and a check on demand.

* ``GET /harvest`` (HTML, ``?format=json``): every source of the sources file (setting
  ``harvest_sources``) with its kind, URL, schedule, its last runs (outcome, times, counts, records
  added/removed/changed, the error) and how many of its records are quarantined now.
* ``GET /harvest/<name>`` (HTML, ``?format=json``): one source's runs, newest first, and each record
  held in its quarantine with the validation results about it (messages and hints in the reader's
  language). The quarantine is private for SPARQL and dumps; this page is where a partner sees what
  failed, so it reads it through :func:`web.context.raw_store`. The runs come from the public
  ``{base}graph/harvest-log``.
* ``POST /harvest/<name>/check`` (CSRF token, rate limited): harvests the source now, in this process
  (the server owns the store; ``tscgraph harvest`` cannot run while it serves), in a background thread;
  one harvest per source at a time (409 while one runs). 202 with ``Location`` for API clients, a 303
  back to the source's page with a notice for the browser form. The harvester's own timeouts, retries
  and size cap bound the run.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
)
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDFS, SKOS

from graph.reports import judged_records, owner_map
from graph.validation import ValidationReport, report_from_graph
from loaders import harvest as harvester
from web import context, editors
from web.auth import check_write_access, refuse_anonymous, sends_token
from web.i18n import gettext as _
from web.labels import pick_text
from web.security import check_form
from web.validation import report_dict, result_rows

bp = Blueprint("harvest", __name__)
log = logging.getLogger("tscgraph.harvest")

VOID = harvester.VOID
#: Runs shown per source on /harvest, and on a source's own page.
OVERVIEW_RUNS = 5
HISTORY_RUNS = 50
OUTCOMES = ("ok", "unchanged", "failed")

RUNS_QUERY = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?run WHERE { GRAPH %s { ?run prov:used %s ; prov:endedAtTime ?end } } ORDER BY DESC(?end) DESC(?run) LIMIT %d"""
DESCRIBE_RUNS = """PREFIX prov: <http://www.w3.org/ns/prov#>
CONSTRUCT { ?run ?p ?o . ?part ?pp ?po } WHERE { GRAPH %s { VALUES ?run { %s } ?run ?p ?o .
  OPTIONAL { ?run prov:generated ?part . ?part ?pp ?po } } }"""


# ------------------------------------------------------------------ the running checks (one per source)


class Checks:
    """The sources being harvested now by this process (one harvest per source at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[str, datetime] = {}

    def start(self, name: str) -> bool:
        with self.lock:
            if name in self.running:
                return False
            self.running[name] = datetime.now(timezone.utc)
            return True

    def done(self, name: str) -> None:
        with self.lock:
            self.running.pop(name, None)

    def since(self, name: str) -> datetime | None:
        with self.lock:
            return self.running.get(name)


def checks() -> Checks:
    found = current_app.extensions.get("tscgraph.harvest_checks")
    if found is None:
        found = current_app.extensions.setdefault("tscgraph.harvest_checks", Checks())
    return found


# ------------------------------------------------------------------ reading the sources and the runs


def sources() -> tuple[list[harvester.Source], str | None]:
    """The sources file's partner nodes (read at each request: edits show at once), and why it could not be read."""
    path = context.settings().harvest_sources
    if not path.exists():
        return [], None
    try:
        return harvester.read_sources(path), None
    except ValueError as exc:
        return [], str(exc)


def source_named(name: str) -> harvester.Source:
    found = next((s for s in sources()[0] if s.name == name), None)
    if found is None:
        abort(404, description=_("There is no harvested source named %(name)s.", name=name))
    return found


def runs_of(name: str, limit: int) -> list[dict]:
    """The last ``limit`` runs of a source, newest first, from the public harvest log."""
    settings = context.settings()
    return context.per_state(("harvest-runs", name, limit), lambda: _runs(settings, name, limit))


def _runs(settings, name: str, limit: int) -> list[dict]:
    store = context.store()
    log_iri = URIRef(harvester.log_graph(settings))
    source = harvester.source_iri(settings, name)
    iris = [row["run"] for row in store.select(RUNS_QUERY % (log_iri.n3(), source.n3(), limit))]
    if not iris:
        return []
    described = store.query(DESCRIBE_RUNS % (log_iri.n3(), " ".join(i.n3() for i in iris))).graph()
    return [run_dict(described, iri) for iri in iris]


def run_dict(graph: Graph, run: URIRef) -> dict:
    def number(part: str, predicate=VOID.entities) -> int | None:
        value = graph.value(URIRef(f"{run}#{part}"), predicate)
        return int(value) if value is not None else None

    def time(predicate) -> str | None:
        value = graph.value(run, predicate)
        return str(value) if value is not None else None

    comments = sorted(str(c) for c in graph.objects(run, RDFS.comment))
    error = next((c for c in comments if "problem(s) reading the source" in c), comments[0] if comments else "")
    return {
        "iri": str(run), "outcome": str(graph.value(run, DCTERMS.type) or ""),
        "started": time(PROV.startedAtTime), "ended": time(PROV.endedAtTime),
        "records": number("harvest"), "triples": number("harvest", VOID.triples),
        "quarantined": number("quarantine"),
        "added": number("added"), "removed": number("removed"), "changed": number("changed"),
        "error": error, "problems": [c for c in comments if c != error],
    }


def quarantined_count(runs: list[dict]) -> int:
    """Records in quarantine now: the last run that was not a failure wrote or confirmed them."""
    return next((r["quarantined"] or 0 for r in runs if r["outcome"] != "failed"), 0)


def quarantine(name: str) -> list[dict]:
    """Each record held in the source's quarantine: IRI, title, and the validation results about it."""
    settings = context.settings()
    graph = context.raw_store().read_graph(harvester.quarantine_graph(settings, name))
    if not len(graph):
        return []
    report = report_from_graph(graph)
    records = sorted(judged_records(graph), key=str)
    owners = owner_map(graph, records)
    held = []
    for record in records:
        mine = ValidationReport(results=tuple(r for r in report.results if owners.get(r.focus_node) == record),
                                graph=report.graph)
        title = pick_text([v for p in (DCTERMS.title, SKOS.prefLabel, RDFS.label) for v in graph.objects(record, p)
                           if isinstance(v, Literal)])
        held.append({"iri": str(record), "title": title, "report": mine, "rows": result_rows(mine)})
    return held


def source_dict(source: harvester.Source, limit: int) -> dict:
    """The source with its last ``limit`` runs. Whether a harvest runs is read *before* the runs: a harvest frees its
    source only after its run is written, so an answer that says "not running" lists that run (read the other way
    round, a harvest ending between the two reads showed as ended without its run — seen under load)."""
    since = checks().since(source.name)
    runs = runs_of(source.name, limit)
    return {"name": source.name, "kind": source.kind, "url": source.url, "schedule": source.schedule,
            "lang": source.lang, "page": f"/harvest/{source.name}", "running": since is not None,
            "running_since": since.isoformat() if since else None,
            "quarantined": quarantined_count(runs), "runs": runs}


def wants_json() -> bool:
    asked = request.args.get("format")
    if asked:
        if asked not in ("json", "html"):
            abort(400, description=_("format must be one of %(known)s.", known="html, json"))
        return asked == "json"
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def json_response(body: dict, status: int = 200, **headers) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", status, mimetype="application/json")
    response.headers.update(headers)
    return response


def no_store(response: Response) -> Response:
    """Status pages change with every run: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ routes


@bp.get("/harvest")
def overview():
    found, problem = sources()
    listed = [source_dict(s, OVERVIEW_RUNS) for s in found]
    if wants_json():
        return no_store(json_response({"configured": bool(found), "error": problem, "sources": listed}))
    return no_store(Response(render_template("harvest.html", sources=listed, problem=problem,
                                             outcomes=outcome_labels(), editor=editors.current_editor())))


@bp.get("/harvest/<name>")
def source_page(name: str):
    source = source_named(name)
    data = source_dict(source, HISTORY_RUNS)
    held = quarantine(name)
    if wants_json():
        data["quarantine"] = [{"iri": h["iri"], "title": h["title"], **report_dict(h["report"])} for h in held]
        return no_store(json_response(data))
    return no_store(Response(render_template("harvest_source.html", source=data, held=held,
                                             outcomes=outcome_labels(), notices=get_flashed_messages(),
                                             editor=editors.current_editor())))


@bp.post("/harvest/<name>/check")
def check(name: str):
    """Harvest ``name`` now: for a client with a write token, or a signed-in editor (the page's form)."""
    source = source_named(name)
    client = sends_token()  # a program, answered in JSON; else the page's form, answered with a redirect
    if client:
        refused = check_write_access()
        if refused is not None:
            return refused
    elif editors.current_editor() is None:
        return refuse_anonymous(_("Only a signed-in editor, or a client with a write token, may start a harvest."))
    else:
        check_form()
    page = f"/harvest/{name}"
    browser = not client and not wants_json()
    if not checks().start(name):
        message = _("A harvest of %(name)s is already running; its run will show on this page when it ends.", name=name)
        if browser:
            abort(409, description=message)
        return json_response({"error": message, "status": 409, "page": page}, 409, Location=page)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=run_check, args=(app, source), name=f"harvest-{name}", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        checks().done(name)
        raise
    if browser:
        flash(_("The harvest of %(name)s has started; reload this page to see its run.", name=name))
        return redirect(page, 303)
    return json_response({"status": "started", "source": name, "page": page}, 202, Location=page)


def run_check(app, source: harvester.Source) -> None:
    """Harvest ``source`` (in a background thread), then renew the query snapshots; always frees the source."""
    store, settings = app.extensions["tscgraph.store"], app.config["TSCGRAPH"]
    running = app.extensions["tscgraph.harvest_checks"]
    try:
        # the partner's content is validated in a validation worker, where its time can be limited
        validator = app.extensions["tscgraph.validation"].validator(trusted=True)
        run = harvester.harvest_source(store, settings, source, validator)
        log.info(json.dumps({"harvest": source.name, "outcome": run.outcome, "error": run.error}))
    except Exception:  # noqa: BLE001 - the store refused the write: logged, the source freed
        log.exception("harvest of %s failed", source.name)
    finally:
        try:
            app.extensions["tscgraph.snapshots"].refresh()
        finally:
            running.done(source.name)


def outcome_labels() -> dict[str, str]:
    return {"ok": _("updated"), "unchanged": _("unchanged"), "failed": _("failed")}
