"""Result formats: which media types each query form can answer in, how a client picks one, and the
renderers that honour the result-size limit honestly (a cut answer says it was cut).

Pure functions, shared by the query workers (which render) and the web layer (which negotiates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef

from graph.namespaces import bind_prefixes
from graph.results import boolean_json, solutions_json, to_csv, to_tsv
from graph.store.base import QueryResult, Row, Triple

if TYPE_CHECKING:
    from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    key: str
    media_type: str
    aliases: tuple[str, ...]
    rdflib_name: str | None = None  # serializer name, for RDF graph formats


SOLUTION_FORMATS = (
    Format("json", "application/sparql-results+json", ("json", "srj", "application/json")),
    Format("xml", "application/sparql-results+xml", ("xml", "srx", "application/xml", "text/xml")),
    Format("csv", "text/csv", ("csv",)),
    Format("tsv", "text/tab-separated-values", ("tsv", "tab")),
)
BOOLEAN_FORMATS = SOLUTION_FORMATS[:2]
GRAPH_FORMATS = (
    Format("turtle", "text/turtle", ("turtle", "ttl", "application/x-turtle"), "turtle"),
    Format("ntriples", "application/n-triples", ("ntriples", "nt", "n-triples"), "nt"),
    Format("jsonld", "application/ld+json", ("jsonld", "json-ld", "json", "application/json"), "json-ld"),
    Format("rdfxml", "application/rdf+xml", ("rdfxml", "rdf", "xml", "application/xml", "text/xml"), "xml"),
    Format("trig", "application/trig", ("trig",), "trig"),
    Format("nquads", "application/n-quads", ("nquads", "nq", "n-quads"), "nquads"),
)
HTML = Format("html", "text/html", ("html", "application/xhtml+xml"))
ALL_FORMATS = {f.key: f for f in SOLUTION_FORMATS + GRAPH_FORMATS + (HTML,)}

_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_NOISE = re.compile(r"#[^\n]*|<[^>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


class NotAcceptable(ValueError):
    """No format the query form can produce matches what the client asked for."""


def query_form(sparql: str) -> str:
    """``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE), read past the prologue; ``select`` if unsure
    (the engine will then report any real syntax error)."""
    match = _FORM.search(_NOISE.sub(" ", sparql))
    if not match:
        return "select"
    word = match.group(1).upper()
    return "ask" if word == "ASK" else "graph" if word in ("CONSTRUCT", "DESCRIBE") else "select"


def formats_for(form: str) -> tuple[Format, ...]:
    return {"select": SOLUTION_FORMATS, "ask": BOOLEAN_FORMATS, "graph": GRAPH_FORMATS}[form]


def negotiate(form: str, accept: "MIMEAccept | None", format_param: str | None, allow_html: bool = False) -> Format:
    """Pick the format: an explicit ``format`` parameter wins, else the best ``Accept`` match by q-value.

    ``accept`` is werkzeug's ``MIMEAccept`` (q-values, wildcards). A missing or ``*/*`` Accept gets the
    first format of the form (JSON results, or Turtle).
    """
    offered = formats_for(form) + ((HTML,) if allow_html else ())
    if format_param:
        wanted = format_param.strip().lower()
        for fmt in offered:
            if wanted == fmt.key or wanted == fmt.media_type or wanted in fmt.aliases:
                return fmt
        names = ", ".join(f.key for f in offered)
        raise NotAcceptable(f"format {format_param!r} is not available for this query; use one of: {names}")
    if not accept or not list(accept.values()):
        return offered[0]
    media = {f.media_type: f for f in offered}
    for fmt in offered:  # aliases that are media types (application/json…) are offered after the canonical ones
        for alias in fmt.aliases:
            if "/" in alias:
                media.setdefault(alias, fmt)
    best = accept.best_match(list(media), default=None)
    if best is None:
        names = ", ".join(f.media_type for f in offered)
        raise NotAcceptable(f"none of the requested media types can be produced; available: {names}")
    return media[best]


# ------------------------------------------------------------------ rendering with a size limit


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    count: int
    truncated: bool
    limit: int


def take(items: Iterator, limit: int) -> tuple[list, bool]:
    """At most ``limit`` items, and whether there were more (read one past the limit to know)."""
    out = []
    for item in items:
        if len(out) == limit:
            return out, True
        out.append(item)
    return out, False


def render(result: QueryResult, fmt: Format, max_rows: int) -> Rendered:
    """Serialise ``result`` in ``fmt``, cutting at ``max_rows`` rows (or triples) and saying so."""
    if result.kind == "ask":
        body = boolean_json(bool(result.boolean)) if fmt.key == "json" else boolean_xml(bool(result.boolean))
        return Rendered(body.encode(), fmt.media_type, 1, False, max_rows)
    if result.kind == "graph":
        triples, truncated = take(result.triples, max_rows)
        return Rendered(graph_bytes(triples, fmt), fmt.media_type, len(triples), truncated, max_rows)
    rows, truncated = take(result.rows, max_rows)
    if fmt.key == "json":
        body = solutions_json(result.variables, rows, truncated, max_rows)
    elif fmt.key == "xml":
        body = solutions_xml(result.variables, rows, truncated, max_rows)
    elif fmt.key == "csv":
        body = to_csv(result.variables, rows)
    elif fmt.key == "tsv":
        body = to_tsv(result.variables, rows)
    else:
        raise NotAcceptable(f"{fmt.media_type} is not a format for SELECT results")
    return Rendered(body.encode(), fmt.media_type, len(rows), truncated, max_rows)


def _xml_term(term) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    attrs = ""
    if term.language:
        attrs = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype is not None:
        attrs = f" datatype={quoteattr(str(term.datatype))}"
    return f"<literal{attrs}>{escape(str(term))}</literal>"


def solutions_xml(variables: list[str], rows: list[Row], truncated: bool, limit: int) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    out.extend(f"<variable name={quoteattr(v)}/>" for v in variables)
    out.append("</head>")
    if truncated:
        out.append(f"<!-- truncated: the result-size limit of {limit} rows was reached; this answer is incomplete -->")
    out.append("<results>")
    for row in rows:
        out.append("<result>")
        for v, t in zip(variables, row):
            if t is not None:
                out.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
        out.append("</result>")
    out.append("</results></sparql>")
    return "\n".join(out) + "\n"


def boolean_xml(value: bool) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
    )


def graph_bytes(triples: list[Triple], fmt: Format) -> bytes:
    graph = bind_prefixes(Graph())
    for triple in triples:
        graph.add(triple)
    if fmt.key in ("trig", "nquads"):
        from rdflib import Dataset

        dataset = Dataset()
        for prefix, ns in graph.namespaces():
            dataset.bind(prefix, ns)
        for triple in triples:
            dataset.add(triple)
        return dataset.serialize(format=fmt.rdflib_name, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
