"""The named (canned) queries as an API: listed at ``/queries``, run at ``/queries/NAME``.

Parameters come from the query string, are checked against their declared type and bound by
substitution — never pasted into the query text. Every SPARQL result format is offered, plus HTML.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request

from graph.formats import HTML, SOLUTION_FORMATS, NotAcceptable, negotiate, query_form
from graph.queries import NamedQuery, QueryCatalogueError
from web import context
from web.sparql import ProtocolError, answer_response, download_links, parse_json_results, run_job, text_error

bp = Blueprint("queries", __name__)


def describe(query: NamedQuery) -> dict:
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "parameters": [
            {"name": p.name, "type": p.datatype, "default": p.default, "description": p.description} for p in query.parameters
        ],
        "url": f"/queries/{query.name}",
        "sparql": query.text,
    }


@bp.get("/queries")
def list_queries():
    queries = list(context.catalogue().values())
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    if request.args.get("format") == "json" or (request.args.get("format") is None and best == "application/json"):
        return jsonify(queries=[describe(q) for q in queries])
    return render_template("queries.html", queries=queries)


@bp.get("/queries/<name>")
def run_named(name: str):
    query = context.catalogue().get(name)
    if query is None:
        abort(404, description=f"no query named {name!r}")
    values = {p.name: request.args[p.name] for p in query.parameters if p.name in request.args}
    unknown = set(request.args) - {p.name for p in query.parameters} - {"format", "lang"}
    try:
        if unknown:
            raise QueryCatalogueError(f"query {name} has no parameter(s) {', '.join(sorted(unknown))}")
        bindings = tuple(query.bindings(values).items())
        text = query.text_for(values)  # a ranking's page (limit, offset)
    except QueryCatalogueError as exc:
        return text_error(400, str(exc))
    form = query_form(text)
    try:
        fmt = negotiate(form, request.headers.get("Accept"), request.args.get("format"), allow_html=True)
        if fmt is not HTML:
            return answer_response(run_job(text, fmt, bindings=bindings))
        rendered = run_job(text, SOLUTION_FORMATS[0], bindings=bindings)
    except NotAcceptable as exc:
        return text_error(406, str(exc))
    except ProtocolError as exc:
        return text_error(exc.status, str(exc))
    variables, rows, truncated = parse_json_results(rendered.body)
    downloads = download_links(values, form, request.path)
    html = render_template(
        "query.html", query=query, variables=variables, rows=rows, truncated=truncated,
        limit=context.settings().max_result_rows, values=values, downloads=downloads,
    )
    response = Response(html, mimetype="text/html")
    response.vary.add("Accept")
    return response
