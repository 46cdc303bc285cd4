"""The W3C SPARQL 1.1 Update tests, over HTTP against a tscgraph server on an empty store (tests/w3c/conftest.py),
with the admin token. Evaluation: the test's graphs loaded through the Graph Store Protocol (its default graph is
the update's default graph, tscgraph's local graph), the update run, every graph read back and compared with the
expected ones (each graph's blank nodes up to renaming), then dropped. Syntax (after the evaluation tests: a valid
update really runs): a valid update answered 200, an invalid one a 400, never a 5xx."""

from __future__ import annotations

import pytest

from tests.w3c.cases import cases
from tests.w3c.runner import syntax_over_http, update_over_http


@pytest.mark.parametrize("test", cases("UpdateEvaluationTest"))
def test_update_evaluation(update_endpoint, test):
    update_over_http(update_endpoint, test)


@pytest.mark.parametrize("test", cases("PositiveUpdateSyntaxTest11", "NegativeUpdateSyntaxTest11"))
def test_update_syntax(update_endpoint, test):
    syntax_over_http(update_endpoint, test)
