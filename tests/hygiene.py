"""Vocabulary hygiene as zero-row queries (the schema.org way): a check is a SELECT that must
return nothing, and a failure prints the offending rows."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.query import Result

from graph.namespaces import sparql_prologue
from graph.validation import term_text


def assert_no_rows(graph: Graph, query: str, **bindings) -> None:
    """Run ``query`` (our prefixes prepended) on ``graph``; fail with the offending rows if any."""
    result: Result = graph.query(sparql_prologue() + query, initBindings=bindings or None)
    rows = list(result)
    if rows:
        variables = [str(v) for v in result.vars or []]
        lines = [" | ".join(variables)]
        for row in rows:
            lines.append(" | ".join(term_text(term) or "-" for term in row))
        pytest.fail(f"{len(rows)} offending row(s):\n" + "\n".join(lines), pytrace=False)
