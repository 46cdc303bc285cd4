"""Answers of the W3C tests, read and compared as the suites mean them.

An answer is a :class:`Solutions` (SELECT), a :class:`Boolean` (ASK) or a :class:`Triples` (CONSTRUCT, DESCRIBE,
an update's graphs), made of the engine's terms (pyoxigraph), read from every format: SPARQL results in JSON,
XML and TSV (the engine's parsers), CSV (ours: it is lossy), RDF result sets (``rs:ResultSet`` in Turtle or
RDF/XML, the SPARQL 1.0 tests) and RDF graphs in every syntax.

Compared **exactly**: every term with its lexical form (``"2100"^^xsd:double`` is not ``"2100.0"``) and its
datatype; only language tags ignore case (RDF 1.1: they are case-insensitive). **Blank nodes up to renaming**:
both answers are written as RDF datasets (a solution is a blank node with one triple per binding) and
canonicalised by the engine (RDFC-style), then compared as sets. **Order only under ORDER BY**: a query whose
outer level orders its solutions must give them in an order the expected list allows — position by position
on the ORDER BY keys (plain variables), or on the whole solution when a key is an expression.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: RDF syntaxes by file name and by media type.
RDF_FILES = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML}
RDF_MEDIA = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG, "application/n-quads": ox.RdfFormat.N_QUADS,
}
RESULT_MEDIA = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


class AnswerMismatch(AssertionError):
    """tscgraph's answer is not the one the W3C test expects (what an engine's bug also gives)."""


@dataclass
class Solutions:
    variables: list[str]
    rows: list[dict]  #: variable → term, unbound variables absent
    ordered: bool = False  #: the expected list's order means something (rs:index)


@dataclass
class Boolean:
    value: bool


@dataclass
class Triples:
    triples: list = field(default_factory=list)  #: ox.Triple, or ox.Quad for an update's dataset


Answer = Solutions | Boolean | Triples


# ------------------------------------------------------------------ reading


def _exact(term):
    """A term as compared: a language tag in lower case (the only case-insensitive part of a term)."""
    if isinstance(term, ox.Literal) and term.language and term.language != term.language.lower():
        return ox.Literal(term.value, language=term.language.lower())
    return term


def results_answer(data: bytes, fmt: ox.QueryResultsFormat) -> Answer:
    parsed = ox.parse_query_results(data, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return Boolean(bool(parsed))
    variables = [v.value for v in parsed.variables]
    rows = [{v: solution[v] for v in variables if solution[v] is not None} for solution in parsed]
    return Solutions(variables, rows)


def graph_answer(data: bytes, fmt: ox.RdfFormat, base_iri: str | None = None) -> Triples:
    return Triples([q.triple for q in ox.parse(data, format=fmt, base_iri=base_iri)])


def csv_rows(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """SPARQL 1.1 CSV: the header and the rows as strings (the format keeps no datatype nor language)."""
    reader = list(csv.reader(io.StringIO(text, newline="")))
    return (reader[0] if reader else []), [tuple(r) for r in reader[1:]]


def csv_of(answer: Solutions) -> tuple[list[str], list[tuple[str, ...]]]:
    """What a solution sequence gives in CSV, to compare a CSV answer with."""
    def cell(term) -> str:
        if term is None:
            return ""
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value

    return answer.variables, [tuple(cell(row.get(v)) for v in answer.variables) for row in answer.rows]


def _result_set(quads: list[ox.Quad]) -> Answer | None:
    """An ``rs:ResultSet`` graph (the SPARQL 1.0 tests' RDF results) as solutions or a boolean; None if it is not one."""
    index: dict = {}
    for q in quads:
        index.setdefault((q.subject, q.predicate.value), []).append(q.object)
    sets = [q.subject for q in quads if q.predicate.value == RDF_TYPE and q.object.value == RS + "ResultSet"]
    if not sets:
        return None
    result_set = sets[0]
    if (result_set, RS + "boolean") in index:
        return Boolean(index[(result_set, RS + "boolean")][0].value == "true")
    variables = [v.value for v in index.get((result_set, RS + "resultVariable"), [])]
    rows, positions = [], []
    for solution in index.get((result_set, RS + "solution"), []):
        row = {}
        for binding in index.get((solution, RS + "binding"), []):
            row[index[(binding, RS + "variable")][0].value] = index[(binding, RS + "value")][0]
        rows.append(row)
        position = index.get((solution, RS + "index"))
        positions.append(int(position[0].value) if position else None)
    ordered = bool(positions) and all(p is not None for p in positions)
    if ordered:
        rows = [row for _, row in sorted(zip(positions, rows), key=lambda pair: pair[0])]
    return Solutions(variables, rows, ordered)


def expected_answer(path: Path, base_iri: str) -> Answer:
    """A test's expected result file, in whatever format the suite wrote it."""
    if path.suffix in (".srx", ".srj", ".tsv"):
        fmt = {".srx": ox.QueryResultsFormat.XML, ".srj": ox.QueryResultsFormat.JSON, ".tsv": ox.QueryResultsFormat.TSV}
        return results_answer(path.read_bytes(), fmt[path.suffix])
    quads = list(ox.parse(path=str(path), format=RDF_FILES[path.suffix], base_iri=base_iri))
    return _result_set(quads) or Triples([q.triple for q in quads])


# ------------------------------------------------------------------ comparing


def _canonical(quads: list[ox.Quad]) -> set[str]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


_ROW = ox.NamedNode("urn:x-w3c-runner:row")


def _solution_quads(rows: list[dict], distinct: bool) -> list[ox.Quad]:
    quads = []
    seen = set()
    for row in rows:
        key = tuple(sorted((v, str(t)) for v, t in row.items()))
        if distinct and key in seen:
            continue
        seen.add(key)
        node = ox.BlankNode()
        quads.append(ox.Quad(node, ox.NamedNode(RDF_TYPE), _ROW, ox.DefaultGraph()))
        for var, term in row.items():
            quads.append(ox.Quad(node, ox.NamedNode("urn:x-w3c-runner:var:" + var), _exact(term), ox.DefaultGraph()))
    return quads


def _show(rows: list[dict], limit: int = 12) -> str:
    shown = ["  {" + ", ".join(f"?{v}={t}" for v, t in sorted(r.items())) + "}" for r in rows[:limit]]
    return "\n".join(shown + ([f"  … {len(rows) - limit} more"] if len(rows) > limit else []))


def _graph_quads(triples: list) -> list[ox.Quad]:
    out = []
    for t in triples:
        if isinstance(t, ox.Quad):
            out.append(ox.Quad(t.subject, t.predicate, _exact(t.object), t.graph_name))
        else:
            out.append(ox.Quad(t.subject, t.predicate, _exact(t.object), ox.DefaultGraph()))
    return out


def compare(ours: Answer, expected: Answer, *, order: list[str] | None = None, lax: bool = False,
            error=AnswerMismatch) -> None:
    """Raise ``error`` saying how ``ours`` differs from ``expected``. ``order``: the query's outer ORDER BY keys
    (variable names; ``[]`` when a key is an expression; None when it has no ORDER BY); ``lax``: REDUCED, so the
    number of duplicates does not matter."""
    if type(ours) is not type(expected):
        raise error(f"expected {type(expected).__name__.lower()}, got {type(ours).__name__.lower()}")
    if isinstance(expected, Boolean):
        if ours.value != expected.value:  # type: ignore[union-attr]
            raise error(f"expected {expected.value}, got {ours.value}")  # type: ignore[union-attr]
        return
    if isinstance(expected, Triples):
        mine, theirs = _canonical(_graph_quads(ours.triples)), _canonical(_graph_quads(expected.triples))  # type: ignore[union-attr]
        if mine != theirs:
            missing, extra = sorted(theirs - mine), sorted(mine - theirs)
            raise error("graphs differ (blank nodes canonicalised)\n  missing:\n    " + "\n    ".join(missing[:10])
                        + "\n  unexpected:\n    " + "\n    ".join(extra[:10]))
        return
    assert isinstance(ours, Solutions) and isinstance(expected, Solutions)
    if set(ours.variables) != set(expected.variables):
        raise error(f"expected the variables {sorted(expected.variables)}, got {sorted(ours.variables)}")
    if _canonical(_solution_quads(ours.rows, lax)) != _canonical(_solution_quads(expected.rows, lax)):
        raise error(f"solutions differ\n expected ({len(expected.rows)}):\n{_show(expected.rows)}\n"
                    f" got ({len(ours.rows)}):\n{_show(ours.rows)}")
    if order is not None and len(ours.rows) == len(expected.rows):
        keys = order or sorted(expected.variables)

        def key(row: dict) -> tuple:
            return tuple("_:" if isinstance(row.get(k), ox.BlankNode) else str(_exact(row[k])) if k in row else ""
                         for k in keys)

        got, wanted = [key(r) for r in ours.rows], [key(r) for r in expected.rows]
        if got != wanted:
            first = next(i for i, (a, b) in enumerate(zip(got, wanted)) if a != b)
            raise error(f"solutions in another order than ORDER BY gives: at position {first + 1} expected "
                        f"{dict(zip(keys, wanted[first]))}, got {dict(zip(keys, got[first]))}")


def csv_compare(ours_text: str, expected: Solutions | tuple[list[str], list[tuple[str, ...]]], *, ordered: bool,
                error=AnswerMismatch) -> None:
    """A CSV answer against solutions (or another CSV): the same header and rows as strings, blank node labels
    up to renaming."""
    header, rows = csv_rows(ours_text)
    want_header, want_rows = csv_of(expected) if isinstance(expected, Solutions) else expected
    if header != want_header:
        if sorted(header) != sorted(want_header):
            raise error(f"CSV header {header}, expected {want_header}")
        reorder = [header.index(v) for v in want_header]
        rows = [tuple(r[i] for i in reorder) for r in rows]

    def unlabelled(table):
        return [tuple("_:" if re.fullmatch(r"_:\S+", c) else c for c in r) for r in table]

    mine, theirs = unlabelled(rows), unlabelled(want_rows)
    if (mine if ordered else Counter(mine)) != (theirs if ordered else Counter(theirs)):
        raise error(f"CSV rows differ:\n expected {want_rows[:8]}\n got      {rows[:8]}")
