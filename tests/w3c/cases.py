"""The W3C tests as pytest cases: the engine's own failures as strict expected failures, the tests left out as
skips that print why.

``engine-failures.toml`` lists, once each and grouped by cause, the tests pyoxigraph itself fails — run in
process on a raw store with the same data, :mod:`tests.w3c.test_engine` checks that the list is exactly that.
Their cases are ``xfail(strict=True, raises=AnswerMismatch)``: only a wrong answer is expected (a server error
or a format that disagrees with the first still fails), and an engine that starts passing one shows up as an
unexpected pass.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest

from tests.w3c.answers import AnswerMismatch
from tests.w3c.manifest import LEFT_OUT, LOAD_LEFT_OUT, W3CTest, tests_of

ENGINE_FAILURES = Path(__file__).with_name("engine-failures.toml")


@cache
def engine_failures() -> dict[str, str]:
    """Test id → why the engine fails it."""
    listed: dict[str, str] = {}
    for cause, entry in tomllib.loads(ENGINE_FAILURES.read_text("utf-8")).items():
        for test_id in entry["tests"]:
            assert test_id not in listed, f"{test_id} is listed twice in {ENGINE_FAILURES.name}"
            listed[test_id] = f"the engine ({cause}): {entry['reason']}"
    return listed


def cases(*kinds: str) -> list:
    """The tests of these kinds as pytest parameters, with their marks."""
    params = []
    for test in tests_of(*kinds):
        marks = []
        if test.uses_load:
            marks.append(pytest.mark.skip(reason=LOAD_LEFT_OUT))
        elif test.id in engine_failures():
            marks.append(pytest.mark.xfail(raises=AnswerMismatch, strict=True, reason=engine_failures()[test.id]))
        params.append(pytest.param(test, id=test.id, marks=marks))
    return params


def left_out_cases() -> list:
    return [pytest.param(folder, id=folder, marks=pytest.mark.skip(reason=f"{folder}: {why}"))
            for folder, why in LEFT_OUT.items()]


def kind_of(test: W3CTest) -> str:
    return test.kind
