"""The OpenAPI 3.1 description of the HTTP API, generated from the routes and the query catalogue
(one operation per named query), served at ``/openapi.json``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from graph import __version__
from graph.formats import GRAPH_FORMATS, SOLUTION_FORMATS
from graph.queries import NamedQuery, QueryParam
from web import context

bp = Blueprint("openapi", __name__)

_SOLUTIONS = {f.media_type: {"schema": {"type": "string"}} for f in SOLUTION_FORMATS}
_SOLUTIONS["application/sparql-results+json"] = {"schema": {"$ref": "#/components/schemas/SparqlResults"}}
_GRAPHS = {f.media_type: {"schema": {"type": "string"}} for f in GRAPH_FORMATS}
_TEXT_ERROR = {"text/plain": {"schema": {"type": "string"}}}


def _error(description: str) -> dict:
    return {"description": description, "content": _TEXT_ERROR}


LIMIT_ERRORS = {
    "400": _error("Bad request: a syntax error (with line and column) or a bad parameter."),
    "406": _error("None of the accepted media types can be produced."),
    "503": _error("Timeout (the query ran past query_time_limit and was stopped) or busy (no free worker)."),
}
WRITE_ERRORS = {
    "401": _error("Missing or invalid bearer token."),
    "403": _error("Writes are disabled on this server."),
    "422": {"description": "The write would leave data violating the shapes; nothing was written. Body: the validation report.",
            "content": {"application/json": {"schema": {"type": "object"}}, "text/turtle": {"schema": {"type": "string"}}}},
}
FORMAT_PARAM = {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
                "description": "Result format, overriding Accept: json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, jsonld, rdfxml, trig, nquads (CONSTRUCT/DESCRIBE); html."}
TRUNCATION_HEADERS = {
    "X-Tscgraph-Rows": {"schema": {"type": "integer"}, "description": "Rows (or triples) in this answer."},
    "X-Tscgraph-Truncated": {"schema": {"type": "string", "enum": ["true"]}, "description": "Present when the result-size limit cut the answer."},
    "X-Tscgraph-Row-Limit": {"schema": {"type": "integer"}, "description": "The limit that cut the answer."},
}


def _param_schema(param: QueryParam) -> dict:
    """The JSON Schema of a parameter, its default in the schema's own type (an integer's is a number)."""
    schema = {"iri": {"type": "string", "format": "iri"}, "xsd:integer": {"type": "integer"}}.get(param.datatype, {"type": "string"})
    if param.default is None:
        return schema
    return {**schema, "default": int(param.default) if schema["type"] == "integer" else param.default}


def named_query_operation(query: NamedQuery) -> dict:
    return {
        "get": {
            "operationId": "query_" + query.name.replace("-", "_"),
            "summary": query.summary,
            "description": query.description,
            "tags": ["named queries"],
            "parameters": [
                {"name": p.name, "in": "query", "required": False, "description": p.description,
                 "schema": _param_schema(p)}
                for p in query.parameters
            ] + [FORMAT_PARAM],
            "responses": {"200": {"description": "The results.", "headers": TRUNCATION_HEADERS, "content": _SOLUTIONS}, **LIMIT_ERRORS},
        }
    }


def openapi_document() -> dict:
    query_params = [
        {"name": "query", "in": "query", "required": True, "schema": {"type": "string"}, "description": "A SPARQL 1.1 query."},
        {"name": "default-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
        {"name": "named-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
        FORMAT_PARAM,
    ]
    results = {"200": {"description": "Query results (SELECT/ASK) or a graph (CONSTRUCT/DESCRIBE).",
                       "headers": TRUNCATION_HEADERS, "content": {**_SOLUTIONS, **_GRAPHS}}, **LIMIT_ERRORS}
    graph_param = {"name": "graph", "in": "query", "required": False, "schema": {"type": "string", "format": "iri"},
                   "description": "The named graph (or use ?default for the union of all graphs, read-only)."}
    rdf_body = {"required": True, "content": {m: {"schema": {"type": "string"}} for m in
                                              ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "application/trig", "application/n-quads")}}
    paths: dict = {
        "/sparql": {
            "get": {"operationId": "sparql_query_get", "summary": "SPARQL 1.1 query (GET); without a query: the service description",
                    "tags": ["SPARQL"], "parameters": query_params, "responses": results},
            "post": {"operationId": "sparql_post", "summary": "SPARQL 1.1 query or update (POST form or direct)", "tags": ["SPARQL"],
                     "requestBody": {"required": True, "content": {
                         "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"query": {"type": "string"}, "update": {"type": "string"}}}},
                         "application/sparql-query": {"schema": {"type": "string"}},
                         "application/sparql-update": {"schema": {"type": "string"}}}},
                     "responses": {**results, **WRITE_ERRORS, "415": _error("Unsupported Content-Type.")},
                     "security": [{}, {"bearer": []}]},
        },
        "/update": {"post": {"operationId": "sparql_update", "summary": "SPARQL 1.1 update", "tags": ["SPARQL"],
                             "requestBody": {"required": True, "content": {"application/sparql-update": {"schema": {"type": "string"}}}},
                             "responses": {"200": {"description": "Applied; the changed graphs.", "content": {"application/json": {"schema": {"type": "object"}}}}, **WRITE_ERRORS},
                             "security": [{"bearer": []}]}},
        "/data": {
            "get": {"operationId": "graph_get", "summary": "Graph Store Protocol: read a graph", "tags": ["Graph Store"],
                    "parameters": [graph_param, FORMAT_PARAM], "responses": {"200": {"description": "The graph.", "headers": TRUNCATION_HEADERS, "content": _GRAPHS}, "404": _error("No such graph."), **LIMIT_ERRORS}},
            "put": {"operationId": "graph_put", "summary": "Graph Store Protocol: replace a graph (validated)", "tags": ["Graph Store"],
                    "parameters": [graph_param], "requestBody": rdf_body, "security": [{"bearer": []}],
                    "responses": {"201": {"description": "Created."}, "204": {"description": "Replaced."}, "400": _error("Unreadable body."), "415": _error("Unsupported Content-Type."), **WRITE_ERRORS}},
            "post": {"operationId": "graph_post", "summary": "Graph Store Protocol: merge into a graph (validated)", "tags": ["Graph Store"],
                     "parameters": [graph_param], "requestBody": rdf_body, "security": [{"bearer": []}],
                     "responses": {"201": {"description": "Created."}, "204": {"description": "Merged."}, "400": _error("Unreadable body."), "415": _error("Unsupported Content-Type."), **WRITE_ERRORS}},
            "delete": {"operationId": "graph_delete", "summary": "Graph Store Protocol: drop a graph", "tags": ["Graph Store"],
                       "parameters": [graph_param], "security": [{"bearer": []}],
                       "responses": {"204": {"description": "Dropped."}, "404": _error("No such graph."), **WRITE_ERRORS}},
        },
        "/queries": {"get": {"operationId": "list_queries", "summary": "The named queries", "tags": ["named queries"],
                             "responses": {"200": {"description": "The catalogue.", "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}}}}},
        "/.well-known/void": {"get": {"operationId": "void", "summary": "VoID description of the dataset, with counts", "tags": ["descriptions"],
                                      "responses": {"200": {"description": "VoID.", "content": _GRAPHS}}}},
        "/health": {"get": {"operationId": "health", "summary": "Store reachable?", "tags": ["operations"],
                            "responses": {"200": {"description": "Healthy.", "content": {"application/json": {"schema": {"type": "object"}}}}, "503": {"description": "Unhealthy."}}}},
        "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "tags": ["operations"],
                             "responses": {"200": {"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    }
    for query in context.catalogue().values():
        paths[f"/queries/{query.name}"] = named_query_operation(query)
    return {
        "openapi": "3.1.0",
        "info": {"title": "tscgraph", "version": __version__,
                 "description": "SPARQL 1.1 endpoint, Graph Store Protocol and named queries of a CBD clearing-house knowledge graph."},
        "servers": [{"url": request.url_root.rstrip("/")}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"SparqlResults": {"type": "object", "properties": {
                "head": {"type": "object"}, "results": {"type": "object"}, "boolean": {"type": "boolean"},
                "truncated": {"type": "boolean", "description": "Present and true when the result-size limit cut the answer."},
                "limit": {"type": "integer"}}}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
