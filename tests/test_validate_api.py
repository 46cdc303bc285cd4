"""The validation service over HTTP: every input syntax (raw body and upload) × conforming and failing
data, every output format (JSON, Turtle parsed back as a SHACL report, SARIF checked against the
official 2.1.0 schema, HTML with hints), shape sets, and French messages and hints."""

from __future__ import annotations

import json

import jsonschema
import pytest
import requests
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS, SH

from tests.bad_input import serialised
from tests.conftest import TESTS, csrf_of, start_server, stop_server

SHAPES = TESTS / "shapes"
VALID = SHAPES / "ProjectShape-valid-01.ttl"
INVALID = SHAPES / "ProjectShape-invalid-01.ttl"   # no title: Project-title-minCount (and warnings)
ACTOR_INVALID = SHAPES / "ActorShape-invalid-01.ttl"
#: The official SARIF 2.1.0 schema (OASIS errata01), vendored: see tests/data/sarif/README.md.
SARIF_SCHEMA = json.loads((TESTS / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BASE = "https://chm.example.org/"
SYNTAXES = {  # rdflib name → (media type, file ending)
    "turtle": ("text/turtle", "ttl"), "json-ld": ("application/ld+json", "jsonld"),
    "xml": ("application/rdf+xml", "rdf"), "nt": ("application/n-triples", "nt"),
    "trig": ("application/trig", "trig"), "nquads": ("application/n-quads", "nq"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("validate"), rate_limit="1000")
    yield s.url
    stop_server(s)


def post(url: str, body: bytes, media: str, accept="application/json", **params) -> requests.Response:
    return requests.post(url + "/validate", data=body, params=params, timeout=60,
                         headers={"Content-Type": media, "Accept": accept})


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("example,conforms", [(VALID, True), (INVALID, False)], ids=["valid", "invalid"])
def test_every_syntax_as_raw_body(server, syntax, example, conforms):
    r = post(server, serialised(example, syntax), SYNTAXES[syntax][0])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["conforms"] is conforms
    if not conforms:
        shapes = {x["sourceShape"] for x in report["results"] if x["severity"] == "Violation"}
        assert "https://w3id.org/tscgraph/shapes#Project-title-minCount" in shapes
        assert all(x["hint"] for x in report["results"])


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("example,conforms", [(VALID, True), (INVALID, False)], ids=["valid", "invalid"])
def test_every_syntax_as_upload(server, syntax, example, conforms):
    media, ending = SYNTAXES[syntax]
    files = {"file": (f"data.{ending}", serialised(example, syntax), media)}
    r = requests.post(server + "/validate", files=files, headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["conforms"] is conforms


def test_upload_with_a_format_field(server):
    files = {"file": ("data.txt", serialised(INVALID, "nt"), "text/plain")}
    r = requests.post(server + "/validate", files=files, data={"format": "nt"}, timeout=60)
    assert r.status_code == 200 and r.json()["conforms"] is False


def test_json_results_carry_hints(server):
    report = post(server, INVALID.read_bytes(), "text/turtle").json()
    title = next(x for x in report["results"] if x["sourceShape"].endswith("Project-title-minCount"))
    assert title["hint"] == "Add at least 1 value(s) for “title”."
    assert title["field"] == "title"


def test_turtle_answer_is_a_shacl_report_with_the_same_results(server):
    as_json = post(server, INVALID.read_bytes(), "text/turtle").json()
    r = post(server, INVALID.read_bytes(), "text/turtle", accept="text/turtle")
    assert r.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=r.text, format="turtle")
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(report, SH.conforms) == Literal(False)
    results = list(graph.objects(report, SH.result))
    assert len(results) == len(as_json["results"])
    assert {str(graph.value(x, SH.sourceShape)) for x in results} == {x["sourceShape"] for x in as_json["results"]}
    assert all(graph.value(x, RDFS.comment) is not None for x in results)  # the hints


def test_sarif_validates_against_the_schema_with_rules_and_levels(server):
    r = post(server, INVALID.read_bytes(), "text/turtle", accept="application/sarif+json")
    assert r.headers["Content-Type"].startswith("application/sarif+json")
    log = r.json()
    jsonschema.validate(log, SARIF_SCHEMA)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "tscgraph"
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "https://w3id.org/tscgraph/shapes#Project-title-minCount" in rule_ids
    levels = {x["ruleId"].rsplit("#", 1)[-1]: x["level"] for x in run["results"]}
    assert levels["Project-title-minCount"] == "error" and levels["Project-title-fr"] == "warning"
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith(BASE)
        line = location["physicalLocation"]["region"]["startLine"]
        assert INVALID.read_text().splitlines()[line - 1].lstrip().startswith("<id/project/")


def test_sarif_by_format_parameter_and_conforming(server):
    r = post(server, VALID.read_bytes(), "text/turtle", accept="*/*", format="sarif")
    log = r.json()
    jsonschema.validate(log, SARIF_SCHEMA)
    assert log["runs"][0]["results"] == [] or all(x["level"] != "error" for x in log["runs"][0]["results"])


def test_html_answer_shows_field_message_and_hint(server):
    r = post(server, INVALID.read_bytes(), "text/turtle", accept="text/html")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "Add at least 1 value(s) for “title”." in r.text
    assert "How to fix it:" in r.text and "The data do not conform" in r.text


def test_shape_sets(server):
    actor_data = ACTOR_INVALID.read_bytes()
    assert post(server, actor_data, "text/turtle", shapes="actor").json()["conforms"] is False
    assert post(server, actor_data, "text/turtle", shapes="project").json()["conforms"] is True  # no project shape fires
    r = post(server, actor_data, "text/turtle", shapes="nonsense")
    assert r.status_code == 400 and "nonsense" in r.json()["error"]


def test_french_messages_and_hints(server):
    r = post(server, INVALID.read_bytes(), "text/turtle", lang="fr")
    title = next(x for x in r.json()["results"] if x["sourceShape"].endswith("Project-title-minCount"))
    assert title["hint"] == "Ajoutez au moins 1 valeur(s) pour « titre »."
    html = post(server, INVALID.read_bytes(), "text/turtle", accept="text/html", lang="fr").text
    assert "Comment corriger" in html and "Rapport de validation" in html


def test_unknown_type_is_415(server):
    r = post(server, b"hello", "text/plain")
    assert r.status_code == 415 and "text/turtle" in r.json()["error"]


def test_the_page_validates_pasted_data(server):
    session = requests.Session()
    page = session.get(server + "/validate", timeout=30)
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    token = csrf_of(page.text)
    r = session.post(server + "/validate", data={"csrf_token": token, "data": INVALID.read_text(), "shapes": "project"},
                     timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "Add at least 1 value(s) for “title”." in r.text
    assert "&lt;id/project/" in r.text  # what was typed is kept in the textarea, escaped


def test_nested_results_are_shown_under_their_result_not_counted(server):
    """A budget amount as a string: the budget (sh:node) and, on the budget, its datatype and minimum — 3 results,
    the 2 that pySHACL nests under the first shown there as its details, in JSON and on the page."""
    body = (TESTS / "data" / "cli" / "project-string-budget.ttl").read_bytes()
    report = post(server, body, "text/turtle").json()
    assert (report["violations"], len(report["results"])) == (3, 3)
    [node] = [r for r in report["results"] if r["constraint"].endswith("NodeConstraintComponent")]
    assert len(node["details"]) == 2 and all(d["hint"] for d in node["details"])
    page = post(server, body, "text/turtle", accept="text/html")
    assert page.status_code == 200 and page.text.count('<ol class="details">') == 1
