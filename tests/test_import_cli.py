"""`tscgraph import`: each loader's output goes through validation and one transaction, or nothing is written."""

from __future__ import annotations

from graph.settings import ROOT
from tests.conftest import TEST_DATA

LOADERS = TEST_DATA / "loaders"
MAPPINGS = ROOT / "loaders" / "mappings"


def local_quads(run_cli) -> int:
    dump = run_cli("dump").stdout
    return sum(1 for line in dump.splitlines() if line.endswith("<https://chm.example.org/graph/local> ."))


def titles(run_cli) -> str:
    return run_cli("dump").stdout


def test_a_clean_sheet_is_imported_and_queryable(run_cli):
    assert run_cli("setup").returncode == 0
    before = local_quads(run_cli)
    proc = run_cli("import", "spreadsheet", LOADERS / "spreadsheet" / "projects.csv", "--mapping", MAPPINGS / "projects.toml")
    assert proc.returncode == 0, proc.stderr
    assert "5 record(s)" in proc.stderr and "0 problem(s)" in proc.stderr
    assert local_quads(run_cli) == before + 100
    again = run_cli("import", "spreadsheet", LOADERS / "spreadsheet" / "projects.csv", "--mapping", MAPPINGS / "projects.toml")
    assert again.returncode == 0 and local_quads(run_cli) == before + 100  # the same IRIs: nothing doubled


def test_problems_refuse_the_import_and_name_row_and_column(run_cli):
    assert run_cli("setup").returncode == 0
    before = local_quads(run_cli)
    proc = run_cli("import", "spreadsheet", LOADERS / "spreadsheet" / "projects-bad.csv", "--mapping", MAPPINGS / "projects.toml")
    assert proc.returncode == 1
    assert "column 'GBF targets'" in proc.stderr and "'Target 99'" in proc.stderr and "nothing was written" in proc.stderr
    assert local_quads(run_cli) == before
    allowed = run_cli("import", "spreadsheet", LOADERS / "spreadsheet" / "projects-bad.csv",
                      "--mapping", MAPPINGS / "projects.toml", "--allow-problems")
    # what could be read (2 records; unreadable rows skipped, unresolved cells left out) is validated and written
    assert allowed.returncode == 0, allowed.stderr
    assert "2 record(s)" in allowed.stderr and local_quads(run_cli) == before + 23


def test_check_writes_nothing_and_bad_arguments_exit_2(run_cli):
    assert run_cli("setup").returncode == 0
    before = local_quads(run_cli)
    check = run_cli("import", "spreadsheet", LOADERS / "spreadsheet" / "projects.csv", "--mapping", MAPPINGS / "projects.toml",
                    "--check")
    assert check.returncode == 0 and "conforms" in check.stdout.lower()
    assert local_quads(run_cli) == before
    assert run_cli("import", "spreadsheet", LOADERS / "spreadsheet" / "projects.csv").returncode == 2  # no mapping
    missing = run_cli("import", "iati", LOADERS / "iati" / "no-such-file.xml")
    assert missing.returncode != 0 and local_quads(run_cli) == before


def test_iati_and_schemaorg_files_are_imported(run_cli):
    assert run_cli("setup").returncode == 0
    iati = run_cli("import", "iati", LOADERS / "iati" / "activities.xml", "--example", "--allow-problems")
    assert iati.returncode == 0, iati.stderr
    assert "/id/project/iati-" in titles(run_cli)
    jsonld = run_cli("import", "schemaorg", LOADERS / "schemaorg" / "organisation.jsonld", "--allow-problems")
    assert jsonld.returncode in (0, 1), jsonld.stderr
    assert "record(s)" in jsonld.stderr
