"""The validation service and machine submissions: RDF in, a SHACL report out (JSON, Turtle, SARIF, HTML).

* ``POST /validate`` — RDF as the raw body (its Content-Type names the syntax) or as a multipart upload
  (field ``file``; the syntax from the file name or a ``format`` field); ``shapes=`` picks a shape set
  (:data:`graph.reports.SHAPE_SETS` or ``all``); the answer's format by ``format=`` (json, turtle, sarif,
  html) or ``Accept``. 200 whether the data conform or not (the report says), 400 unreadable input
  (naming the line when the parser or the text tells it), 415 unknown syntax, 413 too large, 429 rate.
* ``GET /validate`` — the page where a person pastes or uploads data and reads the report.
* ``POST /submissions`` — a machine submission: the same RDF input plus the submitter (headers
  ``X-Submitter-Name`` and ``X-Submitter-Email``, or fields ``submitter_name``/``submitter_email``);
  201 with ``Location: /submissions/<id>``, or 422 with the report (nothing written). A corrected version
  names the sender's own pending submission it replaces (header ``X-Tscgraph-Supersedes: <id>`` or field
  ``supersedes``; 409 when it may not, nothing written); without it, earlier pending submissions of the
  same records stay pending beside the new one and the editor sees the conflict.

CSRF: the page's form posts ``application/x-www-form-urlencoded`` (pasted text) or ``multipart/form-data``
(upload) with ``csrf_token``; such a POST is checked by :func:`web.security.check_form` when it is
url-encoded, carries ``csrf_token`` or comes with this site's session cookie. API clients (no session)
send RDF as the raw body or a multipart upload without a token: nothing they could be tricked into is
privileged (no session is used, and a submission only enters the moderation queue).

Stored reports (:mod:`graph.reports`) are resources: ``{base}id/report/{id}`` dereferences to their
page, and record pages show the newest report's badge (``_conformance.html``).
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SH

from graph import reports
from graph.rdfio import MEDIA_TYPES, RdfReadError, format_for
from graph.sarif import find_lines, to_sarif
from graph.text import is_email
from graph.validation import ValidationReport, ValidationResult, Validator, report_from_graph, term_text
from graph.workers.validation import (
    Checked,
    CheckJob,
    Limits,
    PoolBusy,
    PoolTimeout,
    TooLarge,
    Unreadable,
    WorkerCrashed,
)
from web import context, pages
from web.i18n import current_lang
from web.i18n import gettext as _
from web.links import href, iri_for_path
from web.security import CSRF_FIELD, check_form, rate_limited

bp = Blueprint("validation", __name__)

#: ``format`` field of an upload or a pasted text → rdflib parser name.
FORMAT_NAMES = {"turtle": "turtle", "ttl": "turtle", "json-ld": "json-ld", "jsonld": "json-ld", "rdfxml": "xml",
                "rdf/xml": "xml", "xml": "xml", "ntriples": "nt", "nt": "nt", "n-triples": "nt", "trig": "trig",
                "nquads": "nquads", "nq": "nquads", "n-quads": "nquads"}
#: rdflib parser name → file ending, for naming the input in reports: one for every syntax of MEDIA_TYPES.
EXTENSIONS = {"turtle": "ttl", "json-ld": "jsonld", "xml": "rdf", "nt": "nt", "trig": "trig", "nquads": "nq", "n3": "n3"}
OUTPUTS = {"json": "application/json", "turtle": "text/turtle", "sarif": "application/sarif+json", "html": "text/html"}
def shape_set_labels() -> list[tuple[str, str]]:
    names = {"all": _("All shapes"), "project": _("Projects"), "actor": _("Actors"), "offer": _("Cooperation offers"),
             "request": _("Cooperation requests"), "knowledge": _("Knowledge resources"), "commitment": _("Commitments")}
    return [(key, names[key]) for key in ("all", *reports.SHAPE_SETS)]


# ------------------------------------------------------------------ shapes, validators and hints (per app)


def validator_for(name: str) -> Validator:
    """The validator of shape set ``name`` (``all``: the app's own), built once per app."""
    full = context.validator()
    if name == "all":
        return full
    if name not in reports.SHAPE_SETS:
        abort(400, description=_("Unknown shape set %(name)s; use one of: %(known)s.",
                                 name=name, known=", ".join(("all", *reports.SHAPE_SETS))))
    cache = current_app.extensions.setdefault("tscgraph.shape_sets", {})
    if name not in cache:
        cache[name] = full.subset(reports.shape_subset(full.shapes, reports.SHAPE_SETS[name]))
    return cache[name]


def hint_maker() -> reports.HintMaker:
    maker = current_app.extensions.get("tscgraph.hints")
    if maker is None:
        full = context.validator()
        maker = current_app.extensions["tscgraph.hints"] = reports.HintMaker(full.shapes, full.ontology)
    return maker


def translations() -> dict[str, reports.Translate]:
    """Each language's gettext, for hints stored in every language."""
    from web.i18n import load_catalogues

    tables = current_app.extensions.get("tscgraph.hint_tables")
    if tables is None:
        settings = context.settings()
        loaded = load_catalogues(settings.translations_dir, settings.languages)
        tables = current_app.extensions["tscgraph.hint_tables"] = {lang: t.gettext for lang, t in loaded.items()}
    return tables


def translate(message: str) -> str:
    return g.translations.gettext(message) if "translations" in g else message


def hint(result: ValidationResult) -> str:
    return hint_maker().hint(result, current_lang(), translate)


# ------------------------------------------------------------------ reading the input


class Input:
    """The RDF of a request as sent: its bytes, syntax and artifact name. It is read, bounded and validated by a
    validation worker (:func:`check_input`), never in the web process."""

    def __init__(self, data: bytes, fmt: str, name: str):
        self.data, self.fmt, self.name = data, fmt, name

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def check_input(source: Input, shape_set: str = "all", *, validate: bool = True, return_graph: bool = False
                ) -> Checked:
    """Read and validate ``source`` in a validation worker, within the input caps and the time limit; every
    refusal becomes the answer a client should get (400 unreadable, 413 over a cap, 503 over the time limit or
    busy), and nothing of the work stays in the web process."""
    settings = context.settings()
    job = CheckJob(source.data, source.fmt, settings.base_iri, source=source.name, shape_set=shape_set,
                   limits=Limits.public(settings), return_graph=return_graph, validate=validate)
    try:
        return context.validation().check(job, client=request.remote_addr)
    except Unreadable as exc:
        text = _("The data cannot be read as %(syntax)s: %(reason)s", syntax=source.fmt, reason=str(exc))
        if exc.line is not None and f"line {exc.line}" not in str(exc):
            text += " " + _("(line %(line)s)", line=exc.line)
        refuse(400, text, line=exc.line)
    except TooLarge as exc:
        refuse(413, _("Too large to validate: %(reason)s.", reason=str(exc)))
    except PoolTimeout as exc:
        refuse(503, _("Validation stopped: %(reason)s.", reason=str(exc)))
    except (PoolBusy, WorkerCrashed) as exc:
        refuse(503, _("The validation service is busy: %(reason)s.", reason=str(exc)))
    raise AssertionError("unreachable")  # refuse() always raises


def is_browser_form() -> bool:
    """A POST from this site's page (checked for CSRF) rather than an API call (see the module docstring)."""
    if request.mimetype == "application/x-www-form-urlencoded":
        return True
    if request.mimetype == "multipart/form-data":
        return CSRF_FIELD in request.form or current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    return False


def read_input() -> Input:
    """The request's RDF (raw body, upload or pasted text), or a 400/415 answer."""
    mimetype = request.mimetype
    if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        asked = (request.form.get("format") or "").strip().lower()
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data, name = upload.read(), upload.filename
        elif request.form.get("data", "").strip():
            data, name = request.form["data"].encode("utf-8"), ""
        else:
            refuse(400, _("No data: upload a file (field 'file') or paste RDF (field 'data')."))
        if asked and asked not in FORMAT_NAMES:
            refuse(415, _("Unknown RDF syntax %(name)s; use one of: %(known)s.", name=asked,
                          known=", ".join(sorted(FORMAT_NAMES))))
        if asked:
            fmt = FORMAT_NAMES[asked]
        elif name:
            try:
                fmt = format_for(_path(name))
            except RdfReadError:
                refuse(415, _("Cannot tell the RDF syntax of %(name)s from its name; give a 'format' field.", name=name))
        else:
            fmt = "turtle"
        return Input(data, fmt, name or "input." + EXTENSIONS[fmt])
    if mimetype not in MEDIA_TYPES:
        refuse(415, _("Unsupported Content-Type %(type)s; send RDF as one of: %(known)s, or a multipart upload.",
                      type=mimetype or "(none)", known=", ".join(MEDIA_TYPES)))
    fmt = MEDIA_TYPES[mimetype]
    return Input(request.get_data(), fmt, "input." + EXTENSIONS[fmt])


def _path(name: str):
    from pathlib import PurePath

    return PurePath(name.replace("\\", "/").rsplit("/", 1)[-1])


def wanted_output(default: str = "json") -> str:
    asked = request.args.get("format")
    if asked:
        asked = {"ttl": "turtle"}.get(asked, asked)
        if asked not in OUTPUTS:
            refuse(400, _("format must be one of %(known)s.", known=", ".join(OUTPUTS)))
        return asked
    best = request.accept_mimetypes.best_match(
        [OUTPUTS[default], *(m for k, m in OUTPUTS.items() if k != default)], default=OUTPUTS[default])
    return next(k for k, m in OUTPUTS.items() if m == best)


def refuse(status: int, message: str, **extra) -> None:
    """Stop with ``status``: JSON for API clients, the error page for browsers."""
    if wants_html():
        abort(status, description=message)
    body = {"error": message, "status": status, **{k: v for k, v in extra.items() if v is not None}}
    abort(Response(json.dumps(body, ensure_ascii=False) + "\n", status, mimetype="application/json"))


def wants_html() -> bool:
    if request.args.get("format"):
        return request.args.get("format") == "html"
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


# ------------------------------------------------------------------ answering a report


def report_dict(report: ValidationReport) -> dict:
    data = report.to_dict(current_lang())

    def annotate(entries: list[dict], results) -> None:
        for entry, result in zip(entries, results):
            entry["hint"] = hint(result)
            entry["field"] = hint_maker().field_name(result, current_lang())
            annotate(entry.get("details", []), result.details)

    annotate(data["results"], report.results)
    return data


def report_turtle(report: ValidationReport) -> str:
    """The sh:ValidationReport, each result with its hint in the reader's language (``rdfs:comment``)."""
    graph = Graph()
    graph += report.graph
    for node, result in reports.results_by_node(report).items():
        graph.add((node, RDFS.comment, Literal(hint(result), lang=current_lang())))
    if report.omitted:
        for root in report.graph.subjects(RDF.type, SH.ValidationReport):
            graph.add((root, RDFS.comment, Literal(_("%(n)s more results are left out of this answer.",
                                                         n=report.omitted), lang=current_lang())))
    for prefix, namespace in report.graph.namespaces():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph.serialize(format="turtle")


def answer(report: ValidationReport, fmt: str, status: int, source: Input | None, shape_set: str, **page) -> Response:
    if fmt == "json":
        body = json.dumps({**report_dict(report), "shapes": shape_set, **page.get("extra", {})}, ensure_ascii=False, indent=2)
        return Response(body + "\n", status, mimetype="application/json")
    if fmt == "turtle":
        return Response(report_turtle(report), status, mimetype="text/turtle")
    if fmt == "sarif":
        line_of = (find_lines(source.text, context.settings().base_iri)
                   if source is not None and source.fmt in ("turtle", "trig", "nt", "nquads") else (lambda _n: None))
        log = to_sarif(report, hint_maker(), validator_for(shape_set).shapes, lang=current_lang(), translate=translate,
                       artifact=source.name if source is not None else "input", line_of=line_of)
        return Response(json.dumps(log, ensure_ascii=False, indent=2) + "\n", status, mimetype="application/sarif+json")
    html = render_template(page.pop("template", "validation_report.html"), report=report,
                           rows=result_rows(report), shape_set=shape_set, **page)
    return Response(html, status, mimetype="text/html")


def result_rows(report: ValidationReport) -> list[dict]:
    """One row per result of the report; the results nested under one (why an sh:node failed) as its details."""
    lang = current_lang()

    def row(r: ValidationResult) -> dict:
        return {
            "severity": r.severity_name, "focus": str(r.focus_node), "focus_link": href(r.focus_node) if isinstance(r.focus_node, URIRef) else None,
            "field": hint_maker().field_name(r, lang), "path": term_text(r.path, report.graph), "message": r.message(lang),
            "value": None if r.value is None else str(r.value), "hint": hint(r), "details": [row(d) for d in r.details],
        }

    return [row(r) for r in report.results]


# ------------------------------------------------------------------ routes


@bp.get("/validate")
def validate_page():
    return render_template("validate.html", shape_sets=shape_set_labels(), shape_set="all", pasted="", report=None)


@bp.post("/validate")
@rate_limited
def validate():
    browser = is_browser_form()
    if browser:
        check_form()
    shape_set = (request.values.get("shapes") or "all").strip()
    validator_for(shape_set)  # an unknown shape set is a 400 before any work
    fmt = "html" if browser and not request.args.get("format") else wanted_output()
    source = read_input()
    checked = check_input(source, shape_set)
    if fmt == "html":
        return answer(checked.report, fmt, 200, source, shape_set, template="validate.html",
                      shape_sets=shape_set_labels(), pasted=request.form.get("data", "") if browser else "",
                      triples=checked.triples)
    return answer(checked.report, fmt, 200, source, shape_set)


@bp.post("/submissions")
@rate_limited
def submit_api():
    from graph import submissions

    if is_browser_form():
        check_form()
    name = (request.headers.get("X-Submitter-Name") or request.values.get("submitter_name") or "").strip()
    email = (request.headers.get("X-Submitter-Email") or request.values.get("submitter_email") or "").strip()
    if not name or len(name) > 200 or not is_email(email):
        refuse(400, _("Say who submits: a name and an e-mail address (headers X-Submitter-Name and X-Submitter-Email, "
                      "or fields submitter_name and submitter_email)."))
    supersedes = (request.headers.get("X-Tscgraph-Supersedes") or request.values.get("supersedes") or "").strip()
    fmt = wanted_output()
    source = read_input()
    graph = check_input(source, validate=False, return_graph=True).graph
    try:
        made = submissions.submit(context.raw_store(), context.validation().validator(client=request.remote_addr),
                                  context.settings(), graph, submissions.Submitter(name=name, email=email), "api",
                                  supersedes=supersedes or None)
    except submissions.SubmissionRefused as refused:
        return answer(refused.report, fmt, 422, source, "all")
    except submissions.SupersedeRefused:
        refuse(409, _("The submission named in X-Tscgraph-Supersedes cannot be replaced by this one: it is unknown or "
                      "no longer pending, holds records this one does not, or was sent from another e-mail address. "
                      "Nothing was written."))
    except submissions.SubmissionError as exc:
        refuse(400, str(exc))
    context.snapshots().refresh(public=False)  # a pending submission is private
    status_url = f"/submissions/{made.id}"
    body = {"id": made.id, "status": made.status, "status_url": request.host_url.rstrip("/") + status_url,
            "records": [str(r) for r in made.records]}
    response = Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", 201, mimetype="application/json")
    response.headers["Location"] = status_url
    return response


# ------------------------------------------------------------------ stored reports: pages, badge


REPORT_QUERY = reports.PROLOGUE + """CONSTRUCT { ?report ?p ?o . ?result ?rp ?ro . ?activity ?ap ?ao } WHERE { VALUES ?report { %s }
  { ?report ?p ?o } UNION { ?report sh:result ?result . ?result ?rp ?ro }
  UNION { ?report prov:wasGeneratedBy ?activity . ?activity ?ap ?ao FILTER(?ap != prov:used) }
}"""
USED_COUNT = reports.PROLOGUE + "SELECT (COUNT(?r) AS ?n) WHERE { VALUES ?activity { %s } ?activity prov:used ?r }"


@pages.page_for(SH.ValidationReport)
def report_page(iri: URIRef):
    store = context.store()
    graph_iri = [reports.validation_graph(context.settings())]
    described = store.query(REPORT_QUERY % iri.n3(), default_graphs=graph_iri).graph()
    report = report_from_graph(described)
    activity = described.value(iri, PROV.wasGeneratedBy)
    judged = store.select(USED_COUNT % activity.n3(), default_graphs=graph_iri)[0]["n"].toPython() \
        if activity is not None else 0
    at = described.value(iri, DCTERMS.created)
    kind = described.value(activity, DCTERMS.type) if activity is not None else None
    return render_template("validation_report.html", report=report, rows=result_rows(report), iri=iri,
                           at=at.toPython() if at is not None else None, judged=judged,
                           activity=activity_label(str(kind).rsplit("/", 1)[-1] if kind else ""),
                           source=described.value(activity, DCTERMS.source) if activity is not None else None)


def activity_label(kind: str) -> str:
    return {"load": _("a load of data files"), "submission": _("a submission"), "harvest": _("a harvest"),
            "approval": _("an approval")}.get(kind, kind)


def record_conformance():
    """The badge of the record whose page is being served (its IRI is the request's path), or None."""
    if request.endpoint is None or "validation" in request.path:
        return None
    try:
        badge = reports.latest_badge(context.store(), context.settings(), iri_for_path(request.path))
    except Exception:  # noqa: BLE001 - a badge must never break a record's page
        return None
    if badge is None:
        return None
    return {"badge": badge, "link": href(badge.report),
            "at": badge.at if isinstance(badge.at, datetime) else None}


@bp.app_context_processor
def conformance_context() -> dict:
    return {"record_conformance": record_conformance}

