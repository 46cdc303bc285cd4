"""The expected failures are the engine's own: every W3C test run in process against a raw pyoxigraph store with
the same data, the same datasets and the same comparisons as over HTTP (tests/w3c/runner.py: Engine). A test the
engine fails and engine-failures.toml does not list, or one it lists that the engine passes (a newer engine), fails
here — so no failure of tscgraph's own can hide among the expected ones."""

from __future__ import annotations

from collections import Counter

import pyoxigraph

from tests.w3c.cases import ENGINE_FAILURES, engine_failures
from tests.w3c.conformance import DOC, README, document, expected_outcomes, readme_section
from tests.w3c.manifest import all_tests
from tests.w3c.runner import engine_failures_in_process


def test_the_expected_failures_are_exactly_the_engines():
    failing, listed = engine_failures_in_process(), engine_failures()
    unlisted = {t: failing[t] for t in sorted(set(failing) - set(listed))}
    passing = sorted(set(listed) - set(failing))
    assert not unlisted, (f"pyoxigraph {pyoxigraph.__version__} fails these, which {ENGINE_FAILURES.name} does not list:\n"
                          + "\n".join(f"  {t}: {why[:300]}" for t, why in unlisted.items()))
    assert not passing, (f"pyoxigraph {pyoxigraph.__version__} passes these now; take them off {ENGINE_FAILURES.name}:\n  "
                         + "\n  ".join(passing))


def test_the_manifests_give_every_test_and_every_file():
    """Guard the runner itself: a reader that silently dropped tests (as a committed filter once shrank another
    suite to one case) fails here."""
    tests = all_tests()
    kinds = Counter(t.kind for t in tests)
    assert len(tests) >= 971 and len({t.id for t in tests}) == len(tests)
    assert kinds["QueryEvaluationTest"] >= 509 and kinds["UpdateEvaluationTest"] >= 94
    assert kinds["PositiveSyntaxTest"] + kinds["PositiveSyntaxTest11"] + kinds["PositiveUpdateSyntaxTest11"] >= 254
    assert kinds["NegativeSyntaxTest"] + kinds["NegativeSyntaxTest11"] + kinds["NegativeUpdateSyntaxTest11"] >= 111
    files = [t.action for t in tests] + [t.result for t in tests if t.result] + [p for t in tests for p in t.data]
    files += [g.path for t in tests for g in t.graph_data + t.result_graph_data] + [p for t in tests for p in t.result_data]
    assert all(f is not None and f.exists() for f in files)
    assert set(engine_failures()) <= {t.id for t in tests}


def test_the_readme_shows_the_conformance_of_a_green_run():
    """README's table is what `make conformance` writes after a green run (this suite is green when it runs)."""
    section = readme_section(expected_outcomes(), set(engine_failures()))
    assert section in README.read_text("utf-8"), "the conformance table is stale: run make conformance"
    assert DOC.read_text("utf-8") == document(expected_outcomes(), set(engine_failures())), \
        "docs/conformance.md is stale: run make conformance"
