"""The analysts' workbench at ``/sparql``: what its script needs from the server, and nothing else.

The page itself is :func:`web.sparql.query_page` — a server-rendered form that works without script
(and is what a permalink opens); with script, ``static/workbench/workbench.js`` (built from
``assets/workbench/``, see ``docs/workbench.md``) turns it into an editor with completion, a results
table, charts and a map. The script reads everything it needs from one JSON data block the page embeds
(:func:`workbench_config`: its messages in the reader's language, the named queries, the formats, the
limits, the first answer) and from two small JSON routes of this module:

* ``GET /sparql/completions`` — the words the editor completes: our prefixes; the classes and properties of
  the ontology and of the data (the VoID class and property partitions, with their counts); the GBF targets,
  CBD articles and places with every label and alternative label ("Target 3", "Cible 3", "Mayotte"), so
  that typing a label inserts the IRI. Computed once per state of the data.
* ``GET /sparql/labels?iri=…&iri=…`` — the label, in the reader's language, and the page of the IRIs a
  results page shows (at most :data:`MAX_LABELS` per request), as every other page labels and links them.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from rdflib import URIRef

from graph.formats import formats_for, query_form
from graph.iris import is_iri
from graph.namespaces import PREFIXES, VOCAB
from graph.queries import NamedQuery
from web import context
from web.i18n import current_lang
from web.i18n import gettext as _
from web.labels import Namer, labels_of
from web.links import href

bp = Blueprint("workbench", __name__)

#: The most IRIs one ``/sparql/labels`` request may ask for (a results page asks for its own, in batches).
MAX_LABELS = 200

#: Classes and properties: declared in a vocabulary, or used in the data (the VoID class and property partitions).
VOCABULARY_TERMS = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?term ?kind WHERE {
  { VALUES ?type { owl:Class rdfs:Class } ?term a ?type BIND("class" AS ?kind) }
  UNION
  { VALUES ?type { owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty rdf:Property }
    ?term a ?type BIND("property" AS ?kind) }
  FILTER(isIRI(?term))
}
"""
CLASS_PARTITIONS = "SELECT ?term (COUNT(DISTINCT ?s) AS ?count) WHERE { ?s a ?term FILTER(isIRI(?term)) } GROUP BY ?term"
PROPERTY_PARTITIONS = "SELECT ?term (COUNT(*) AS ?count) WHERE { ?s ?term ?o } GROUP BY ?term"
#: The concepts an analyst names by their label: GBF targets, CBD articles, places.
CONCEPTS = f"""
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?term ?kind ?alt WHERE {{
  {{ ?term a tsc:GBFTarget BIND("target" AS ?kind) }}
  UNION {{ ?term a tsc:CBDArticle BIND("article" AS ?kind) }}
  UNION {{ ?term skos:inScheme <{VOCAB}place> BIND("place" AS ?kind) }}
  OPTIONAL {{ ?term skos:altLabel|skos:notation ?alt }}
}}
"""


def completions() -> dict:
    """What the editor completes (see the module's docstring); the same for every language."""
    store = context.store()
    terms: dict[str, dict] = {}

    def term(iri, kind: str) -> dict:
        return terms.setdefault(str(iri), {"iri": str(iri), "kind": kind, "labels": {}, "alt": []})

    for row in store.select(VOCABULARY_TERMS):
        term(row["term"], str(row["kind"]))
    for query, kind in ((CLASS_PARTITIONS, "class"), (PROPERTY_PARTITIONS, "property")):
        for row in store.select(query):
            entry = term(row["term"], kind)
            entry["count"] = entry.get("count", 0) + int(row["count"])
    for row in store.select(CONCEPTS):
        entry = term(row["term"], str(row["kind"]))
        entry["kind"] = str(row["kind"])  # a target is also a skos:Concept instance: its kind is "target"
        alt = row.get("alt")
        if alt is not None and str(alt) not in entry["alt"]:
            entry["alt"].append(str(alt))
    for iri, by_lang in labels_of(URIRef(i) for i in terms).items():
        terms[str(iri)]["labels"] = dict(sorted(by_lang.items()))
    ordered = sorted(terms.values(), key=lambda t: (t["kind"], -t.get("count", 0), t["iri"]))
    return {"prefixes": PREFIXES, "terms": ordered}


@bp.get("/sparql/completions")
def completions_route() -> Response:
    response = jsonify(context.per_state(("workbench-completions",), completions))
    response.headers["Cache-Control"] = "no-cache"  # revalidated: the answer changes with the data
    return response


@bp.get("/sparql/labels")
def labels_route() -> Response:
    iris = request.args.getlist("iri")
    if len(iris) > MAX_LABELS:
        return _text(400, f"ask for at most {MAX_LABELS} IRIs at a time, not {len(iris)}")
    bad = [iri for iri in iris if not is_iri(iri)]
    if bad:
        return _text(400, f"not an absolute IRI: {bad[0]!r}")
    terms = [URIRef(iri) for iri in dict.fromkeys(iris)]
    name = Namer(terms)
    return jsonify(lang=current_lang(), labels={str(t): {"label": name(t), "href": href(t)} for t in terms})


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


# ------------------------------------------------------------------ what the page embeds


def messages() -> dict[str, str]:
    """The script's own messages, in the reader's language (translated in ``translations/*/workbench.po``).
    Placeholders are ``%(name)s``, filled by the script."""
    return {
        "run": _("Run"),
        "running": _("Running…"),
        "editor": _("SPARQL query editor"),
        "named": _("Named queries"),
        "named_choose": _("Open a named query…"),
        "parameters": _("Parameters"),
        "history": _("History"),
        "history_empty": _("The queries you run are kept here, in this browser only."),
        "history_clear": _("Clear the history"),
        "open": _("Open"),
        "permalink": _("Permalink"),
        "download": _("Download:"),
        "table": _("Table"),
        "chart": _("Chart"),
        "map": _("Map"),
        "rows": _("Rows: %(num)s"),
        "page": _("Page %(page)s of %(pages)s"),
        "previous": _("Previous"),
        "next": _("Next"),
        "per_page": _("Rows per page"),
        "sort": _("Sort by %(column)s"),
        "no_rows": _("No answer: the query matched nothing."),
        "ask_true": _("Yes: the pattern matches."),
        "ask_false": _("No: the pattern does not match."),
        "truncated": _("Answer cut: the limit of %(limit)s rows was reached. The rows below are not all the answers."),
        "chart_kind": _("Chart type"),
        "chart_bar": _("Bars"),
        "chart_line": _("Line"),
        "chart_pie": _("Pie"),
        "chart_value": _("Values from"),
        "chart_label": _("Labels from"),
        "chart_none": _("No column of this answer holds numbers: there is nothing to chart."),
        "map_none": _("No column of this answer holds coordinates (lat and long, or a WKT point): there is nothing to map."),
        "map_caption": _("Points: %(num)s. World outline: Natural Earth, via world-atlas."),
        "map_coordinates": _("Coordinates from"),
        "syntax_error": _("Syntax error at line %(line)s, column %(column)s:"),
        "timeout": _("The query ran for %(elapsed)s s and was stopped: the time limit is %(limit)s s."),
        "busy": _("The server is busy with other queries: try again in a moment."),
        "error": _("The query failed (%(status)s):"),
        "network": _("The server could not be reached."),
        "completion_class": _("class"),
        "completion_property": _("property"),
        "completion_target": _("GBF target"),
        "completion_article": _("CBD article"),
        "completion_place": _("place"),
        "completion_prefix": _("prefix"),
        "completion_keyword": _("keyword"),
        "uses": _("%(num)s uses"),
    }


def named_query_json(query: NamedQuery) -> dict:
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "params": [{"name": p.name, "type": p.datatype, "default": p.default, "description": p.description}
                   for p in query.params],
        "sparql": query.text,
        "form": query_form(query.text),
    }


def workbench_config(*, sparql: str, form: str, named: NamedQuery | None, values: dict[str, str],
                     answer: dict | None, error: tuple[int, str] | None) -> dict:
    """The JSON data block the page embeds for its script: nothing in it is executed."""
    settings = context.settings()
    return {
        "lang": current_lang(),
        "messages": messages(),
        "endpoint": "/sparql",
        "completions": "/sparql/completions",
        "labels": "/sparql/labels",
        "maxLabels": MAX_LABELS,
        "outline": "/static/workbench/countries-110m.json",
        "rowLimit": settings.max_result_rows,
        "timeLimit": settings.query_time_limit,
        "formats": {f: [fmt.key for fmt in formats_for(f)] for f in ("select", "ask", "graph")},
        "queries": [named_query_json(q) for q in context.catalogue().values()],
        "initial": {
            "sparql": sparql,
            "form": form,
            "named": named.name if named else None,
            "values": values,
            "answer": answer,
            "error": {"status": error[0], "message": error[1]} if error else None,
        },
    }
