"""The W3C SPARQL 1.0 and 1.1 query tests, over HTTP against a tscgraph server on an empty store holding the suites'
data (tests/w3c/conftest.py): syntax (a valid query answered, an invalid one a 400, never a 5xx), evaluation with
each test's dataset named by the protocol or by the query's own FROM, every answer in every format we serve
(JSON, XML, TSV, CSV; CONSTRUCT and DESCRIBE in Turtle, N-Triples, JSON-LD, RDF/XML, TriG, N-Quads) agreeing with
the first, and the first compared exactly with the suite's expected answer (tests/w3c/answers.py)."""

from __future__ import annotations

import pytest

from tests.w3c.cases import cases, left_out_cases
from tests.w3c.runner import csv_test_over_http, evaluate_over_http, syntax_over_http


@pytest.mark.parametrize("test", cases("PositiveSyntaxTest", "NegativeSyntaxTest", "PositiveSyntaxTest11",
                                       "NegativeSyntaxTest11"))
def test_query_syntax(query_endpoint, test):
    syntax_over_http(query_endpoint, test)


@pytest.mark.parametrize("test", cases("QueryEvaluationTest"))
def test_query_evaluation(query_endpoint, test):
    evaluate_over_http(query_endpoint, test)


@pytest.mark.parametrize("test", cases("CSVResultFormatTest"))
def test_csv_results(query_endpoint, test):
    csv_test_over_http(query_endpoint, test)


@pytest.mark.parametrize("folder", left_out_cases())
def test_left_out(folder):
    """Parts of the suites the runner does not run; each skip says why."""
