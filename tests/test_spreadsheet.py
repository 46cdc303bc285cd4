"""The spreadsheet loader: CSV and XLSX sheets with the example mappings give conforming records, and
malformed rows and unresolved labels give exactly the expected problems."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from graph.namespaces import SCHEMA, TSC, VOCAB
from loaders import Problem
from loaders.spreadsheet import MappingError, load_spreadsheet, parse_date, parse_decimal, parse_mapping
from tests.conftest import BASE, TEST_DATA

DATA = TEST_DATA / "loaders" / "spreadsheet"
MAPPINGS = Path(__file__).resolve().parent.parent / "loaders" / "mappings"


def project(slug: str) -> URIRef:
    return URIRef(f"{BASE}id/project/{slug}")


def actor(slug: str) -> URIRef:
    return URIRef(f"{BASE}id/actor/{slug}")


@pytest.fixture(scope="module")
def actors():
    return load_spreadsheet(DATA / "actors.csv", MAPPINGS / "actors.toml", BASE)


def write_xlsx(csv_path: Path, xlsx_path: Path) -> Path:
    """The CSV as a workbook, with dates as date cells and budgets as numbers, as staff would type them."""
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projects"
    with open(csv_path, encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            cells: list = list(row)
            if i:
                for j, value in enumerate(cells):
                    if len(value) == 10 and value[4] == "-":
                        cells[j] = datetime.strptime(value, "%Y-%m-%d")
                    elif value.replace(".", "").isdigit():
                        cells[j] = float(value) if "." in value else int(value)
                    elif not value:
                        cells[j] = None
            sheet.append(cells)
    workbook.save(xlsx_path)
    return xlsx_path


def test_actors_sheet_conforms(actors, validator):
    assert actors.problems == []
    assert actors.records == 3
    report = validator.validate(actors.graph)
    assert report.conforms, report.to_text()
    network = actor("example-mangrove-network")
    g = actors.graph
    assert set(g.objects(network, TSC.actorType)) == {VOCAB["actor-type/network"], VOCAB["actor-type/ngo"]}
    assert set(g.objects(network, DCTERMS.spatial)) == {VOCAB["place/SN"], VOCAB["place/CI"]}
    assert g.value(network, TSC.bioBridgeMember) == Literal(False)
    assert g.value(network, TSC.isExample) == Literal(True)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_projects_sheet_conforms(kind, actors, validator, tmp_path):
    path = DATA / "projects.csv"
    if kind == "xlsx":
        path = write_xlsx(path, tmp_path / "projects.xlsx")
    loaded = load_spreadsheet(path, MAPPINGS / "projects.toml", BASE, actors=actors.graph)
    assert loaded.problems == []
    assert loaded.records == 5
    report = validator.validate(loaded.graph)
    assert report.conforms and report.warnings == 0, report.to_text()
    g = loaded.graph
    assert set(g.subjects(RDF.type, TSC.Project)) == {project(s) for s in (
        "example-mangrove-restoration-training", "example-coral-reef-data-sharing",
        "example-marine-protected-areas-for-30x30", "example-pollinator-monitoring-network",
        "example-seed-bank-twinning")}
    assert all(g.value(p, TSC.isExample) == Literal(True) for p in g.subjects(RDF.type, TSC.Project))

    first = project("example-mangrove-restoration-training")
    # multi-valued cells, labels in English and French, acronyms and names of actors
    assert set(g.objects(first, TSC.contributesToTarget)) == {VOCAB["gbf/target/2"], VOCAB["gbf/target/8"]}
    assert set(g.objects(first, TSC.implementsArticle)) == {VOCAB["cbd/article/18"], VOCAB["cbd/article/16"]}
    assert set(g.objects(first, DCTERMS.spatial)) == {VOCAB["place/SN"], VOCAB["place/FR"]}
    assert set(g.objects(first, TSC.modality)) == {VOCAB["modality/training"], VOCAB["modality/technology-transfer"]}
    assert g.value(first, TSC.leadOrganisation) == actor("example-coastal-ecology-institute")
    assert g.value(first, TSC.partner) == actor("example-mangrove-network")
    assert g.value(first, TSC.funder) == actor("example-biodiversity-fund")
    assert g.value(first, SCHEMA.startDate) == Literal("2024-01-15", datatype=XSD.date)
    assert g.value(first, SCHEMA.endDate) == Literal("2026-12-31", datatype=XSD.date)  # typed 31/12/2026
    assert set(g.objects(first, DCTERMS.title)) == {Literal("Example: Mangrove restoration training", lang="en"),
                                                    Literal("Exemple : formation à la restauration des mangroves", lang="fr")}

    coral = project("example-coral-reef-data-sharing")
    assert set(g.objects(coral, TSC.contributesToTarget)) == {VOCAB["gbf/target/10"], VOCAB["gbf/target/21"]}
    assert g.value(coral, TSC.status) == VOCAB["status/ongoing"]  # "En cours"
    assert g.value(project("example-marine-protected-areas-for-30x30"), TSC.contributesToTarget) == VOCAB["gbf/target/3"]
    assert g.value(project("example-pollinator-monitoring-network"), TSC.status) == VOCAB["status/completed"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_budgets(kind, actors, tmp_path):
    path = DATA / "projects.csv"
    if kind == "xlsx":
        path = write_xlsx(path, tmp_path / "projects.xlsx")
    g = load_spreadsheet(path, MAPPINGS / "projects.toml", BASE, actors=actors.graph).graph

    def budget(slug: str) -> tuple[Decimal, str] | None:
        node = g.value(project(slug), TSC.budget)
        if node is None:
            return None
        assert g.value(node, RDF.type) == SCHEMA.MonetaryAmount
        return g.value(node, SCHEMA.value).toPython(), str(g.value(node, SCHEMA.currency))

    assert budget("example-mangrove-restoration-training") == (Decimal("150000"), "EUR")
    assert budget("example-coral-reef-data-sharing") == (Decimal("250000.50"), "EUR")  # "250 000,50", "eur"
    assert budget("example-pollinator-monitoring-network") == (Decimal("80000.00"), "USD")
    assert budget("example-marine-protected-areas-for-30x30") is None  # no budget typed: nothing, no problem


def test_offers_sheet_with_semicolons_conforms(actors, validator):
    loaded = load_spreadsheet(DATA / "offers.csv", MAPPINGS / "offers.toml", BASE, actors=actors.graph)
    assert loaded.problems == []
    report = validator.validate(loaded.graph)
    assert report.conforms, report.to_text()
    g = loaded.graph
    offer = URIRef(f"{BASE}id/offer/example-training-in-mangrove-monitoring")
    assert g.value(offer, RDF.type) == TSC.CooperationOffer
    assert g.value(offer, TSC.offeredBy) == actor("example-coastal-ecology-institute")
    assert set(g.objects(offer, TSC.contributesToTarget)) == {VOCAB["gbf/target/2"], VOCAB["gbf/target/8"]}
    assert set(g.objects(offer, DCTERMS.language)) == {Literal("en", datatype=XSD.language),
                                                        Literal("fr", datatype=XSD.language)}
    assert set(g.objects(offer, DCTERMS.subject)) == {Literal("mangroves", lang="en"), Literal("monitoring", lang="en")}
    assert g.value(offer, TSC.status) == VOCAB["status/open"]
    assert g.value(offer, DCTERMS.created) == Literal("2025-02-05", datatype=XSD.date)


def test_malformed_rows_and_unresolved_labels_are_reported(actors):
    path = DATA / "projects-bad.csv"
    loaded = load_spreadsheet(path, MAPPINGS / "projects.toml", BASE, actors=actors.graph)
    src = str(path)
    assert loaded.problems == [
        Problem(src, "row 2, column 'GBF targets'", "not a GBF target (1-23, by number, label or alias)", "Target 99"),
        Problem(src, "row 2, column 'CBD articles'", "not a CBD article (1-42, by number or label)", "Art. 99"),
        Problem(src, "row 2, column 'Countries'",
                "not a place (ISO 3166-1 alpha-2 code, or name in English or French)", "Atlantis"),
        Problem(src, "row 2, column 'Start date'", "not a date (YYYY-MM-DD or DD/MM/YYYY)", "2024-02-30"),
        Problem(src, "row 3, column 'Title (en)'", "no identifier: the record cannot be named; row skipped"),
        Problem(src, "row 4", "the row has 19 cells where the header has 18; row skipped"),
        Problem(src, "row 5, column 'Lead organisation'", "no known actor has this name or acronym", "Unknown Org"),
        Problem(src, "row 5, column 'Website'", "not a web address (http:// or https://)", "notaurl"),
        Problem(src, "row 5, column 'Example'", "not yes or no (true/false, yes/no, oui/non, 1/0)", "maybe"),
        Problem(src, "row 5, column 'Budget'", "the budget is not a positive number; budget not loaded", "-5"),
        Problem(src, "row 5, column 'Currency'",
                "the budget needs an ISO 4217 currency code (EUR, USD…); budget not loaded", "EURO"),
    ]
    # the rest of each row is still loaded; the skipped rows made nothing
    assert loaded.records == 2
    wetland = project("example-wetland-inventory")
    g = loaded.graph
    assert set(g.objects(wetland, TSC.contributesToTarget)) == {VOCAB["gbf/target/6"]}
    assert g.value(wetland, SCHEMA.endDate) == Literal("2025-12-31", datatype=XSD.date)
    assert g.value(wetland, SCHEMA.startDate) is None
    assert (project("example-shifted-row"), None, None) not in g


def test_missing_column_and_duplicate_identifier(tmp_path):
    sheet = tmp_path / "p.csv"
    sheet.write_text("\ufeffTitle (en);Lead organisation\nExample: A;ECI\nExample: a;ECI\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('kind = "project"\n[id]\ncolumn = "Title (en)"\n'
                       '[columns."Title (en)"]\nproperty = "dcterms:title"\nlang = "en"\n'
                       '[columns."GBF targets"]\nproperty = "tsc:contributesToTarget"\nkind = "concept"\nscheme = "gbf-target"\n')
    loaded = load_spreadsheet(sheet, mapping, BASE)
    assert [(p.where, p.message, p.value) for p in loaded.problems] == [
        ("row 1", "the mapping's column 'GBF targets' is not in the header", "GBF targets"),
        ("row 3, column 'Title (en)'", "row 2 already has this identifier; row skipped", "Example: a"),
    ]
    assert loaded.records == 1


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path):
    sheet = tmp_path / "latin1.csv"
    sheet.write_bytes("Title (en)\nÉcologie\n".encode("latin-1"))
    loaded = load_spreadsheet(sheet, MAPPINGS / "projects.toml", BASE)
    assert [p.message for p in loaded.problems] == ["the file is not UTF-8 text; save it as CSV UTF-8"]
    assert len(loaded.graph) == 0


@pytest.mark.parametrize("data, message", [
    ({"kind": "thing"}, "kind must be one of"),
    ({"kind": "project"}, "[id] needs column"),
    ({"kind": "project", "id": {"column": "T"}, "columns": {"T": {"property": "dc:title", "lang": "en"}}}, "known prefix"),
    ({"kind": "project", "id": {"column": "T"}, "columns": {"T": {"property": "dcterms:title"}}}, "needs lang"),
    ({"kind": "project", "id": {"column": "T"},
      "columns": {"G": {"property": "tsc:contributesToTarget", "kind": "concept", "scheme": "sdg"}}}, "scheme"),
])
def test_mapping_mistakes_are_refused(data, message):
    with pytest.raises(MappingError, match=message.replace("[", r"\[")):
        parse_mapping(data)


def test_example_mappings_parse():
    for path in sorted(MAPPINGS.glob("*.toml")):
        import tomllib
        parse_mapping(tomllib.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("text, expected", [("2024-03-01", "2024-03-01"), ("01/03/2024", "2024-03-01"),
                                            ("2024-02-30", None), ("03/13/2024", None), ("March 2024", None)])
def test_dates_iso_or_day_first(text, expected):
    day = parse_date(text)
    assert (day.isoformat() if day else None) == expected


@pytest.mark.parametrize("text, expected", [("150000", "150000"), ("150 000,50", "150000.50"),
                                            ("150,000.50", "150000.50"), ("12,5", "12.5"), ("abc", None),
                                            ("NaN", None), (80000.0, "80000.0"), (42, "42")])
def test_decimals_as_typed(text, expected):
    number = parse_decimal(text)
    assert (str(number) if number is not None else None) == expected
