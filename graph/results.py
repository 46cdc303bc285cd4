"""Rendering SELECT/ASK results: SPARQL 1.1 JSON, CSV and TSV result formats, and a text table.

Pure functions over (variables, rows), shared by the CLI and the server. A row's terms are the engine's own
(pyoxigraph terms: what the query workers render, so an answer spells every literal as the engine holds it —
``"2100"^^xsd:double`` stays ``2100``, where an rdflib ``Literal`` would normalise it to ``2100.0``) or
rdflib terms (the CLI, a remote store's answer): :func:`term_parts` reads both.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Sequence

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from graph.store.base import QueryResult, Row
from graph.store.oxigraph import to_ox

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def term_parts(term) -> tuple[str, str, str | None, str | None]:
    """(kind, value, datatype, language) of a pyoxigraph or rdflib term: kind is ``uri``, ``bnode`` or
    ``literal``; the datatype is None for a simple literal (``xsd:string``, the same RDF 1.1 term) and a
    language-tagged one."""
    if isinstance(term, (ox.NamedNode, URIRef)):
        return "uri", str(term.value if isinstance(term, ox.NamedNode) else term), None, None
    if isinstance(term, (ox.BlankNode, BNode)):
        return "bnode", str(term.value if isinstance(term, ox.BlankNode) else term), None, None
    if isinstance(term, ox.Literal):
        if term.language:
            return "literal", term.value, None, term.language
        datatype = term.datatype.value
        return "literal", term.value, None if datatype == _XSD_STRING else datatype, None
    if isinstance(term, Literal):
        if term.language:
            return "literal", str(term), None, term.language
        datatype = str(term.datatype) if term.datatype is not None else None
        return "literal", str(term), None if datatype in (_XSD_STRING, _LANG_STRING) else datatype, None
    raise TypeError(f"not an RDF term: {term!r}")


def term_json(term) -> dict:
    """One RDF term in the SPARQL 1.1 Query Results JSON Format."""
    kind, value, datatype, language = term_parts(term)
    out: dict = {"type": kind, "value": value}
    if language:
        out["xml:lang"] = language
    elif datatype is not None:
        out["datatype"] = datatype
    return out


def engine_term(term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph or rdflib term as the engine's own (the engine's terms pass as they are)."""
    return term if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)) else to_ox(term)


def term_ntriples(term) -> str:
    """One RDF term in N-Triples syntax (which TSV results use): IRIs in ``<>``, blank nodes ``_:``, literals
    quoted with their escapes — a line break in a value is written ``\\n``, never as a line break."""
    return str(engine_term(term))


def term_text(term) -> str:
    """A term as SPARQL 1.1 CSV writes it: the IRI, the literal's lexical form, ``_:label``."""
    kind, value, _, _ = term_parts(term)
    return f"_:{value}" if kind == "bnode" else value


def solutions_json(variables: Sequence[str], rows: Iterable[Row], truncated: bool = False, limit: int = 0,
                   indent: int | None = None) -> str:
    """SELECT results in the SPARQL 1.1 JSON format; a cut answer says so (``truncated``, ``limit``)."""
    doc: dict = {"head": {"vars": list(variables)}}
    if truncated:
        # Not part of the W3C format (readers ignore unknown members): the answer is incomplete.
        doc["truncated"] = True
        doc["limit"] = limit
    doc["results"] = {
        "bindings": [{v: term_json(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    }
    return json.dumps(doc, ensure_ascii=False, indent=indent)


def boolean_json(value: bool) -> str:
    return json.dumps({"head": {}, "boolean": value})


def to_json(result: QueryResult) -> str:
    """A whole (uncut) SELECT or ASK result as JSON, for people reading the CLI's output."""
    if result.kind == "ask":
        return boolean_json(bool(result.boolean))
    return solutions_json(result.variables, result.rows, indent=1)


def to_csv(variables: Sequence[str], rows: Iterable[Row]) -> str:
    """SPARQL 1.1 CSV: plain values, blank nodes as ``_:label``, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow(["" if t is None else term_text(t) for t in row])
    return out.getvalue()


def to_tsv(variables: Sequence[str], rows: Iterable[Row]) -> str:
    """SPARQL 1.1 TSV: terms in N-Triples syntax (so a tab or a line break inside a value is escaped)."""
    lines = ["\t".join("?" + v for v in variables)]
    for row in rows:
        lines.append("\t".join("" if t is None else term_ntriples(t) for t in row))
    return "\n".join(lines) + "\n"


def to_table(variables: Sequence[str], rows: Iterable[Row], nm: NamespaceManager | None = None) -> str:
    """A fixed-width text table for people, IRIs shortened with our prefixes."""

    def cell(term: Node | None) -> str:
        if term is None:
            return ""
        if isinstance(term, URIRef) and nm is not None:
            try:
                return term.n3(nm)
            except Exception:  # noqa: BLE001 - rdflib raises several kinds for unprefixable IRIs
                return f"<{term}>"
        return str(term)

    cells = [[cell(t) for t in row] for row in rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(variables)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(variables), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out)
