"""The RDF file loader: any syntax graph.rdfio knows, problems (not exceptions) for unreadable files,
and JSON-LD whose context would need the network handed to the schema.org loader or refused."""

from __future__ import annotations

import json
import socket

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from graph.namespaces import TSC
from loaders.rdf import load_rdf
from tests.conftest import BASE, TEST_DATA

DATA = TEST_DATA / "loaders" / "rdf"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (a remote @context must never be fetched)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to reach the network")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_turtle_with_relative_iris_conforms(validator):
    loaded = load_rdf(DATA / "project.ttl", BASE)
    assert loaded.problems == [] and loaded.records == 2
    assert (URIRef(BASE + "id/project/example-survey"), RDF.type, TSC.Project) in loaded.graph
    assert validator.validate(loaded.graph).conforms


def test_other_syntaxes_read_the_same(tmp_path):
    turtle = load_rdf(DATA / "project.ttl", BASE).graph
    for name, fmt in (("p.nt", "nt"), ("p.rdf", "xml"), ("p.trig", "trig")):
        (tmp_path / name).write_text(turtle.serialize(format=fmt), encoding="utf-8")
        loaded = load_rdf(tmp_path / name, BASE)
        assert loaded.problems == [] and len(loaded.graph) == len(turtle), name


def test_bad_syntax_is_a_problem_with_its_line():
    loaded = load_rdf(DATA / "broken.ttl", BASE)
    assert len(loaded.graph) == 0 and loaded.records == 0
    [problem] = loaded.problems
    assert problem.where == "line 5" and problem.message.startswith("not valid turtle:")


def test_unknown_ending_and_missing_file_are_problems(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n", encoding="utf-8")
    [unknown] = load_rdf(tmp_path / "data.csv", BASE).problems
    assert unknown.where == "file" and unknown.message.startswith("unknown RDF syntax for this file name")
    [missing] = load_rdf(tmp_path / "absent.ttl", BASE).problems
    assert missing.where == "file" and missing.message.startswith("cannot read")


def test_schema_org_json_ld_goes_to_the_schema_org_loader():
    loaded = load_rdf(TEST_DATA / "loaders" / "schemaorg" / "organisation.jsonld", BASE)
    assert (URIRef("https://example.org/org/water-agency"), RDF.type, TSC.Actor) in loaded.graph


def test_json_ld_with_a_remote_context_is_refused_not_fetched(tmp_path):
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps({"@context": "https://example.org/context.jsonld", "@id": "x"}), encoding="utf-8")
    loaded = load_rdf(path, BASE)
    assert len(loaded.graph) == 0
    assert [(p.where, p.value) for p in loaded.problems] == [("@context", "https://example.org/context.jsonld")]


def test_json_ld_with_an_inline_context_is_read_as_rdf(tmp_path):
    path = tmp_path / "inline.jsonld"
    path.write_text(json.dumps({"@context": {"tsc": str(TSC)}, "@id": "id/actor/example-z", "@type": "tsc:Actor"}),
                    encoding="utf-8")
    loaded = load_rdf(path, BASE)
    assert loaded.records == 1 and (URIRef(BASE + "id/actor/example-z"), RDF.type, TSC.Actor) in loaded.graph
