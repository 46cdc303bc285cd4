"""The IATI loader on an illustrative activity file written for the tests (tests/data/loaders/iati/).

The file's activities 1 and 2 are well formed; 2 also names an unknown country; 3 has no title;
4 has a bad date, an unknown status, a malformed sector code, a budget that is not a number and an
organisation type we cannot map. The expected report below is exact.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from graph.namespaces import PLACE, SCHEMA, TSC, VOCAB
from loaders.iati import ACTOR_TYPES, load_iati, read_iati
from tests.conftest import BASE, TEST_DATA

DATA = TEST_DATA / "loaders" / "iati"
SOURCE = str(DATA / "activities.xml")
PROJECT = BASE + "id/project/iati-xm-example-"
ACTOR = BASE + "id/actor/"


@pytest.fixture(scope="module")
def loaded(validator):
    return read_iati(DATA / "activities.xml", base_iri=BASE, ontology_graph=validator.ontology, example=True)


def test_good_activities_conform_to_the_shapes(loaded, validator):
    report = validator.validate(loaded.graph)
    assert report.conforms, [str(r.message()) for r in report.results]
    # IATI has no GBF targets: the ProjectShape warns (a warning, not a violation), once per project
    warned = {r.focus_node for r in report.results if r.path == TSC.contributesToTarget}
    assert warned == {URIRef(PROJECT + n) for n in "124"}


def test_the_report_is_exact(loaded):
    where = lambda p: (p.where, p.value)  # noqa: E731
    assert [where(p) for p in loaded.problems] == [
        ("iati-activity[2]/recipient-country[2]", "XX"),
        ("iati-activity[3]", "XM-EXAMPLE-3"),
        ("iati-activity[4]/participating-org[2]", "30"),
        ("iati-activity[4]/activity-date[1]", "2025-13-40"),
        ("iati-activity[4]/activity-status[1]", "6"),
        ("iati-activity[4]/budget[1]/value", "lots"),
        ("iati-activity[4]/sector[1]", "4103"),
    ]
    assert all(p.source == SOURCE for p in loaded.problems)
    assert "no title" in loaded.problems[1].message
    assert loaded.records == 3 + 4  # three projects, four actors


def test_activity_mapping(loaded):
    g, p = loaded.graph, URIRef(PROJECT + "1")
    assert (p, RDF.type, TSC.Project) in g
    assert g.value(p, DCTERMS.identifier) == Literal("XM-EXAMPLE-1")
    assert set(g.objects(p, DCTERMS.title)) == {
        Literal("Example: mangrove restoration with coastal communities", lang="en"),
        Literal("Exemple : restauration de mangroves avec les communautés côtières", lang="fr"),
    }
    # the first implementing organisation leads; the other is a partner; the funding one funds
    assert g.value(p, TSC.leadOrganisation) == URIRef(ACTOR + "xm-example-ngo")
    assert set(g.objects(p, TSC.partner)) == {URIRef(ACTOR + "xm-example-uni")}
    assert set(g.objects(p, TSC.funder)) == {URIRef(ACTOR + "xm-example-funder")}
    assert set(g.objects(p, DCTERMS.spatial)) == {PLACE.SN}
    # the actual start date wins over the planned one
    assert g.value(p, SCHEMA.startDate) == Literal("2024-03-15", datatype=XSD.date)
    assert g.value(p, SCHEMA.endDate) == Literal("2027-12-31", datatype=XSD.date)
    assert g.value(p, TSC.status) == VOCAB["status/ongoing"]
    budget = g.value(p, TSC.budget)
    assert g.value(budget, SCHEMA.value).toPython() == Decimal("400000.50")  # the sum of the periods
    assert g.value(budget, SCHEMA.currency) == Literal("EUR")  # the second period's, by default-currency
    assert set(g.objects(p, DCTERMS.subject)) == {
        Literal("DAC 41030", lang="en"), Literal("DAC 41010", lang="en"), Literal("Rio marker: biodiversity", lang="en"),
    }
    assert g.value(p, TSC.isExample) == Literal(True)


def test_default_language_revised_budgets_and_accountable_lead(loaded):
    g, p = loaded.graph, URIRef(PROJECT + "2")
    assert set(g.objects(p, DCTERMS.title)) == {Literal("Exemple : inventaire des pollinisateurs", lang="fr")}
    lead = g.value(p, TSC.leadOrganisation)
    assert lead == URIRef(ACTOR + "example-multilateral-programme")  # no @ref: named from its narrative
    assert g.value(lead, TSC.actorType) == VOCAB["actor-type/international-organisation"]
    budget = g.value(p, TSC.budget)
    assert g.value(budget, SCHEMA.value).toPython() == Decimal("1000")  # revised 900 + 100, not the original too
    assert g.value(budget, SCHEMA.currency) == Literal("XOF")
    assert g.value(p, TSC.status) == VOCAB["status/completed"]
    assert set(g.objects(p, DCTERMS.spatial)) == {PLACE.BJ}


def test_skipped_and_partly_malformed_activities(loaded):
    g = loaded.graph
    assert (URIRef(PROJECT + "3"), None, None) not in g
    p4 = URIRef(PROJECT + "4")
    assert (p4, SCHEMA.startDate, None) not in g and (p4, TSC.status, None) not in g
    assert (p4, TSC.budget, None) not in g and (p4, TSC.funder, None) not in g
    assert (URIRef(ACTOR + "xm-example-ppp"), None, None) not in g
    assert g.value(URIRef(ACTOR + "xm-example-ngo"), SKOS.prefLabel) == Literal("Example Coastal NGO", lang="en")


def test_records_are_marked_as_examples_only_when_asked(validator):
    plain = load_iati((DATA / "activities.xml").read_bytes(), "x.xml", base_iri=BASE, ontology_graph=validator.ontology)
    assert (None, TSC.isExample, None) not in plain.graph


def test_billion_laughs_is_refused_before_any_entity_is_expanded(validator):
    """A DOCTYPE is refused outright, so no entity is ever declared, let alone expanded."""
    loaded = read_iati(DATA / "billion-laughs.xml", base_iri=BASE, ontology_graph=validator.ontology)
    assert len(loaded.graph) == 0 and loaded.records == 0
    [problem] = loaded.problems
    assert problem.where == "document" and problem.message.startswith("refused: the file declares a DOCTYPE")


def test_external_entity_is_refused(validator, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    xml = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
           '<iati-activities><iati-activity><iati-identifier>&e;</iati-identifier></iati-activity></iati-activities>')
    loaded = load_iati(xml, "xxe.xml", base_iri=BASE, ontology_graph=validator.ontology)
    assert [p.message.split(":")[0] for p in loaded.problems] == ["refused"]
    assert "do not read me" not in loaded.graph.serialize(format="nt")


@pytest.mark.parametrize("data, where, message", [
    (b"<iati-activities><iati-activity>", "line 1, column 32", "not well-formed XML"),
    (b"<rss/>", "rss", "not an IATI activities file (root is not <iati-activities>)"),
])
def test_unreadable_documents(validator, data, where, message):
    loaded = load_iati(data, "bad.xml", base_iri=BASE, ontology_graph=Graph())
    assert [(p.where, p.message) for p in loaded.problems] == [(where, message)]


def test_actor_types_table_names_only_our_concepts(validator):
    for concept in set(ACTOR_TYPES.values()):
        assert (VOCAB[f"actor-type/{concept}"], RDF.type, TSC.ActorType) in validator.ontology
