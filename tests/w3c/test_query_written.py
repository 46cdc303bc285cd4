"""The W3C query evaluation tests again, their data written through the server this time: each file PUT to the
Graph Store Protocol (the write path every client's data takes) instead of written into the store by the engine.
An answer that differs from test_query.py's is a term the write path changed — a re-spelt literal (an xsd:date that
lost its time zone), a blank node split or merged. The first format only: the others are test_query.py's."""

from __future__ import annotations

import pytest

from tests.w3c.cases import cases
from tests.w3c.runner import evaluate_over_http


@pytest.mark.parametrize("test", cases("QueryEvaluationTest"))
def test_query_evaluation_of_written_data(written_endpoint, test):
    evaluate_over_http(written_endpoint, test, every_format=False)
