"""The one validation function: structured results, messages per language, three renderings."""

from __future__ import annotations

import json

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
