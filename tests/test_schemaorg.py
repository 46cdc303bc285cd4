"""schema.org JSON-LD: one block in every resource page, typed by what the resource is, and the Dataset
description for the home page. Parsed as JSON and as RDF (context given inline: nothing is fetched)."""

from __future__ import annotations

import json
import re

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from graph.namespaces import SCHEMA, TSC
from tests.conftest import BASE

VOCAB = "https://w3id.org/tscgraph/vocab/"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def page_jsonld(url: str) -> dict:
    r = requests.get(url, headers=BROWSER, timeout=60)
    assert r.status_code == 200, r.text
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', r.text, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def as_rdf(data: dict) -> Graph:
    data = {**data, "@context": {"@vocab": str(SCHEMA)}}
    return Graph().parse(data=json.dumps(data), format="json-ld")


@pytest.mark.parametrize("path, schema_type", [
    ("/id/actor/ofb", "GovernmentOrganization"),
    ("/id/actor/mnhn", None),
    ("/id/offer/mangrove-restoration-twinning", "Offer"),
    ("/id/request/andean-biosafety-lab", "Demand"),
    ("/id/commitment/snb-2030", "CreativeWork"),
    ("/id/resource/mangrove-replanting-calendar", "CreativeWork"),
    ("/vocab/gbf/target/3", "DefinedTerm"),
    ("/vocab/cbd/article/18", "DefinedTerm"),
    ("/vocab/place/FR", "Country"),
    ("/vocab/place/GF", "AdministrativeArea"),
    ("/vocab/gbf", "DefinedTermSet"),
    ("/ontology", "DefinedTermSet"),
])
def test_each_kind_of_page_has_its_schema_type_and_parses_as_rdf(live_server, path, schema_type):
    data = page_jsonld(live_server + path)
    if schema_type:
        assert data["@type"] == schema_type or schema_type in data["@type"]
    g = as_rdf(data)
    subject = URIRef(data["@id"])
    assert g.value(subject, SCHEMA.name) is not None
    assert (subject, RDF.type, None) in g


@pytest.mark.parametrize("path, schema_type", [
    ("/", "Dataset"), ("/projects", "CollectionPage"), ("/actors", "CollectionPage"), ("/biobridge", "CollectionPage"),
    ("/knowledge", "CollectionPage"), ("/commitments", "CollectionPage"), ("/gbf", "DefinedTermSet"),
    ("/cbd", "DefinedTermSet"), ("/graph", "WebPage"), ("/sparql", "WebPage"), ("/queries", "WebPage"),
    ("/dumps/", "WebPage"), ("/queries/projects-per-gbf-target", "WebPage"),
])
def test_every_section_page_embeds_json_ld_about_its_subject(live_server, path, schema_type):
    data = page_jsonld(live_server + path)
    assert data["@context"].startswith("https://schema.org") and schema_type in data["@type"]
    assert len(as_rdf(data)) > 0


def test_actor_names_acronym_and_place(live_server):
    data = page_jsonld(live_server + "/id/actor/ofb")
    assert data["name"] == "French Biodiversity Agency"
    assert "OFB" in data["alternateName"] and "Office français de la biodiversité" in data["alternateName"]
    fr = page_jsonld(live_server + "/id/actor/ofb?lang=fr")
    assert fr["name"] == "Office français de la biodiversité"


def test_offer_and_demand_name_who_offers_and_who_seeks(live_server):
    offer = page_jsonld(live_server + "/id/offer/mangrove-restoration-twinning")
    assert offer["offeredBy"][0]["@type"] == "Organization" and offer["offeredBy"][0]["name"]
    assert offer["itemOffered"]["@type"] == "Service" and offer["itemOffered"]["serviceType"]
    demand = page_jsonld(live_server + "/id/request/andean-biosafety-lab")
    g = as_rdf(demand)
    seekers = list(g.subjects(SCHEMA.seeks, URIRef(demand["@id"])))
    assert len(seekers) == 1 and g.value(seekers[0], SCHEMA.name) is not None


def test_target_is_a_defined_term_with_code_and_set(live_server):
    data = page_jsonld(live_server + "/vocab/gbf/target/3")
    assert data["termCode"] == "3" and data["inDefinedTermSet"]["@id"] == VOCAB + "gbf"
    assert data["sameAs"]  # the CBD thesaurus term


def test_scheme_lists_its_terms(live_server):
    data = page_jsonld(live_server + "/vocab/gbf")
    codes = {t["termCode"] for t in data["hasDefinedTerm"]}
    assert {str(n) for n in range(1, 24)} <= codes and {"A", "B", "C", "D"} <= codes


# ------------------------------------------------------------------ pure mapping and the Dataset


@pytest.fixture(scope="module")
def app(tmp_path_factory, validator):
    from graph.loading import setup_store
    from graph.store.oxigraph import OxigraphStore
    from server import create_app
    from tests.conftest import make_settings

    settings = make_settings(tmp_path_factory.mktemp("schemaorg"))
    with OxigraphStore(settings.store_dir) as store:
        setup_store(store, settings, validator)
    application = create_app(settings)
    yield application
    application.extensions["tscgraph.shutdown"]()


def test_mapping_from_a_description_graph(app):
    from web.schemaorg import resource_jsonld

    g = Graph()
    project, lead = URIRef(BASE + "id/project/p"), URIRef(BASE + "id/actor/a")
    g.add((project, RDF.type, TSC.Project))
    g.add((project, URIRef("http://purl.org/dc/terms/title"), Literal("P", lang="en")))
    g.add((project, TSC.leadOrganisation, lead))
    g.add((lead, SKOS.prefLabel, Literal("A", lang="en")))
    g.add((project, SCHEMA.startDate, Literal("2020-01-01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))))
    with app.test_request_context("/"):
        data = resource_jsonld(g, project, "en")
    assert data["name"] == "P" and data["foundingDate"] == "2020-01-01" and "dissolutionDate" not in data
    assert data["member"] == [{"@type": "OrganizationRole", "roleName": "lead organisation",
                               "member": {"@type": "Organization", "@id": str(lead), "name": "A"}}]
    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        assert resource_jsonld(g, project, "fr")["member"][0]["roleName"] == "organisation cheffe de file"


def test_dataset_jsonld_lists_downloads_and_endpoint(app):
    from web.schemaorg import dataset_jsonld

    with app.test_request_context("/", base_url="https://chm.example.org/"):
        app.preprocess_request()
        data = dataset_jsonld()
    assert data["@type"] == "Dataset" and data["name"]
    urls = {d["contentUrl"]: d["encodingFormat"] for d in data["distribution"]}
    assert urls == {"https://chm.example.org/dumps/tscgraph.nq.gz": "application/n-quads",
                    "https://chm.example.org/dumps/tscgraph.ttl.gz": "text/turtle"}
    assert data["potentialAction"]["target"]["urlTemplate"].startswith("https://chm.example.org/sparql?query=")
    g = as_rdf(data)
    assert len(list(g.objects(URIRef(data["@id"]), SCHEMA.distribution))) == 2
