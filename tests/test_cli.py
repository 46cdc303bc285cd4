"""The ``tscgraph`` command, run for real as a subprocess on a temporary store."""

from __future__ import annotations

import csv
import io
import json

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import SH

from tests.conftest import TEST_DATA

CLI = TEST_DATA / "cli"
OK = CLI / "project-conforming.ttl"
TWO_ERRORS = CLI / "project-two-errors.ttl"
UNREADABLE = CLI / "unreadable.ttl"


def test_validate_conforming_file_exits_0(run_cli):
    proc = run_cli("validate", OK)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "conforms" in proc.stdout


def test_validate_names_both_problems_in_english(run_cli):
    proc = run_cli("validate", TWO_ERRORS, "--lang", "en")
    assert proc.returncode == 1
    assert "The end date is before the start date." in proc.stdout
    assert "Not one of the 23 GBF targets" in proc.stdout
    assert "gbf/target/24" in proc.stdout


def test_validate_names_both_problems_in_french(run_cli):
    proc = run_cli("validate", TWO_ERRORS, "--lang", "fr")
    assert proc.returncode == 1
    assert "La date de fin précède la date de début." in proc.stdout
    assert "Ce n'est pas l'une des 23 cibles" in proc.stdout
    assert "non conforme" in proc.stdout


def test_validate_counts_what_shacl_counts_on_a_string_budget(run_cli):
    """The budget (sh:node) and, on the budget, its datatype and minimum: 3, the nested details not counted again."""
    proc = run_cli("validate", CLI / "project-string-budget.ttl")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "does not conform — 3 violation(s), 0 warning(s)" in proc.stdout
    proc = run_cli("validate", CLI / "project-string-budget.ttl", "--format", "json")
    [report] = json.loads(proc.stdout)["files"]
    assert report["violations"] == 3 and len(report["results"]) == 3


def test_validate_ill_typed_date_is_a_clean_violation(run_cli):
    proc = run_cli("validate", CLI / "project-ill-typed-date.ttl")
    assert proc.returncode == 1
    assert "2 violation(s)" in proc.stdout and '"2021-13-01"^^xsd:date' in proc.stdout
    assert "Traceback" not in proc.stderr and "Failed to convert" not in proc.stderr, proc.stderr


def test_validate_json_report(run_cli):
    proc = run_cli("validate", TWO_ERRORS, "--format", "json", "--lang", "fr")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["conforms"] is False
    results = report["files"][0]["results"]
    messages = {r["message"] for r in results if r["severity"] == "Violation"}
    assert "La date de fin précède la date de début." in messages
    assert any("23 cibles" in m for m in messages)
    for r in results:
        assert r["focusNode"] == "https://chm.example.org/id/project/test-bad"
        assert set(r["messages"]) >= {"en", "fr"}


def test_validate_turtle_report_is_a_shacl_validation_report(run_cli):
    proc = run_cli("validate", TWO_ERRORS, "--format", "turtle")
    assert proc.returncode == 1
    g = Graph().parse(data=proc.stdout, format="turtle")
    reports = list(g.subjects(predicate=None, object=SH.ValidationReport))
    assert reports
    values = set(g.objects(None, SH.value))
    assert URIRef("https://w3id.org/tscgraph/vocab/gbf/target/24") in values


def test_validate_unreadable_file_exits_2(run_cli):
    proc = run_cli("validate", UNREADABLE)
    assert proc.returncode == 2
    assert "unreadable.ttl" in proc.stdout and "not valid turtle" in proc.stdout


def test_validate_unknown_syntax_and_missing_file_exit_2(run_cli, tmp_path):
    odd = tmp_path / "data.xyz"
    odd.write_text("x")
    assert run_cli("validate", odd).returncode == 2
    proc = run_cli("validate", tmp_path / "missing.ttl")
    assert proc.returncode == 2 and "cannot read" in proc.stdout


def test_bad_arguments_exit_2(run_cli):
    assert run_cli("validate").returncode == 2
    assert run_cli("frobnicate").returncode == 2
    assert run_cli("validate", OK, "--lang", "de").returncode == 2


def test_load_refuses_violations_and_writes_nothing(run_cli):
    assert run_cli("load", OK).returncode == 0
    before = run_cli("dump").stdout
    proc = run_cli("load", OK, TWO_ERRORS)
    assert proc.returncode == 1
    assert "nothing was written" in proc.stderr
    assert run_cli("dump").stdout == before


def test_load_refuses_unreadable_input_and_writes_nothing(run_cli):
    proc = run_cli("load", OK, UNREADABLE)
    assert proc.returncode == 2
    assert run_cli("dump").stdout == ""


def test_load_any_syntax_into_a_named_graph_and_dump(run_cli):
    proc = run_cli("load", "--no-validate", "--graph", "https://chm.example.org/graph/test", CLI / "triples.nt")
    assert proc.returncode == 0, proc.stderr
    assert "without validation" in proc.stderr
    dump = run_cli("dump", "--format", "trig").stdout
    ds = Dataset()
    ds.parse(data=dump, format="trig")
    assert len(ds.graph(URIRef("https://chm.example.org/graph/test"))) == 1


def test_load_shows_progress(run_cli):
    proc = run_cli("load", OK)
    assert "[1/1]" in proc.stderr and "written" in proc.stderr


def test_load_replace(run_cli):
    run_cli("load", OK)
    assert run_cli("load", "--replace", OK).returncode == 0
    dump = run_cli("dump").stdout
    in_file = len(Graph().parse(OK, format="turtle", publicID="https://chm.example.org/"))
    local = [line for line in dump.splitlines() if line.endswith("<https://chm.example.org/graph/local> .")]
    assert len(local) == in_file  # budget node not duplicated


def test_setup_then_query_projects_per_gbf_target(run_cli):
    assert run_cli("setup").returncode == 0
    proc = run_cli("query", "projects-per-gbf-target", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [int(r["number"]) for r in rows] == list(range(1, 24))
    assert all(r["label"] for r in rows)
    assert sum(int(r["projects"]) for r in rows) > 0
    french = run_cli("query", "projects-per-gbf-target", "--format", "json", "--param", "lang=fr")
    bindings = json.loads(french.stdout)["results"]["bindings"]
    assert {b["label"]["xml:lang"] for b in bindings} == {"fr"}


def test_query_table_tsv_and_file(run_cli, tmp_path):
    run_cli("setup")
    table = run_cli("query", "actors-by-type")
    assert table.returncode == 0 and "(" in table.stdout.splitlines()[-1]
    tsv = run_cli("query", "actors-by-type", "--format", "tsv")
    assert tsv.stdout.startswith("?type\t?label\t?lang\t?actors")
    rq = tmp_path / "mine.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    proc = run_cli("query", rq, "--format", "csv")
    assert proc.returncode == 0 and int(proc.stdout.splitlines()[1]) > 1000


def test_query_errors_exit_2(run_cli, tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?s WHERE { ?s ?p }")
    proc = run_cli("query", bad)
    assert proc.returncode == 2 and "syntax error" in proc.stderr
    proc = run_cli("query", "no-such-query")
    assert proc.returncode == 2 and "no query named" in proc.stderr
    proc = run_cli("query", "projects-per-gbf-target", "--param", "lang=not a tag")
    assert proc.returncode == 2 and "language tag" in proc.stderr
    proc = run_cli("query", "projects-per-gbf-target", "--param", "nope=1")
    assert proc.returncode == 2 and "no parameter" in proc.stderr


def test_queries_lists_the_catalogue(run_cli):
    proc = run_cli("queries")
    assert "projects-per-gbf-target: Projects per GBF target" in proc.stdout


def test_stats(run_cli):
    run_cli("setup")
    proc = run_cli("stats")
    assert proc.returncode == 0
    assert "https://chm.example.org/graph/local" in proc.stdout
    assert "tsc:Project" in proc.stdout and "tsc:GBFTarget" in proc.stdout


def test_dump_to_file_is_complete(run_cli, tmp_path):
    run_cli("setup")
    out = tmp_path / "dump.nq"
    assert run_cli("dump", "--output", out).returncode == 0
    ds = Dataset()
    ds.parse(out, format="nquads")
    assert len(ds.graph(URIRef("https://chm.example.org/graph/ontology"))) > 1000
    assert not (tmp_path / "dump.nq.partial").exists()


def test_store_locked_by_another_process_exits_2(run_cli):
    from graph.store.oxigraph import OxigraphStore

    with OxigraphStore(run_cli.store_dir):
        proc = run_cli("load", OK)
    assert proc.returncode == 2
    assert "another process" in proc.stderr


def test_bad_configuration_exits_2(run_cli, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("base_iri = 'not-an-iri'\n")
    proc = run_cli("--config", cfg, "stats")
    assert proc.returncode == 2 and "base_iri" in proc.stderr
    cfg.write_text("nonsense = 1\n")
    proc = run_cli("--config", cfg, "stats")
    assert proc.returncode == 2 and "unknown setting" in proc.stderr
