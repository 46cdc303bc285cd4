"""``make conformance``: run the W3C tests (tests/w3c) and write what they say — the table in README.md (between
its conformance markers) and docs/conformance.md (the table, each expected failure with its engine cause, what is
left out and why).

The table counts what the run observed (pytest's JUnit report); the raw engine's column runs every test in process
on pyoxigraph alone. ``python -m tests.w3c.conformance --no-run`` writes the table a green run gives, without
running anything (tests/w3c/test_engine.py checks README.md against it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

from graph.settings import ROOT
from tests.w3c.cases import ENGINE_FAILURES, engine_failures
from tests.w3c.manifest import LEFT_OUT, LOAD_LEFT_OUT, SUITES, TOP_MANIFESTS, all_tests

README = ROOT / "README.md"
DOC = ROOT / "docs" / "conformance.md"
START, END = "<!-- conformance:start -->", "<!-- conformance:end -->"
JUNIT = ROOT / "var" / "w3c-junit.xml"
QUERY_SYNTAX = ("PositiveSyntaxTest", "NegativeSyntaxTest", "PositiveSyntaxTest11", "NegativeSyntaxTest11")
UPDATE_SYNTAX = ("PositiveUpdateSyntaxTest11", "NegativeUpdateSyntaxTest11")
#: The test functions of tests/w3c and the kinds of test each runs.
FUNCTIONS = {
    "test_query_syntax": QUERY_SYNTAX, "test_query_evaluation": ("QueryEvaluationTest",),
    "test_csv_results": ("CSVResultFormatTest",), "test_query_evaluation_of_written_data": ("QueryEvaluationTest",),
    "test_update_evaluation": ("UpdateEvaluationTest",), "test_update_syntax": UPDATE_SYNTAX,
}
RESULT_FORMATS = ("sparql11/csv-tsv-res", "sparql11/json-res")
#: The rows of the table, in order: (label, test function, which tests).
SUITE_ROWS = (
    ("SPARQL 1.0 query syntax", "test_query_syntax", lambda t: t.suite == "sparql10"),
    ("SPARQL 1.1 query syntax", "test_query_syntax", lambda t: t.suite == "sparql11"),
    ("SPARQL 1.0 query evaluation", "test_query_evaluation", lambda t: t.suite == "sparql10"),
    ("SPARQL 1.1 query evaluation", "test_query_evaluation", lambda t: t.suite == "sparql11" and t.folder not in RESULT_FORMATS),
    ("SPARQL 1.1 result formats: TSV, JSON", "test_query_evaluation", lambda t: t.folder in RESULT_FORMATS),
    ("SPARQL 1.1 result formats: CSV", "test_csv_results", lambda t: True),
    ("query evaluation 1.0 + 1.1, the data written through our Graph Store", "test_query_evaluation_of_written_data",
     lambda t: True),
    ("SPARQL 1.1 update syntax", "test_update_syntax", lambda t: True),
    ("SPARQL 1.1 update evaluation", "test_update_evaluation", lambda t: True),
)


def expected_outcomes() -> dict[tuple[str, str], str]:
    """(test function, test id) → the outcome of a green run: passed, xfailed (the engine's), skipped (LOAD)."""
    listed = engine_failures()
    return {(function, t.id): "skipped" if t.uses_load else "xfailed" if t.id in listed else "passed"
            for function, kinds in FUNCTIONS.items() for t in all_tests() if t.kind in kinds}


def observed_outcomes(junit: Path) -> dict[tuple[str, str], str]:
    """(test function, test id) → passed, failed, xfailed, xpassed or skipped, from pytest's JUnit report."""
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        function = name.split("[", 1)[0]
        if function not in FUNCTIONS:
            continue
        key = (function, name[name.index("[") + 1:-1])
        skipped = case.find("skipped")
        failed = case.find("failure") if case.find("failure") is not None else case.find("error")
        if failed is not None:
            outcomes[key] = "xpassed" if "XPASS" in (failed.get("message") or "") else "failed"
        elif skipped is not None:
            outcomes[key] = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            outcomes[key] = "passed"
    return outcomes


def table(outcomes: dict[tuple[str, str], str], engine_failing: set[str]) -> str:
    tests = all_tests()
    lines = ["| suite | tests | passed | expected failures (the engine's) | failing | left out | raw engine passes |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, function, chosen in SUITE_ROWS:
        picked = [t for t in tests if t.kind in FUNCTIONS[function] and chosen(t)]
        count = Counter(outcomes.get((function, t.id), "not run") for t in picked)
        failing = count["failed"] + count["xpassed"] + count["not run"]
        ran = [t for t in picked if not t.uses_load]
        engine = sum(1 for t in ran if t.id not in engine_failing)
        lines.append(f"| {label} | {len(picked)} | {count['passed']} | {count['xfailed']} | {failing} "
                     f"| {count['skipped']} | {engine} / {len(ran)} |")
    return "\n".join(lines)


def readme_section(outcomes: dict[tuple[str, str], str], engine_failing: set[str]) -> str:
    causes = tomllib.loads(ENGINE_FAILURES.read_text("utf-8"))
    by_cause = "; ".join(f"{cause} ({len(entry['tests'])})" for cause, entry in causes.items())
    return (
        f"{START}\n"
        "The W3C SPARQL 1.0 and 1.1 test suites run in `make test` (`tests/w3c/`), over HTTP against a real server on an "
        "empty store: syntax, query evaluation with each test's dataset named by the protocol or the query's own "
        "`FROM`, every answer in every result format we serve, update evaluation; terms compared exactly, blank "
        "nodes up to renaming, order only under `ORDER BY`. `make conformance` runs them and rewrites this table.\n\n"
        f"{table(outcomes, engine_failing)}\n\n"
        "Every expected failure is one the engine (pyoxigraph, run alone in process on the same data) fails too — a "
        f"test checks that the list is exactly the engine's: {by_cause}. Left out: entailment regimes, SERVICE to "
        "remote hosts and LOAD (refused by design), the protocol suites written for people. Each test, cause and "
        "reason: [docs/conformance.md](docs/conformance.md).\n"
        f"{END}"
    )


def document(outcomes: dict[tuple[str, str], str], engine_failing: set[str]) -> str:
    causes = tomllib.loads(ENGINE_FAILURES.read_text("utf-8"))
    tests = {t.id: t for t in all_tests()}
    out = ["# SPARQL conformance", "",
           "Written by `make conformance` (`tests/w3c/conformance.py`) from a run of the W3C SPARQL 1.0 and 1.1 test "
           f"suites ({', '.join(TOP_MANIFESTS)} of `{SUITES.name}/`, read in place) against a tscgraph server.", "",
           "## How the tests run", "",
           "* **A real server on an empty store** (`tests/w3c/conftest.py`): `tscgraph serve` without `tscgraph setup` "
           "(which would add the ontology and bundled data to every test's dataset); the query tests' data written "
           "into the store by the engine before the server starts, each file into the graph named by its IRI; the "
           "update tests' data loaded through the Graph Store Protocol with an admin token.",
           "* **Query evaluation**: each test's dataset named by the protocol (`default-graph-uri`: its `qt:data`; "
           "`named-graph-uri`: its `qt:graphData`) or, when the query has `FROM` / `FROM NAMED`, by the query alone; "
           "the query sent with `BASE <its file's IRI>`. The answer is asked in every format — JSON, XML, TSV, CSV for "
           "SELECT; JSON, XML for ASK; N-Triples, Turtle, JSON-LD, RDF/XML, TriG, N-Quads for CONSTRUCT and DESCRIBE "
           "— each must say what the first says, and the first must be the expected answer.",
           "* **Update evaluation**: the default graph is the update's default graph (the local graph); after the "
           "update every graph is read back and compared graph by graph with the expected ones, then dropped.",
           "* **Syntax**: a valid query or update must be read (200, or a 400 that names no syntax error — a "
           "function the engine does not know); an invalid one must be a 400; a 5xx is never right.",
           "* **Compared exactly** (`tests/w3c/answers.py`): every term with its lexical form and datatype (language "
           "tags ignore case), blank nodes up to renaming (both sides canonicalised by the engine), order only "
           "under an outer `ORDER BY` (position by position on its keys).",
           "* **The engine alone**: every test also runs in process on a raw pyoxigraph store with the same data "
           "and datasets (`tests/w3c/test_engine.py`); the expected failures must be exactly the ones it fails.",
           "", "## Results", "", table(outcomes, engine_failing), "",
           "## Expected failures: the engine's own", "",
           f"Listed once each in `tests/w3c/{ENGINE_FAILURES.name}`; through tscgraph they are strict expected "
           "failures, so an engine that passes one makes the suite say so.", ""]
    for cause, entry in causes.items():
        out += [f"### {cause} ({len(entry['tests'])})", "", " ".join(entry["reason"].split()), ""]
        out += [f"* `{i}` — {tests[i].name}" for i in entry["tests"]]
        out.append("")
    out += ["## Left out, and why", ""]
    out += [f"* `{folder}`: {why}" for folder, why in LEFT_OUT.items()]
    loads = [t.id for t in all_tests() if t.uses_load]
    out.append(f"* {len(loads)} tests that LOAD ({', '.join(f'`{i}`' for i in loads)}): {LOAD_LEFT_OUT}")
    failing = sorted(key for key, outcome in outcomes.items() if outcome in ("failed", "xpassed"))
    if failing:
        out += ["", "## Failing in this run", ""] + [f"* `{f}[{i}]`: {outcomes[(f, i)]}" for f, i in failing]
    return "\n".join(out) + "\n"


def write(outcomes: dict[tuple[str, str], str], engine_failing: set[str]) -> None:
    text = README.read_text("utf-8")
    section = readme_section(outcomes, engine_failing)
    if START in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        raise SystemExit(f"{README} has no {START} … {END} section to fill")
    README.write_text(text, "utf-8")
    DOC.write_text(document(outcomes, engine_failing), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="write the table of a green run without running it")
    args = parser.parse_args(argv)
    engine_failing = set(engine_failures())
    if args.no_run:
        write(expected_outcomes(), engine_failing)
        return 0
    from tests.w3c.runner import engine_failures_in_process

    engine_failing = set(engine_failures_in_process())
    JUNIT.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([sys.executable, "-m", "pytest", "tests/w3c", "-p", "no:cacheprovider", "-q", "-n", "2",
                          "--dist", "loadfile", f"--junitxml={JUNIT}"], cwd=ROOT)
    outcomes = observed_outcomes(JUNIT)
    write(outcomes, engine_failing)
    verdicts = defaultdict(int)
    for outcome in outcomes.values():
        verdicts[outcome] += 1
    print(f"conformance: {dict(verdicts)} -> {README.name}, {DOC.relative_to(ROOT)}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
