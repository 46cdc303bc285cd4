"""The schema.org JSON-LD loader: ODIS-style documents and pages, our own page JSON-LD read back,
and the exact problems of malformed input. Nothing is fetched: schema.org contexts are local."""

from __future__ import annotations

import json
import socket

import pytest
from flask import Flask
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, XSD

from graph.namespaces import SCHEMA, TSC
from graph.rdfio import read_rdf
from graph.settings import ROOT, load_settings
from loaders.schemaorg import load_schemaorg, load_schemaorg_file, resolve_place
from tests.conftest import BASE, TEST_DATA

DATA = TEST_DATA / "loaders" / "schemaorg"
PLACE = "https://w3id.org/tscgraph/vocab/place/"
VOCAB = "https://w3id.org/tscgraph/vocab/"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (a remote @context must never be fetched)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to reach the network")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def messages(loaded) -> list[str]:
    return [f"{p.where}: {p.message}" + (f" ({p.value!r})" if p.value else "") for p in loaded.problems]


def test_odis_project_with_funder_and_members_conforms(validator):
    loaded = load_schemaorg_file(DATA / "odis-project.jsonld", BASE)
    g = loaded.graph
    project = URIRef("https://example.org/odis/project/mangrove-monitoring")
    lab, fund = URIRef("https://example.org/odis/org/coastal-lab"), URIRef("https://example.org/odis/org/ocean-fund")
    friends = URIRef(BASE + "id/actor/example-mangrove-friends")
    assert loaded.records == 4
    assert set(g.objects(project, DCTERMS.title)) == {
        Literal("Example: mangrove monitoring network", lang="en"), Literal("Exemple : réseau de suivi des mangroves", lang="fr")}
    assert g.value(project, TSC.leadOrganisation) == lab
    assert set(g.objects(project, TSC.partner)) == {friends}
    assert g.value(project, TSC.funder) == fund
    assert g.value(project, SCHEMA.startDate) == Literal("2024-01-01", datatype=XSD.date)
    assert g.value(project, SCHEMA.endDate) == Literal("2027-12-31", datatype=XSD.date)
    assert set(g.objects(project, DCTERMS.spatial)) == {URIRef(PLACE + c) for c in ("SN", "GN", "FR")}
    assert g.value(project, TSC.contributesToTarget) == URIRef(VOCAB + "gbf/target/3")
    assert g.value(project, TSC.implementsArticle) == URIRef(VOCAB + "cbd/article/18")
    assert set(g.objects(project, DCTERMS.subject)) == {Literal("mangroves", lang="en"), Literal("monitoring", lang="en")}
    budget = g.value(project, TSC.budget)
    assert g.value(budget, SCHEMA.currency) == Literal("EUR") and float(g.value(budget, SCHEMA.value)) == 250000
    assert g.value(lab, TSC.actorType) == URIRef(VOCAB + "actor-type/research-institute")
    assert g.value(lab, SCHEMA.email) == Literal("contact@example.org")
    assert g.value(fund, TSC.actorType) == URIRef(VOCAB + "actor-type/funder")
    assert all(g.value(s, TSC.isExample) == Literal(True) for s in (project, lab, fund, friends))
    assert messages(loaded) == [f"node 'Example: Mangrove Friends': no @id: the actor was given an IRI made from its name ('{friends}')"]
    report = validator.validate(g)
    assert report.conforms, report.to_text()


def test_organisation_page_keeps_its_identity_names_and_place(validator):
    loaded = load_schemaorg_file(DATA / "organisation.jsonld", BASE)
    g, org = loaded.graph, URIRef("https://example.org/org/water-agency")
    assert (org, RDF.type, TSC.Actor) in g and loaded.records == 1 and loaded.problems == []
    assert set(g.objects(org, SKOS.prefLabel)) == {Literal("Example: Water Agency", lang="en"),
                                                    Literal("Exemple : Agence de l'eau", lang="fr")}
    assert g.value(org, SKOS.altLabel) == Literal("EWA")
    assert g.value(org, TSC.actorType) == URIRef(VOCAB + "actor-type/public-agency")
    assert g.value(org, DCTERMS.spatial) == URIRef(PLACE + "FR")
    assert g.value(org, OWL.sameAs) == URIRef("https://example.org/registry/water-agency")
    assert g.value(org, SCHEMA.url) == URIRef("https://example.org/water-agency")
    assert validator.validate(g).conforms


def test_http_schema_org_context_is_local_and_iris_normalised(validator):
    loaded = load_schemaorg_file(DATA / "http-schema.jsonld", BASE)
    g = loaded.graph
    actor = URIRef(BASE + "id/actor/example-friends-of-the-reef")
    assert not any("http://schema.org/" in str(t) for triple in g for t in triple)
    assert g.value(actor, TSC.actorType) == URIRef(VOCAB + "actor-type/ngo")
    assert g.value(actor, DCTERMS.spatial) == URIRef(PLACE + "NC")
    assert g.value(actor, SKOS.prefLabel) == Literal("Example: Friends of the Reef", lang="en")
    assert messages(loaded) == [f"node 'Example: Friends of the Reef': no @id: the actor was given an IRI made from its name ('{actor}')"]
    assert validator.validate(g).conforms


def test_default_lang_tags_untagged_text():
    loaded = load_schemaorg_file(DATA / "http-schema.jsonld", BASE, default_lang="fr")
    assert {lit.language for lit in loaded.graph.objects(None, SKOS.prefLabel)} == {"fr"}


def test_malformed_json_names_the_line():
    loaded = load_schemaorg_file(DATA / "malformed.jsonld", BASE)
    assert len(loaded.graph) == 0 and loaded.records == 0
    assert messages(loaded) == ["line 5, column 3: not valid JSON: Expecting ',' delimiter"]


def test_unknown_types_and_properties_are_counted_not_dropped_silently():
    loaded = load_schemaorg_file(DATA / "unknown-terms.jsonld", BASE)
    assert loaded.records == 2
    assert messages(loaded) == [
        "<https://example.org/p/2>: place not found in the places vocabulary (ontology/places.ttl) ('Atlantis')",
        "document: a type not loaded (2 times) ('schema:Event')",
        "document: a property ignored (2 times) ('schema:colour')",
        "document: a property ignored (once) ('schema:slogan')",
    ]


def test_other_remote_contexts_are_refused_not_fetched():
    doc = {"@context": ["https://schema.org/", "https://example.org/other-context.jsonld"],
           "@type": "NGO", "@id": "https://example.org/org/x", "name": "Example: X"}
    loaded = load_schemaorg(json.dumps(doc), "inline", BASE)
    assert messages(loaded)[0] == ("@context: remote JSON-LD context not fetched (only schema.org's is known) "
                                   "('https://example.org/other-context.jsonld')")
    assert loaded.records == 1


def test_project_without_lead_and_plain_organisation_are_reported():
    doc = {"@context": "https://schema.org", "@type": "Project", "@id": "https://example.org/p/x", "name": "Example: X",
           "funder": {"@type": "Organization", "name": "Example: Some Fund"}, "foundingDate": "soon"}
    loaded = load_schemaorg(json.dumps(doc), "inline", BASE)
    fund = BASE + "id/actor/example-some-fund"
    assert messages(loaded) == [
        "<https://example.org/p/x>: startDate is not a date (YYYY-MM-DD) ('soon')",
        "<https://example.org/p/x>: no lead organisation: give a member with roleName \"lead organisation\" or a parentOrganization",
        f"node 'Example: Some Fund': no @id: the actor was given an IRI made from its name ('{fund}')",
        "node 'Example: Some Fund': no actor type: give a schema.org subtype of Organization (CollegeOrUniversity, "
        "Consortium, Corporation, FundingAgency, GovernmentOrganization, NGO, ResearchOrganization)",
    ]


@pytest.mark.parametrize("value, code", [("France", "FR"), ("FR", "FR"), ("guyane", "GF"), ("Sénégal", "SN"),
                                         (PLACE + "NC", "NC"), ("Atlantis", None)])
def test_places_resolve_by_code_name_or_iri(value, code):
    assert resolve_place(value) == (URIRef(PLACE + code) if code else None)


def our_page_jsonld(project: str, lang: str) -> tuple[dict, Graph]:
    """The JSON-LD our own project page embeds, built by web.schemaorg from the bundled data."""
    from web.schemaorg import resource_jsonld

    graph = Graph()
    for path in [*sorted((ROOT / "ontology").glob("*.ttl")), ROOT / "data" / "projects.ttl", ROOT / "data" / "actors.ttl"]:
        graph += read_rdf(path, BASE)
    app = Flask(__name__)
    app.config["TSCGRAPH"] = load_settings(environ={})
    with app.test_request_context():
        return resource_jsonld(graph, URIRef(BASE + project), lang), graph


def test_round_trip_of_our_own_project_page(validator):
    data, bundled = our_page_jsonld("id/project/biodiversa-plus", "en")
    loaded = load_schemaorg(json.dumps(data), "page", BASE)
    project = URIRef(BASE + "id/project/biodiversa-plus")
    g = loaded.graph
    assert loaded.records == 1
    for p in (TSC.leadOrganisation, TSC.partner, TSC.funder, TSC.contributesToTarget, TSC.implementsArticle,
              DCTERMS.spatial, SCHEMA.startDate, SCHEMA.endDate):
        assert set(g.objects(project, p)) == set(bundled.objects(project, p)), p
    assert g.value(project, DCTERMS.title) == Literal("Biodiversa+, the European Biodiversity Partnership", lang="en")
    assert set(g.objects(project, DCTERMS.subject)) == {s for s in bundled.objects(project, DCTERMS.subject) if s.language == "en"}
    # Biodiversa+'s budget is a lower bound ("more than EUR 800 million", schema:minValue): the page publishes
    # exact amounts only, so none comes back; an exact budget does (an example project's)
    assert bundled.value(bundled.value(project, TSC.budget), SCHEMA.value) is None and g.value(project, TSC.budget) is None
    example, bundled_example = our_page_jsonld("id/project/example-wio-coral-reef-training", "en")
    exact = load_schemaorg(json.dumps(example), "page", BASE).graph
    other = URIRef(BASE + "id/project/example-wio-coral-reef-training")
    budget, theirs = exact.value(other, TSC.budget), bundled_example.value(other, TSC.budget)
    assert exact.value(budget, SCHEMA.value).toPython() == bundled_example.value(theirs, SCHEMA.value).toPython()
    # the page gives the other-language title untagged: reported, not guessed
    assert messages(loaded) == [f"<{project}>: alternateName without a language ignored (once): give each title its @language"]
    assert validator.validate(g).conforms
