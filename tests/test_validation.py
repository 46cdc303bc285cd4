"""The one validation function: structured results, messages per language, three renderings."""

from __future__ import annotations

import json
import warnings

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from graph.validation import ValidationReport, merge_reports
from tests.conftest import BASE, TEST_DATA

CLI = TEST_DATA / "cli"


def parse(name: str) -> Graph:
    return Graph().parse(CLI / name, format="turtle", publicID=BASE)


def test_conforming_graph(validator):
    report = validator.validate(parse("project-conforming.ttl"))
    assert report.conforms and report.violations == 0
    assert report.results == ()


def test_two_errors_are_reported_with_focus_path_value_and_shape(validator):
    report = validator.validate(parse("project-two-errors.ttl"))
    assert not report.conforms
    violations = [r for r in report.results if r.severity == SH.Violation]
    focus = URIRef(BASE + "id/project/test-bad")
    assert {r.focus_node for r in violations} == {focus}
    by_constraint = {r.constraint: r for r in violations}
    target = by_constraint[SH.InConstraintComponent]
    assert target.value == URIRef("https://w3id.org/tscgraph/vocab/gbf/target/24")
    assert target.path == URIRef("https://w3id.org/tscgraph/ontology#contributesToTarget")
    order = by_constraint[SH.LessThanOrEqualsConstraintComponent]
    assert order.path == URIRef("https://schema.org/startDate")
    assert order.message("fr") == "La date de fin précède la date de début."
    assert order.message("en") == "The end date is before the start date."
    assert all(r.source_shape is not None for r in report.results)


def test_message_falls_back_to_english(validator):
    report = validator.validate(parse("project-two-errors.ttl"))
    result = report.results[0]
    assert result.message("es") == result.message("en")


def test_warnings_do_not_break_conformance(validator):
    g = parse("project-conforming.ttl")
    project = URIRef(BASE + "id/project/test-ok")
    g.remove((project, URIRef("http://purl.org/dc/terms/description"), None))
    report = validator.validate(g)
    assert report.conforms and report.warnings >= 1


def test_validation_does_not_modify_the_data_graph(validator):
    g = parse("project-two-errors.ttl")
    before = set(g)
    validator.validate(g)
    assert set(g) == before


def test_text_rendering_in_both_languages(validator):
    report = validator.validate(parse("project-two-errors.ttl"))
    en, fr = report.to_text("en", label="f.ttl"), report.to_text("fr", label="f.ttl")
    assert en.startswith("f.ttl: does not conform — 2 violation(s)")
    assert fr.startswith("f.ttl: non conforme — 2 violation(s)")
    assert "gbf/target/24" in en and "schema:startDate" in en


def test_json_rendering(validator):
    data = json.loads(validator.validate(parse("project-two-errors.ttl")).to_json("fr"))
    assert data["conforms"] is False and data["violations"] == 2
    assert {"severity", "focusNode", "path", "value", "message", "messages", "sourceShape", "constraint"} <= set(data["results"][0])


def test_turtle_rendering_is_a_shacl_report(validator):
    report = validator.validate(parse("project-two-errors.ttl"))
    g = Graph().parse(data=report.to_turtle(), format="turtle")
    reports = list(g.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert len(list(g.objects(reports[0], SH.result))) == len(report.results)


def test_merge_reports(validator):
    a = validator.validate(parse("project-two-errors.ttl"))
    b = validator.validate(parse("project-conforming.ttl"))
    merged = merge_reports([a, b])
    assert isinstance(merged, ValidationReport)
    assert merged.violations == a.violations and not merged.conforms


def test_vocabulary_concepts_are_in_scope(validator):
    """sh:class on places and modalities sees the vocabularies without them being in the data."""
    g = parse("project-conforming.ttl")
    project = URIRef(BASE + "id/project/test-ok")
    g.add((project, URIRef("http://purl.org/dc/terms/spatial"), URIRef("https://w3id.org/tscgraph/vocab/place/GF")))
    g.add((project, URIRef("https://w3id.org/tscgraph/ontology#modality"), URIRef("https://w3id.org/tscgraph/vocab/modality/training")))
    assert validator.validate(g).conforms
    g.add((project, URIRef("http://purl.org/dc/terms/spatial"), URIRef("https://w3id.org/tscgraph/vocab/place/XX")))
    assert not validator.validate(g).conforms


# ------------------------------------------------------------------ counted as SHACL counts


TSCSH = "https://w3id.org/tscgraph/shapes#"


def test_nested_results_are_details_of_their_result_not_counted_again(validator):
    """pySHACL nests under an sh:node result the results that made it fail (sh:detail); SHACL's report holds
    three results here — the budget (sh:node) and, on the budget itself, its datatype and its minimum."""
    report = validator.validate(parse("project-string-budget.ttl"))
    assert (report.violations, report.warnings, len(report.results)) == (3, 0, 3)
    assert {str(r.source_shape) for r in report.results} == {
        TSCSH + "Project-budget-node", TSCSH + "MonetaryAmount-value-datatype", TSCSH + "MonetaryAmount-value-positive"}
    [node] = [r for r in report.results if r.constraint == SH.NodeConstraintComponent]
    assert {str(d.source_shape) for d in node.details} == {TSCSH + "MonetaryAmount-value-datatype",
                                                           TSCSH + "MonetaryAmount-value-positive"}
    assert len(list(report.all_results())) == 5 == len(set(report.graph.subjects(RDF.type, SH.ValidationResult)))
    data = report.to_dict()
    assert data["violations"] == 3 and len(data["results"]) == 3
    assert [len(r.get("details", [])) for r in data["results"] if r["constraint"] == str(SH.NodeConstraintComponent)] == [2]
    text = report.to_text().splitlines()
    assert text[0].endswith("3 violation(s), 0 warning(s)") and sum("↳" in line for line in text) == 2


def test_a_cut_report_keeps_the_details_of_what_it_keeps(validator):
    report = validator.validate(parse("project-string-budget.ttl"))
    node_first = ValidationReport(results=tuple(sorted(report.results, key=lambda r: r.constraint != SH.NodeConstraintComponent)),
                                  graph=report.graph)
    cut = node_first.cut(1)
    assert (cut.omitted, cut.violations, len(cut.results[0].details)) == (2, 3, 2)
    kept = set(cut.graph.subjects(RDF.type, SH.ValidationResult))
    assert kept == {r.node for r in cut.all_results()} and len(kept) == 3


def test_an_ill_typed_date_is_a_clean_violation_and_cannot_be_ordered(validator, capfd, caplog):
    """``"2021-13-01"^^xsd:date``: its datatype is wrong, and SHACL §4.5.4 (sh:lessThanOrEquals) makes a pair
    "that cannot be compared" a violation too. pySHACL 0.40 drops that pair; Jena SHACL reports it (see
    tests/test_client_jena.py); our report adds it. No traceback is printed on the way."""
    import pyshacl

    data = parse("project-ill-typed-date.ttl")
    report = validator.validate(data)
    assert {(str(r.source_shape), r.constraint) for r in report.results} == {
        (TSCSH + "startDate-datatype", SH.DatatypeConstraintComponent),
        (TSCSH + "startDate-order", SH.LessThanOrEqualsConstraintComponent)}
    order = next(r for r in report.results if r.constraint == SH.LessThanOrEqualsConstraintComponent)
    assert order.message("fr") and order.path == URIRef("https://schema.org/startDate")
    assert (None, SH.conforms, None) in report.graph and not report.conforms
    scoped = data + validator.scope
    with warnings.catch_warnings():  # rdflib warns when pySHACL orders the ill-typed literal
        warnings.simplefilter("ignore", DeprecationWarning)
        _conforms, raw, _text = pyshacl.validate(scoped, shacl_graph=validator.shapes, inference="none")
    raw_shapes = {str(s) for s in raw.objects(None, SH.sourceShape)}
    assert TSCSH + "startDate-order" not in raw_shapes, "pySHACL now reports it: drop incomparable_pairs()"
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert not [r for r in caplog.records if "Literal lexical form" in r.getMessage()]


def test_an_end_date_before_the_start_is_reported_once(validator):
    """Comparable values in the wrong order are pySHACL's own result; the supplement does not add a second."""
    report = validator.validate(parse("project-two-errors.ttl"))
    assert sum(r.constraint == SH.LessThanOrEqualsConstraintComponent for r in report.results) == 1
