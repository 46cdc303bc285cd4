"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/data`` (indirect graph identification: ``?graph=IRI``).

Reads (GET, HEAD) are open and go through the query pool with its limits; a private graph is not found
(404), whoever asks. Writes (PUT replaces, POST merges, DELETE drops) need a bearer token whose scope
may change the graph (:mod:`graph.auth`: a private graph, never — 403 whatever the token; the ontology
and the server's own graphs, an ``admin`` token); PUT and POST are validated first and refused with
the report (422) when the graph would violate the shapes — then nothing is written. ``?default``
names the default graph, which here is the read-only union of all named graphs.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request
from rdflib import URIRef

from graph.auth import write_refusal
from graph.formats import NotAcceptable, negotiate
from graph.iris import is_iri
from graph.rdfio import MEDIA_TYPES, RdfBody, RdfReadError
from graph.store import StoreError
from graph.writes import WriteForbidden, WriteRefused, delete_graph, post_graph, put_graph
from web import context
from web.auth import check_write_access, token_scope_of_request
from web.sparql import ProtocolError, answer_response, preflight, report_response, run_job, text_error

bp = Blueprint("graphstore", __name__)

#: Content-Type → parser, for bodies of PUT and POST (N-Triples may also come as text/plain).
BODY_FORMATS = {**MEDIA_TYPES, "text/plain": "nt"}
UNION_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
GRAPH_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def _target() -> str | None:
    """The graph IRI of ``?graph=``, or None for ``?default``."""
    has_graph, has_default = "graph" in request.args, "default" in request.args
    if has_graph == has_default:
        raise ProtocolError(400, "name exactly one graph: ?graph=<IRI> or ?default")
    if has_default:
        return None
    iri = request.args.get("graph", "")
    if not is_iri(iri):
        raise ProtocolError(400, f"graph must be an absolute IRI, got {iri!r}")
    return iri


def _exists(iri: str) -> bool:
    return iri in {str(g) for g in context.store().graph_names()}


@bp.route("/data", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"])
def graph_store():
    if request.method == "OPTIONS":  # CORS preflight: another origin may send a bearer token and an RDF body
        return preflight("GET, HEAD, PUT, POST, DELETE, OPTIONS")
    try:
        target = _target()
        if request.method in ("GET", "HEAD"):
            return read_graph(target)
        refused = check_write_access()
        if refused is not None:
            return refused
        if target is None:
            raise ProtocolError(400, "the default graph is the read-only union of all graphs: write to ?graph=<IRI>")
        return write_graph(target)
    except ProtocolError as exc:
        return text_error(exc.status, str(exc))


def read_graph(target: str | None) -> Response:
    try:
        fmt = negotiate("graph", request.headers.get("Accept"), request.args.get("format"))
    except NotAcceptable as exc:
        raise ProtocolError(406, str(exc)) from None
    if target is None:
        rendered = run_job(UNION_QUERY, fmt)
    else:
        if not _exists(target):
            raise ProtocolError(404, f"there is no graph <{target}>")
        rendered = run_job(GRAPH_QUERY, fmt, bindings=(("g", URIRef(target)),))
    response = answer_response(rendered)
    if request.method == "HEAD":
        response.set_data(b"")
    return response


def _body() -> RdfBody:
    """The request's RDF, checked (a DOCTYPE, a remote JSON-LD context: 400) and read where it is written: by the
    engine, so its terms are stored as the client wrote them."""
    fmt = BODY_FORMATS.get(request.mimetype)
    if fmt is None:
        raise ProtocolError(415, f"unsupported Content-Type {request.mimetype or '(none)'!r}; use one of: {', '.join(BODY_FORMATS)}")
    body = RdfBody(request.get_data(), fmt, context.settings().base_iri)
    try:
        body.check()
    except RdfReadError as exc:
        raise ProtocolError(400, str(exc)) from None
    return body


def write_graph(target: str) -> Response:
    store, validator, settings = context.raw_store(), context.validating(trusted=True), context.settings()
    scope = token_scope_of_request()
    refusal = write_refusal(settings, scope, target)  # by the IRI alone, before the body is read
    if refusal is not None:
        raise ProtocolError(403, f"{refusal}; nothing was written")
    allowed = {"settings": settings, "scope": scope}
    try:
        if request.method == "DELETE":
            if not delete_graph(store, target, **allowed):
                raise ProtocolError(404, f"there is no graph <{target}>")
            status = 204
        else:
            existed = _exists(target)
            content = _body()
            if request.method == "PUT":
                put_graph(store, validator, target, content, **allowed)
            else:
                post_graph(store, validator, target, content, **allowed)
            status = 201 if not existed and _exists(target) else 204
    except RdfReadError as exc:
        raise ProtocolError(400, str(exc)) from None
    except WriteForbidden as forbidden:
        raise ProtocolError(403, str(forbidden)) from None
    except WriteRefused as refused:
        return report_response(refused.report, 422)
    except StoreError as exc:
        raise ProtocolError(500, f"the write failed, nothing was written: {exc}") from None
    context.snapshots().refresh()
    response = Response(status=status)
    if status == 201:
        response.headers["Location"] = "/data?" + urlencode({"graph": target})
    return response
