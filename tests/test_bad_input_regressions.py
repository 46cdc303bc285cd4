"""Plain examples of the bugs the fuzz properties found (tests/test_fuzz_*.py), one test each, so that each stays
fixed whatever Hypothesis draws: SERVICE and LOAD hidden from the SSRF guard, remote JSON-LD contexts fetched,
IRIs the store refuses let through by parsers and parameter checks, loaders raising instead of reporting."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal

import pytest
from rdflib import Graph, URIRef

from graph.guard import ForbiddenOperation, check_query, check_update
from graph.iris import is_iri
from graph.rdfio import RdfReadError, parse_rdf
from graph.settings import ROOT
from graph.validation import read_turtle_dir
from loaders.iati import load_iati
from loaders.schemaorg import load_schemaorg
from loaders.spreadsheet import MappingError, load_spreadsheet, parse_mapping
from loaders.thesaurus import load_thesaurus
from tests.bad_input import CONTEXT_PLACES, Listener, jsonld_with_context, nested_json
from tests.conftest import BASE

EVIL = "<http://127.0.0.1:9/sparql>"
ALLOWED = ("https://partner.example/sparql",)


@pytest.mark.parametrize("query", [
    # a '#' inside an IRI was taken for a comment, hiding the rest of the line
    f"PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT * WHERE {{ SERVICE {EVIL} {{ ?s ?p ?o }} }}",
    # no space between the keyword and the IRI is legal SPARQL
    f"SELECT * WHERE {{ SERVICE{EVIL}{{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICESILENT{EVIL}{{ ?s ?p ?o }} }}",
    # a quote inside an IRI was taken for the start of a string
    f"SELECT * WHERE {{ ?s ?p <http://a/'> . SERVICE {EVIL} {{ ?s ?p ?o }} ?s ?p <http://b/'> }}",
    # the keyword glued to what precedes it
    f"SELECT * WHERE {{ ?s ?p 1SERVICE {EVIL} {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p ?o.SERVICE {EVIL} {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ ?s ?p 'x'SERVICE {EVIL} {{ ?a ?b ?c }} }}",
    # an escaped quote in a prefixed name, a comment ended by a carriage return
    f"PREFIX ex: <http://a/> SELECT * WHERE {{ ?s ?p ex:a\\' . SERVICE {EVIL} {{ ?a ?b ?c }} ?s ?p 'x' }}",
    f"SELECT * WHERE {{ # c\rSERVICE {EVIL} {{ ?a ?b ?c }} }}",
    # the target as a prefixed name, glued
    "PREFIX : <http://127.0.0.1:9/> SELECT * WHERE { ?s ?p 1SERVICE:x{ ?a ?b ?c } }",
    # '<' read as "less than" by the engine: the quote after it opens a string the check would not see
    f"SELECT * WHERE {{ ?s ?p ?a FILTER(?a<'>') SERVICE {EVIL} {{ ?s ?p ?o }} ?s ?p 'x' }}",
])
def test_service_hidden_from_a_naive_scanner_is_refused(query):
    with pytest.raises(ForbiddenOperation):
        check_query(query, ALLOWED)


@pytest.mark.parametrize("query", [
    "SELECT ?service WHERE { ?service ?p ?o }",
    "PREFIX schema: <https://schema.org/> SELECT * WHERE { ?s schema:serviceArea ?o }",
    'SELECT * WHERE { ?s ?p "ecosystem services" }',
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT * WHERE { SERVICE <https://partner.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <https://partner.example/sp\\u0061rql> { ?s ?p ?o } }",
])
def test_harmless_or_allowed_queries_still_pass(query):
    check_query(query, ALLOWED)


def test_load_after_an_iri_with_a_hash_is_refused():
    with pytest.raises(ForbiddenOperation, match="LOAD"):
        check_update("INSERT DATA { <http://a/#> <http://p> <http://o> } ; LOAD <http://127.0.0.1:9/x>", ())
    check_update('PREFIX schema: <https://schema.org/> INSERT DATA { <http://a> schema:downloadUrl "download" }', ())


@pytest.mark.parametrize("place", CONTEXT_PLACES)
def test_a_remote_json_ld_context_is_refused_and_never_fetched(place):
    with Listener() as listener:
        for target in (f"http://127.0.0.1:{listener.port}/ctx", "file:///etc/passwd"):
            with pytest.raises(RdfReadError, match="context"):
                parse_rdf(jsonld_with_context(target, place), "json-ld", BASE)
            loaded = load_schemaorg(jsonld_with_context(target, place), "doc.jsonld", BASE)
            assert any("context" in p.message for p in loaded.problems)
        assert listener.connections == []


def test_an_iri_the_store_cannot_hold_is_a_read_error_not_a_write_failure():
    rdfxml = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:d="[ttp://purl.org/dc/terms/">'
              b'<rdf:Description rdf:about="http://a/"><d:title>x</d:title></rdf:Description></rdf:RDF>')
    with pytest.raises(RdfReadError, match="not an RDF term"):
        parse_rdf(rdfxml, "xml", BASE)
    with pytest.raises(RdfReadError, match="not an RDF term"):
        parse_rdf(b'<http://a/\\u0020b> <http://a/p> "x" .', "turtle", BASE)  # the escape makes a space


def test_json_nested_deeper_than_python_recurses_is_a_read_error_or_a_problem():
    deep = nested_json(5000, "objects")
    with pytest.raises(RdfReadError, match="nested too deeply"):
        parse_rdf(deep, "json-ld", BASE)
    assert load_schemaorg(deep, "page.jsonld", BASE).problems
    assert load_thesaurus(deep, "answer.json", Graph()).problems


def test_schema_org_json_ld_that_is_not_utf8_is_a_problem():
    [problem] = load_schemaorg(b"\x80{}", "page.jsonld", BASE).problems
    assert "not UTF-8" in problem.message


def test_iati_xml_in_an_unknown_encoding_is_a_problem():
    data = b'<?xml version="1.0" encoding="aTF-8"?><iati-activities/>'
    [problem] = load_iati(data, "a.xml", base_iri=BASE, ontology_graph=read_turtle_dir(ROOT / "ontology")).problems
    assert "not readable XML" in problem.message


def test_a_corrupt_workbook_is_a_problem(tmp_path):
    path = tmp_path / "projects.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<not-closed")
    [problem] = load_spreadsheet(path, ROOT / "loaders" / "mappings" / "projects.toml", BASE).problems
    assert problem.where == "file" and "not a readable XLSX workbook" in problem.message


@pytest.mark.parametrize("mapping", [
    {"kind": ["project"]},
    {"kind": "project", "id": "Title"},
    {"kind": "project", "id": {"column": "T"}, "columns": {"A": "x"}},
    {"kind": "project", "id": {"column": "T"}, "columns": {"A": {"property": "dcterms:title", "kind": "concept",
                                                                 "scheme": ["place"]}}},
    {"kind": "project", "id": {"column": "T"}, "columns": {"A": {"property": "dcterms:title", "lang": "en",
                                                                 "separator": 3}}},
    {"kind": "project", "id": {"column": "T"}, "columns": {"A": {"property": "dcterms:title", "lang": "e n"}}},
    {"kind": "project", "id": {"column": "T"}, "delimiter": ";;"},
    {"kind": "project", "id": {"column": "T"}, "budget": "Budget"},
])
def test_a_mapping_of_the_wrong_shape_is_a_mapping_error(mapping):
    with pytest.raises(MappingError):
        parse_mapping(json.loads(json.dumps(mapping)))


@pytest.mark.parametrize("text, expected", [("https://chm.example.org/id/x", True), ("urn:x", True), ("://", False),
                                            ("http://a/\n", False), ("http://a b", False), ("http://\x1b", False),
                                            ('https://chm.example.org/id/"', False), ("", False)])
def test_parameters_naming_an_iri_are_checked_as_the_store_checks_them(text, expected):
    assert is_iri(text) is expected


def test_a_web_address_cell_that_is_no_iri_is_a_problem_and_nan_is_no_amount():
    from loaders.resolve import default_resolver
    from loaders.spreadsheet import parse_decimal, read_mapping, rows_to_graph, table_from_rows

    mapping = read_mapping(ROOT / "loaders" / "mappings" / "projects.toml")
    header = ("Title (en)", "Website", "Budget", "Currency")
    table = table_from_rows("sheet.xlsx", [header, ("A project", "http://a/<b>", float("nan"), "EUR")], strict_width=False)
    loaded = rows_to_graph(table, mapping, BASE, default_resolver())
    wheres = {p.where for p in loaded.problems}
    assert "row 2, column 'Website'" in wheres and "row 2, column 'Budget'" in wheres
    assert parse_decimal(float("inf")) is None and parse_decimal(Decimal("NaN")) is None


def test_a_thesaurus_title_that_is_half_a_surrogate_pair_is_a_problem_not_a_label():
    answer = b'[{"identifier": "GBF-TARGET-01", "title": {"en": "\\ud800", "fr": "Cible 1"}}]'
    loaded = load_thesaurus(answer, "answer.json", read_turtle_dir(ROOT / "ontology"))
    assert any("not Unicode text" in p.message for p in loaded.problems)
    assert {o.language for o in loaded.graph.objects()} == {"fr"}


def test_a_schema_org_url_that_is_no_iri_is_a_problem_not_a_record_value():
    page = json.dumps({"@context": "https://schema.org/", "@type": "NGO", "@id": BASE + "id/actor/reef",
                       "name": "Example: Friends of the Reef", "url": "https://{xample.org/reef",
                       "sameAs": "https://example.org/a b"}).encode()
    loaded = load_schemaorg(page, "page.jsonld", BASE)
    assert {p.message for p in loaded.problems} >= {"url is not an http(s) address", "sameAs is not an http(s) IRI"}
    assert all(is_iri(str(o)) for o in loaded.graph.objects() if isinstance(o, URIRef))
