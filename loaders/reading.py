"""Reading RDF text into a :class:`~loaders.Loaded`: what every loader that meets RDF shares.

A text that cannot be read is a :class:`~loaders.Problem`, not an exception, with a *classified* message
(:func:`read_error`: "not valid turtle: syntax error at line 5, column 3") — fixed words and numbers, never
a byte of the input — and the parser's own words only as the problem's value, which a harvest never
publishes. Kept apart from the file loader (:mod:`loaders.rdf`), which chooses between this and the
schema.org loader, so that the schema.org loader can use it too without the two importing each other.
"""

from __future__ import annotations

import json
import re

from rdflib import Graph
from rdflib.namespace import RDF

from graph.namespaces import TSC
from graph.rdfio import RdfReadError, context_references, parse_rdf
from loaders import Loaded, Problem

_LINE = re.compile(r"\bline:? ?(\d+)", re.I)


def parse_loaded(data: bytes | str, fmt: str, base_iri: str, source: str) -> Loaded:
    """Parse RDF text in rdflib syntax ``fmt``; a parser error becomes a Problem with its line.

    The Problem's message is classified (:func:`read_error`: "not valid turtle: syntax error at line 5,
    column 3"), the parser's own words — which quote the text around the error — are only its value: a
    harvest publishes the message, never the value (loaders/harvest.py)."""
    try:
        graph = parse_rdf(data, fmt, base_iri, source=source)
    except RdfReadError as exc:
        where, message = read_error(exc, fmt, source)
        return Loaded(Graph(), [Problem(source, where, message, reason(str(exc), source))])
    return Loaded(graph, [], count_records(graph))


def read_error(exc: RdfReadError, fmt: str, source: str) -> tuple[str, str]:
    """(where, classified message) of a read error: fixed words and numbers only, no byte of the input."""
    text = reason(str(exc), source)
    if text.startswith("remote JSON-LD context"):
        return "@context", "remote JSON-LD context not fetched (give the context inline)"
    if text.startswith("not RDF:"):
        return "document", "not RDF: N3 beyond RDF (a formula, a variable, a literal subject or predicate)"
    if text.endswith("nested too deeply to read"):
        return "document", f"not valid {fmt}: nested too deeply to read"
    if text.startswith("not valid xml: a DOCTYPE"):
        return "document", "not valid xml: a DOCTYPE or entity declaration is not accepted"
    if isinstance(exc.__context__, ValueError) and text.endswith(")") and "is not an RDF term (" in text:
        return "document", f"not valid {fmt}: a term the store cannot hold (not an RDF term)"
    line, column = syntax_position(exc)
    if line is None:
        return "document", f"not valid {fmt}: syntax error"
    at = f"line {line}" + (f", column {column}" if column is not None else "")
    return f"line {line}", f"not valid {fmt}: syntax error at {at}"


def syntax_position(exc: BaseException) -> tuple[int | None, int | None]:
    """(line, column), 1-based, of a parser's error: from the parser's own exception (graph.rdfio raises its
    RdfReadError while handling it) when it is one we know, else the first "line N" of the message."""
    cause = exc.__cause__ or exc.__context__
    lines, i, text = getattr(cause, "lines", None), getattr(cause, "_i", None), getattr(cause, "_str", None)
    if isinstance(lines, int) and isinstance(i, int) and isinstance(text, bytes):  # rdflib's N3/Turtle BadSyntax
        before = text.decode("utf-8", errors="replace")[:i]
        return lines + 1, len(before) - (before.rfind("\n") + 1) + 1
    if hasattr(cause, "getLineNumber") and hasattr(cause, "getColumnNumber"):  # RDF/XML: SAXParseException
        try:
            return int(cause.getLineNumber()), int(cause.getColumnNumber()) + 1
        except (TypeError, ValueError):
            pass
    if isinstance(cause, json.JSONDecodeError):
        return cause.lineno, cause.colno
    found = _LINE.search(str(exc))
    return (int(found.group(1)), None) if found else (None, None)


def count_records(graph: Graph) -> int:
    """Records are the subjects typed with one of our classes (``tsc:…``)."""
    return len({s for s, o in graph.subject_objects(RDF.type) if str(o).startswith(str(TSC))})


def remote_contexts(data: bytes | str) -> list[str] | None:
    """The string (remote) ``@context`` values anywhere in a JSON document (:func:`graph.rdfio.context_references`);
    None when it is not JSON, or nested too deeply to read (the parser then says so)."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return context_references(doc)


def is_schema_org(context: str) -> bool:
    return context.rstrip("/").split("://", 1)[-1] in ("schema.org", "www.schema.org", "schema.org/docs/jsonldcontext.json")


def reason(message: str, source: str) -> str:
    """The parser's message without the file name the Problem already carries."""
    prefix = source + ": "
    return message[len(prefix):] if message.startswith(prefix) else message
