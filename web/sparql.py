"""The SPARQL 1.1 Protocol endpoint (``/sparql``, ``/update``), its service description and query UI.

Queries run in the stoppable query pool with the time and size limits of the settings; an answer
cut by a limit says so (``X-Tscgraph-Truncated`` header, ``"truncated": true`` in JSON results).
Updates need a bearer token and are validated before anything is written (:mod:`graph.writes`).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from graph.formats import (
    GRAPH_FORMATS,
    HTML,
    SOLUTION_FORMATS,
    Format,
    NotAcceptable,
    formats_for,
    graph_document,
    negotiate,
    query_form,
)
from graph.guard import ForbiddenOperation, check_update
from graph.iris import is_iri
from graph.namespaces import PREFIXES, bind_prefixes
from graph.queries import NamedQuery, QueryCatalogueError
from graph.store import QuerySyntaxError, StoreError
from graph.store.base import QueryEvaluationError
from graph.store.querypool import QueryForbidden, QueryJob, QueryPoolBusy, QueryTimeout, QueryWorkerCrashed
from graph.store.view import PrivateGraph
from graph.writes import UpdateFailed, WriteForbidden, WriteRefused, apply_update
from web import context
from web.auth import check_write_access, token_scope_of_request
from web.i18n import current_lang
from web.security import WORKBENCH_CSP
from web.workbench import workbench_config

bp = Blueprint("sparql", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
CORS_EXPOSED = "X-Tscgraph-Truncated, X-Tscgraph-Row-Limit, X-Tscgraph-Rows"
CORS_ALLOWED_HEADERS = "Authorization, Content-Type, Accept"
#: The SPARQL Protocol and Graph Store routes: their writes take a bearer token only, so other origins may send them.
CORS_WRITE_PATHS = ("/sparql", "/update", "/data")


class ProtocolError(Exception):
    """A request the protocol refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def text_error(status: int, message: str, **headers: str) -> Response:
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers)
    if status == 406:  # what was not acceptable depends on Accept
        response.vary.add("Accept")
    return response


# ------------------------------------------------------------------ reading a protocol request


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(400, f"the {name} parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def _graph_uris(name: str) -> tuple[str, ...]:
    uris = tuple(request.args.getlist(name) + (request.form.getlist(name) if request.method == "POST" else []))
    for uri in uris:
        if not is_iri(uri):
            raise ProtocolError(400, f"{name} must be an absolute IRI, got {uri!r}")
    return uris


def _body_text() -> str:
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the request body is not valid UTF-8") from None


def read_protocol_request() -> tuple[str | None, str | None]:
    """(query, update) from a GET, a form POST or a direct POST, as the SPARQL 1.1 Protocol says."""
    if request.method == "GET":
        if "update" in request.args:
            raise ProtocolError(400, "updates must be sent with POST")
        return _single(request.args.getlist("query"), "query"), None
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        query = _single(request.form.getlist("query"), "query")
        update = _single(request.form.getlist("update"), "update")
    elif mimetype == "application/sparql-query":
        query, update = _body_text(), None
    elif mimetype == "application/sparql-update":
        query, update = None, _body_text()
    else:
        raise ProtocolError(
            415,
            f"unsupported Content-Type {mimetype or '(none)'!r}: use application/x-www-form-urlencoded, "
            "application/sparql-query or application/sparql-update",
        )
    if query is not None and update is not None:
        raise ProtocolError(400, "a request carries either a query or an update, not both")
    return query, update


# ------------------------------------------------------------------ running a query


def run_job(sparql: str, fmt: Format, **job_options):
    """Run in the pool (the SERVICE check, the dataset's visibility, parsing and evaluation all happen in the
    worker, under its time limit); map every failure to the HTTP error a client should get. A relative IRI in a
    query without ``BASE`` resolves against the request's IRI, as Oxigraph server resolves it."""
    job = QueryJob(sparql=sparql, format_key=fmt.key, max_rows=context.settings().max_result_rows,
                   default_graphs=tuple(job_options.pop("default_graphs", None) or ()),
                   named_graphs=tuple(job_options.pop("named_graphs", None) or ()),
                   extra_graphs=tuple(g.get("preview_graphs") or ()), base_iri=request.base_url, **job_options)
    try:
        return context.query_pool().run(job, client=request.remote_addr)
    except (QueryForbidden, PrivateGraph) as exc:
        raise ProtocolError(400, str(exc)) from None
    except QuerySyntaxError as exc:
        raise ProtocolError(400, f"SPARQL syntax error: {exc}") from None
    except QueryEvaluationError as exc:
        raise ProtocolError(400, f"the query cannot be evaluated: {exc}") from None
    except NotAcceptable as exc:
        raise ProtocolError(406, str(exc)) from None
    except QueryTimeout as exc:
        raise ProtocolError(503, f"timeout: {exc}") from None
    except QueryPoolBusy as exc:
        raise ProtocolError(503, f"busy: {exc}") from None
    except QueryWorkerCrashed as exc:
        raise ProtocolError(503, f"{exc}; it was tried twice") from None
    except StoreError as exc:
        raise ProtocolError(500, f"the query failed: {exc}") from None


def answer_response(rendered) -> Response:
    response = Response(rendered.body, mimetype=rendered.media_type)
    if rendered.media_type.startswith("text/") or "json" in rendered.media_type or "xml" in rendered.media_type:
        response.charset = "utf-8"
    response.headers["X-Tscgraph-Rows"] = str(rendered.count)
    if rendered.truncated:
        response.headers["X-Tscgraph-Truncated"] = "true"
        response.headers["X-Tscgraph-Row-Limit"] = str(rendered.limit)
    response.vary.add("Accept")
    return response


def parse_json_results(body: bytes) -> tuple[list[str], list[list], bool]:
    """SPARQL JSON results → variables and rows of rdflib terms (for the HTML renderings)."""
    data = json.loads(body)
    if "boolean" in data:
        return ["boolean"], [[Literal(data["boolean"])]], False
    variables = data["head"]["vars"]
    rows = []
    for binding in data["results"]["bindings"]:
        row = []
        for var in variables:
            term = binding.get(var)
            if term is None:
                row.append(None)
            elif term["type"] == "uri":
                row.append(URIRef(term["value"]))
            elif term["type"] == "bnode":
                row.append(BNode(term["value"]))
            else:
                dt = term.get("datatype")
                row.append(Literal(term["value"], lang=term.get("xml:lang"), datatype=URIRef(dt) if dt else None))
        rows.append(row)
    return variables, rows, bool(data.get("truncated"))


def answer_query(sparql: str) -> Response:
    form = query_form(sparql)
    try:
        fmt = negotiate(form, request.headers.get("Accept"), request.values.get("format"), allow_html=True)
    except NotAcceptable as exc:
        raise ProtocolError(406, str(exc)) from None
    options = {"default_graphs": _graph_uris("default-graph-uri"), "named_graphs": _graph_uris("named-graph-uri")}
    if fmt is HTML:
        return query_page(sparql, form, options)
    return answer_response(run_job(sparql, fmt, **options))


# ------------------------------------------------------------------ pages and descriptions


def download_links(params: dict[str, str], form: str, path: str = "/sparql") -> list[tuple[str, str]]:
    """(format, URL) of this answer in every format its query form offers."""
    return [(f.key, path + "?" + urlencode({**params, "format": f.key})) for f in formats_for(form)]


def query_page(sparql: str | None, form: str = "select", options: dict | None = None,
               named: NamedQuery | None = None, values: dict[str, str] | None = None,
               error: tuple[int, str] | None = None) -> Response:
    """The query page: a form that works without script (and a permalink's target), examples, prefixes and, when
    a query is given, its results as a table. With script it is the workbench (:mod:`web.workbench`), which
    reads the same answer from the JSON block the page embeds rather than running the query again.

    ``named`` (``/sparql?named=NAME&param=…``): a named query, run with ``values`` bound to its parameters."""
    results = None
    answer = None
    values = values or {}
    if sparql and error is None:
        try:
            if form == "graph":
                rendered = run_job(sparql, GRAPH_FORMATS[1], **(options or {}))  # N-Triples, shown as rows
                g = Graph().parse(data=rendered.body.decode("utf-8"), format="nt")
                rows = [list(t) for t in sorted(g)]
                results = (["subject", "predicate", "object"], rows, rendered.truncated)
                answer = rows_as_json(*results, limit=rendered.limit)
            else:
                rendered = run_job(sparql, SOLUTION_FORMATS[0], **(options or {}))
                results = parse_json_results(rendered.body)
                answer = json.loads(rendered.body)
        except ProtocolError as exc:
            error = (exc.status, str(exc))
    if named is not None:
        params = {"named": named.name, **values}
        downloads = download_links(values, form, f"/queries/{named.name}")
    else:
        params = {"query": sparql} if sparql else {}
        downloads = download_links(params, form) if sparql else []
    html = render_template(
        "sparql.html",
        sparql=sparql or default_query_text(),
        results=results,
        error=error,
        downloads=downloads if sparql and not error else [],
        examples=context.catalogue().values(),
        prefixes=PREFIXES,
        share_url=request.path + "?" + urlencode(params) if sparql else None,
        limit=context.settings().max_result_rows,
        named=named,
        values=values,
        workbench=workbench_config(sparql=sparql or default_query_text(), form=form, named=named, values=values,
                                   answer=answer, error=error),
    )
    status = error[0] if error else 200
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = WORKBENCH_CSP  # the one page whose own script runs
    response.vary.add("Accept")
    return response


def named_query_page(name: str) -> Response:
    """``/sparql?named=NAME&param=…``: the named query in the page, run with its parameters (bound, never pasted)."""
    query = context.catalogue().get(name)
    if query is None:
        return query_page(None, error=(404, f"no query named {name!r}"))
    values = {p.name: request.args[p.name] for p in query.params if p.name in request.args}
    try:
        bindings = tuple(query.bindings(values).items())
    except QueryCatalogueError as exc:
        return query_page(query.text, query_form(query.text), named=query, values=values, error=(400, str(exc)))
    return query_page(query.text, query_form(query.text), {"bindings": bindings}, named=query, values=values)


def rows_as_json(variables: list[str], rows: list[list], truncated: bool, *, limit: int | None = None) -> dict:
    """Rows of rdflib terms as SPARQL JSON results (a CONSTRUCT's triples, for the workbench's table)."""
    def term(t) -> dict:
        if isinstance(t, URIRef):
            return {"type": "uri", "value": str(t)}
        if isinstance(t, BNode):
            return {"type": "bnode", "value": str(t)}
        out = {"type": "literal", "value": str(t)}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype:
            out["datatype"] = str(t.datatype)
        return out

    answer: dict = {"head": {"vars": variables},
                    "results": {"bindings": [{v: term(t) for v, t in zip(variables, row) if t is not None} for row in rows]}}
    if truncated:
        answer.update(truncated=True, limit=limit)
    return answer


def default_query_text() -> str:
    prefixes = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("tsc", "skos", "dcterms", "schema"))
    return prefixes + "\nSELECT ?project ?title WHERE {\n  ?project a tsc:Project ; dcterms:title ?title .\n  FILTER(LANG(?title) = \"en\")\n}\nORDER BY ?title\nLIMIT 20\n"


def service_description() -> Response:
    endpoint = URIRef(request.url_root.rstrip("/") + "/sparql")
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    service = BNode()
    sd = lambda local: URIRef(SD + local)  # noqa: E731
    g.add((service, RDF.type, sd("Service")))
    g.add((service, sd("endpoint"), endpoint))
    g.add((service, sd("supportedLanguage"), sd("SPARQL11Query")))
    g.add((service, sd("supportedLanguage"), sd("SPARQL11Update")))
    g.add((service, sd("feature"), sd("UnionDefaultGraph")))
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                 "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG", "N-Quads"):
        g.add((service, sd("resultFormat"), URIRef(FORMATS_NS + name)))
    dataset = BNode()
    g.add((service, sd("defaultDataset"), dataset))
    g.add((dataset, RDF.type, sd("Dataset")))
    g.add((dataset, URIRef(VOID + "sparqlEndpoint"), endpoint))
    default_graph = BNode()
    g.add((dataset, sd("defaultGraph"), default_graph))
    g.add((default_graph, RDF.type, sd("Graph")))
    store = context.store()
    g.add((default_graph, URIRef(VOID + "triples"), Literal(store.count(), datatype=XSD.integer)))
    for name in store.graph_names():
        named, graph_node = BNode(), BNode()
        g.add((dataset, sd("namedGraph"), named))
        g.add((named, sd("name"), name))
        g.add((named, sd("graph"), graph_node))
        g.add((graph_node, URIRef(VOID + "triples"), Literal(store.count(str(name)), datatype=XSD.integer)))
    return rdf_response(g)


def rdf_response(g: Graph) -> Response:
    """``g`` in the negotiated RDF syntax; TriG and N-Quads as a dataset whose default graph it is."""
    try:
        fmt = negotiate("graph", request.headers.get("Accept"), request.args.get("format"))
    except NotAcceptable as exc:
        return text_error(406, str(exc))
    response = Response(graph_document(bind_prefixes(g), fmt), mimetype=fmt.media_type)
    response.vary.add("Accept")
    return response


def _wants_html() -> bool:
    """Whether the client prefers the page to the service description (negotiated as every RDF answer is)."""
    try:
        fmt = negotiate("graph", request.headers.get("Accept"), request.args.get("format"), allow_html=True)
    except NotAcceptable:
        return False  # the service description answers 406, naming what is offered
    return fmt is HTML


# ------------------------------------------------------------------ routes


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql():
    if request.method == "OPTIONS":
        return preflight()
    try:
        query, update = read_protocol_request()
        if update is not None:
            return run_update(update)
        if query is None:
            if not _wants_html():
                return service_description()
            named = request.args.get("named")
            return named_query_page(named) if named else query_page(None)
        if not query.strip():
            raise ProtocolError(400, "the query is empty")
        return answer_query(query)
    except ProtocolError as exc:
        return text_error(exc.status, str(exc))


@bp.route("/update", methods=["POST", "OPTIONS"])
def update():
    """The same updates as ``POST /sparql``, at the address some clients expect."""
    if request.method == "OPTIONS":
        return preflight("POST, OPTIONS")
    try:
        query, update_text = read_protocol_request()
        if query is not None or update_text is None:
            raise ProtocolError(400, "POST an update here (application/sparql-update, or a form with update=)")
        return run_update(update_text)
    except ProtocolError as exc:
        return text_error(exc.status, str(exc))


def run_update(sparql_update: str) -> Response:
    refused = check_write_access()
    if refused is not None:
        return refused
    try:
        check_update(sparql_update, context.settings().service_allowlist)
    except ForbiddenOperation as exc:
        raise ProtocolError(400, str(exc)) from None
    if request.values.getlist("using-graph-uri") or request.values.getlist("using-named-graph-uri"):
        raise ProtocolError(400, "using-graph-uri / using-named-graph-uri are not supported: write USING in the update")
    try:
        outcome = apply_update(context.raw_store(), context.validating(trusted=True), context.settings(), sparql_update,
                               scope=token_scope_of_request())
    except QuerySyntaxError as exc:
        raise ProtocolError(400, f"SPARQL syntax error: {exc}") from None
    except WriteRefused as refused_write:
        return report_response(refused_write.report, 422)
    except WriteForbidden as exc:
        raise ProtocolError(403, str(exc)) from None
    except UpdateFailed as exc:
        raise ProtocolError(400, str(exc)) from None
    except StoreError as exc:
        raise ProtocolError(500, f"the update failed, nothing was written: {exc}") from None
    context.snapshots().refresh()
    body = {"changedGraphs": list(outcome.changed_graphs), "warnings": outcome.report.warnings if outcome.report else 0}
    return Response(json.dumps(body) + "\n", status=200, mimetype="application/json")


def report_response(report, status: int) -> Response:
    """A validation report as the client prefers: JSON (default), Turtle, or plain text."""
    lang = current_lang()
    best = request.accept_mimetypes.best_match(["application/json", "text/turtle", "text/plain"], default="application/json")
    if best == "text/turtle":
        return Response(report.to_turtle(), status=status, mimetype="text/turtle")
    if best == "text/plain":
        return Response(report.to_text(lang) + "\n", status=status, mimetype="text/plain")
    return Response(report.to_json(lang), status=status, mimetype="application/json")


def preflight(methods: str = "GET, POST, OPTIONS") -> Response:
    """CORS preflight of the protocol routes: a workbench or notebook on another origin may send ``Authorization``
    (a bearer token, for updates) and ``Content-Type`` (``application/sparql-query`` / ``-update``, RDF bodies).
    Never ``Access-Control-Allow-Credentials``: browsers send no cookies cross-origin, so only a token the page
    holds itself can write, and the editors' session cookies never ride along."""
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = methods
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.after_app_request
def cors_for_reads(response: Response) -> Response:
    """Reads may be used from any web page, and so may the protocol routes' writes, which take only a bearer
    token (``Authorization``), never a cookie (see :func:`preflight`)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path in CORS_WRITE_PATHS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
        response.headers.pop("Access-Control-Allow-Credentials", None)
    return response
