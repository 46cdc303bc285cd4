"""Result formats: which media types each query form can answer in, how a client picks one, and the
renderers that honour the result-size limit honestly (a cut answer says it was cut).

Pure functions, shared by the query workers (which render) and the web layer (which negotiates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from rdflib import Dataset, Graph

from graph.namespaces import PREFIXES
from graph.results import boolean_json, engine_term, solutions_json, term_parts, to_csv, to_tsv
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
    Format("turtle", "text/turtle", ("turtle", "ttl", "n3", "application/x-turtle"), "turtle"),  # Turtle is N3
    Format("ntriples", "application/n-triples", ("ntriples", "nt", "n-triples"), "nt"),
    Format("jsonld", "application/ld+json", ("jsonld", "json-ld", "json", "application/json"), "json-ld"),
    Format("rdfxml", "application/rdf+xml", ("rdfxml", "rdf", "rdf+xml", "xml", "application/xml", "text/xml"), "xml"),
    Format("trig", "application/trig", ("trig",), "trig"),
    Format("nquads", "application/n-quads", ("nquads", "nq", "n-quads"), "nquads"),
)
HTML = Format("html", "text/html", ("html", "application/xhtml+xml"))
ALL_FORMATS = {f.key: f for f in SOLUTION_FORMATS + GRAPH_FORMATS + (HTML,)}

_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_NOISE = re.compile(r"#[^\n]*|<[^>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


class NotAcceptable(ValueError):
    """No format the query form can produce matches what the client asked for."""


# ------------------------------------------------------------------ the Accept header (RFC 9110 §12.5.1)


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header: ``type/subtype`` (``*`` allowed), its parameters and its weight."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    def match(self, media_type: str) -> int:
        """How specifically this range names ``media_type`` (a representation we answer in UTF-8): 0 for
        ``*/*``, 1 for ``type/*``, 2 for the type itself, 3 for the type with parameters it satisfies;
        -1 when it does not name it.

        Our answers are in UTF-8 and have no other parameters: a ``charset`` other than UTF-8, or a parameter
        we do not know (``text/plain;format=flowed``), names another representation. A JSON-LD ``profile``
        asks for a form of the same document, which a server may disregard (JSON-LD 1.1, IANA considerations)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        if self.subtype != sub:
            return -1
        for name, value in self.params:
            if not (name == "charset" and value.lower() in ("utf-8", "utf8") or name == "profile"):
                return -1
        return 3 if self.params else 2


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"\s*({_TOKEN})/({_TOKEN})\s*")
_PARAM = re.compile(rf"\s*({_TOKEN})\s*=\s*({_TOKEN}|\"(?:[^\"\\]|\\.)*\")\s*")
_QVALUE = re.compile(r"(?:0(?:\.[0-9]*)?|1(?:\.0*)?|\.[0-9]+)")
_ELEMENTS = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+')  # split on commas outside quoted strings
_PARTS = re.compile(r'(?:[^;"]|"(?:[^"\\]|\\.)*"?)+')


def _media_range(element: str) -> MediaRange | None:
    """One element of the list, or None when it is not a media range (RFC 9110 lets us ignore it)."""
    parts = _PARTS.findall(element)
    head = _RANGE.fullmatch(parts[0]) if parts else None
    if head is None:
        return None
    kind, sub = head.group(1).lower(), head.group(2).lower()
    if kind == "*" and sub != "*":
        return None
    params: list[tuple[str, str]] = []
    q = 1.0
    for part in parts[1:]:
        if not part.strip():
            continue
        param = _PARAM.fullmatch(part)
        if param is None:
            return None
        name, value = param.group(1).lower(), param.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if name == "q":
            if not _QVALUE.fullmatch(value):
                return None
            q = float(value)
            break  # what follows the weight is accept-ext, which no one defines
        params.append((name, value))
    return MediaRange(kind, sub, tuple(params), q)


def parse_accept(header: str | None) -> tuple[MediaRange, ...] | None:
    """The media ranges of an Accept header; None when there is no header, or nothing in it is a media
    range (empty, malformed): then any media type is acceptable (RFC 9110 §12.5.1)."""
    if header is None:
        return None
    ranges = tuple(r for r in (_media_range(e) for e in _ELEMENTS.findall(header)) if r is not None)
    return ranges or None


def quality(ranges: tuple[MediaRange, ...], media_type: str) -> tuple[float, int]:
    """(weight, specificity) the client gives ``media_type``: the most specific range naming it decides
    (RFC 9110: "the most specific reference has precedence"); (0, -1) when no range names it."""
    best = (0.0, -1)
    for media_range in ranges:
        specificity = media_range.match(media_type)
        if specificity < 0:
            continue
        if specificity > best[1] or (specificity == best[1] and media_range.q > best[0]):
            best = (media_range.q, specificity)
    return best


def preferred_format(offered: tuple[Format, ...], accept: str | None) -> Format | None:
    """The offered format the client prefers: the highest weight, then the most specific range, then our
    order; the first one when the header says nothing usable; None when the client accepts none of them.

    A format answers to its media type, and to the aliases that are media types (``application/json``
    for JSON-LD and JSON results, ``application/xml`` for RDF/XML and XML results…) when a range names
    them exactly: ``text/*`` does not get XML results, which are not ``text/``."""
    ranges = parse_accept(accept)
    if ranges is None:
        return offered[0]
    best: tuple[tuple[float, int], Format] | None = None
    for fmt in offered:
        score = quality(ranges, fmt.media_type)
        for alias in (a for a in fmt.aliases if "/" in a):
            named = quality(ranges, alias)
            if named[1] >= 2:
                score = max(score, named)
        if score[0] > 0 and (best is None or score > best[0]):
            best = (score, fmt)
    return best[1] if best else None


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


def negotiate(form: str, accept: "str | MIMEAccept | None", format_param: str | None, allow_html: bool = False) -> Format:
    """Pick the format: an explicit ``format`` parameter wins, else the client's preference by :func:`preferred_format`.

    ``accept`` is the Accept header as sent (werkzeug's parsed ``MIMEAccept`` is taken too). A missing,
    empty or malformed header gets the first format of the form (JSON results, or Turtle); a header that
    accepts none of them raises :class:`NotAcceptable`, naming what is offered.
    """
    offered = formats_for(form) + ((HTML,) if allow_html else ())
    if format_param:
        wanted = format_param.strip().lower()
        for fmt in offered:
            if wanted == fmt.key or wanted == fmt.media_type or wanted in fmt.aliases:
                return fmt
        names = ", ".join(f.key for f in offered)
        raise NotAcceptable(f"format {format_param!r} is not available for this query; use one of: {names}")
    if accept is not None and not isinstance(accept, str):
        accept = accept.to_header()
    chosen = preferred_format(offered, accept)
    if chosen is None:
        names = ", ".join(f.media_type for f in offered)
        raise NotAcceptable(f"none of the requested media types can be produced; available: {names}")
    return chosen


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
    kind, value, datatype, language = term_parts(term)
    if kind != "literal":
        return f"<{kind}>{escape(value)}</{kind}>"
    attrs = f" xml:lang={quoteattr(language)}" if language else f" datatype={quoteattr(datatype)}" if datatype else ""
    return f"<literal{attrs}>{escape(value)}</literal>"


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


#: The engine's writers for each RDF format of a query's answer.
ENGINE_SYNTAXES = {
    "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML, "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS,
}
#: The end of an IRI that RDF/XML can write as an element name (an XML NCName's start, then its characters).
_XML_NAME_END = re.compile(r"[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*\Z")


def graph_bytes(triples: list[Triple], fmt: Format) -> bytes:
    """A CONSTRUCT or DESCRIBE answer written by the engine's own serialisers, so each term is written as the
    engine holds it (no rdflib normalisation of literals) and any graph is written whole (rdflib's JSON-LD
    writer answered ``[]`` for blank nodes that point at each other). Triples are the engine's terms or rdflib
    terms (a remote store's answer). In TriG and N-Quads the triples are the default graph's (see
    :func:`graph_document`)."""
    engine = [t if isinstance(t, ox.Triple) else ox.Triple(*(engine_term(term) for term in t)) for t in triples]
    if fmt.key == "rdfxml":
        for triple in engine:
            if not _XML_NAME_END.search(triple.predicate.value):
                raise NotAcceptable(f"this answer cannot be written as RDF/XML: its predicate <{triple.predicate.value}> "
                                    "does not end with an XML name; ask for Turtle, N-Triples, JSON-LD, TriG or N-Quads")
    syntax = ENGINE_SYNTAXES[fmt.key]
    if fmt.key in DATASET_SYNTAXES:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in engine]
        return ox.serialize(quads, format=syntax, prefixes=dict(PREFIXES) if fmt.key == "trig" else None)
    prefixes = dict(PREFIXES) if fmt.key in ("turtle", "rdfxml") else None
    return ox.serialize(engine, format=syntax, prefixes=prefixes)


#: The syntaxes that carry a dataset rather than a graph.
DATASET_SYNTAXES = frozenset({"trig", "nquads"})


def graph_document(graph: Graph, fmt: Format) -> bytes:
    """``graph`` written in ``fmt``. In TriG and N-Quads it is a dataset whose default graph is ``graph`` —
    never a graph named by a blank node, which is what rdflib writes for a plain ``Graph`` (or refuses, for
    N-Quads) — so a client that reads the document into one graph (Jena's RIOT into a model, Comunica's
    default-graph queries, rdflib's ``Graph``) gets every triple, as from the Turtle."""
    if fmt.key not in DATASET_SYNTAXES:
        return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
    dataset = Dataset()
    for prefix, namespace in graph.namespaces():
        dataset.bind(prefix, namespace, replace=True)
    for triple in graph:
        dataset.add(triple)
    return dataset.serialize(format=fmt.rdflib_name, encoding="utf-8")
