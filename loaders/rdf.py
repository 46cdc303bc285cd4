"""RDF files in any common syntax, read as they are: a partner's Turtle, RDF/XML, N-Triples, TriG…

The syntax table and the parser are :mod:`graph.rdfio`'s (one place for both files and HTTP bodies);
this module only turns its outcome into a :class:`~loaders.Loaded`: a file that cannot be read is a
:class:`~loaders.Problem` naming the line where the parser says so, not an exception, so that a
harvest of many files reports every bad one. JSON-LD is the one syntax whose reading could reach
the network (a remote ``@context``): schema.org JSON-LD goes to :mod:`loaders.schemaorg`, which maps it
onto our terms with a local context; any other remote context is refused, never fetched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from graph.namespaces import TSC
from graph.rdfio import RdfReadError, context_references, format_for, parse_rdf
from loaders import Loaded, Problem

_LINE = re.compile(r"\bline:? ?(\d+)", re.I)


def load_rdf(path: Path | str, base_iri: str) -> Loaded:
    """Read one RDF file; relative IRIs resolve against ``base_iri`` (as for the bundled data)."""
    path = Path(path)
    source = str(path)
    try:
        fmt = format_for(path)
        data = path.read_bytes()
    except RdfReadError as exc:
        return Loaded(Graph(), [Problem(source, "file", _reason(str(exc), source))])
    except OSError as exc:
        return Loaded(Graph(), [Problem(source, "file", f"cannot read ({exc.strerror})")])
    if fmt == "json-ld":
        contexts = remote_contexts(data)
        if contexts is not None and any(is_schema_org(c) for c in contexts):
            from loaders.schemaorg import load_schemaorg

            return load_schemaorg(data, source, base_iri)
        if contexts:
            return Loaded(Graph(), [Problem(source, "@context", "remote JSON-LD context not fetched (no network "
                                            "access while loading); give the context inline", contexts[0])])
    return parse_loaded(data, fmt, base_iri, source)


def parse_loaded(data: bytes | str, fmt: str, base_iri: str, source: str) -> Loaded:
    """Parse RDF text in rdflib syntax ``fmt``; a parser error becomes a Problem with its line.

    The Problem's message is classified (:func:`read_error`: "not valid turtle: syntax error at line 5,
    column 3"), the parser's own words — which quote the text around the error — are only its value: a
    harvest publishes the message, never the value (graph/harvest.py)."""
    try:
        graph = parse_rdf(data, fmt, base_iri, source=source)
    except RdfReadError as exc:
        where, message = read_error(exc, fmt, source)
        return Loaded(Graph(), [Problem(source, where, message, _reason(str(exc), source))])
    return Loaded(graph, [], count_records(graph))


def read_error(exc: RdfReadError, fmt: str, source: str) -> tuple[str, str]:
    """(where, classified message) of a read error: fixed words and numbers only, no byte of the input."""
    reason = _reason(str(exc), source)
    if reason.startswith("remote JSON-LD context"):
        return "@context", "remote JSON-LD context not fetched (give the context inline)"
    if reason.startswith("not RDF:"):
        return "document", "not RDF: N3 beyond RDF (a formula, a variable, a literal subject or predicate)"
    if reason.endswith("nested too deeply to read"):
        return "document", f"not valid {fmt}: nested too deeply to read"
    if reason.startswith("not valid xml: a DOCTYPE"):
        return "document", "not valid xml: a DOCTYPE or entity declaration is not accepted"
    if isinstance(exc.__context__, ValueError) and reason.endswith(")") and "is not an RDF term (" in reason:
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


def _reason(message: str, source: str) -> str:
    """The parser's message without the file name the Problem already carries."""
    prefix = source + ": "
    return message[len(prefix):] if message.startswith(prefix) else message
