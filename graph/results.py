"""Rendering SELECT/ASK results: SPARQL 1.1 JSON, CSV and TSV result formats, and a text table.

Pure functions over (variables, rows) of rdflib terms, shared by the CLI and the server.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from graph.store.base import QueryResult, Row


def term_json(term: Node) -> dict:
    """One RDF term in the SPARQL 1.1 Query Results JSON Format."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out: dict = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None:
        out["datatype"] = str(term.datatype)
    return out


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
        writer.writerow(["" if t is None else (f"_:{t}" if isinstance(t, BNode) else str(t)) for t in row])
    return out.getvalue()


def to_tsv(variables: Sequence[str], rows: Iterable[Row]) -> str:
    """SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax."""
    lines = ["\t".join("?" + v for v in variables)]
    for row in rows:
        lines.append("\t".join("" if t is None else t.n3() for t in row))
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
