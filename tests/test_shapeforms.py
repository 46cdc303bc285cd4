"""The form model read from the shapes, form data → RDF, and validation results → fields (pure functions)."""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from graph import shapeforms as sf
from graph.namespaces import GBF, SCHEMA, TSC, TSCSH

BASE = "https://chm.example.org/"
LANGS = ("en", "fr")
OFB = URIRef(BASE + "id/actor/ofb")
NGO = "https://w3id.org/tscgraph/vocab/actor-type/ngo"


@pytest.fixture(scope="module")
def forms(validator):
    return sf.forms_of(validator.shapes, validator.ontology, LANGS)


def test_every_kind_has_a_form(forms):
    assert set(forms) == set(sf.KINDS)
    assert forms["project"].shape == TSCSH.ProjectShape and forms["organisation"].classes == (TSC.Actor,)


def test_project_fields_follow_the_groups_and_orders_of_the_shapes(forms):
    project = forms["project"]
    groups = [(g.labels["en"], [f.key for f in fields]) for g, fields in project.groups()]
    assert [name for name, _ in groups] == ["Identification", "Scope", "People and organisations", "Dates and budget", "Contact"]
    assert groups[0][1][:2] == ["dcterms-title", "dcterms-description"]
    assert groups[2][1] == ["tsc-leadOrganisation", "tsc-partner", "tsc-funder"]
    assert groups[3][1] == ["schema-startDate", "schema-endDate", "tsc-budget"]
    title = project.field("dcterms-title")
    assert title.widget == "lang" and title.unique_lang and title.required and title.names == {"en": "title", "fr": "titre"}
    assert not project.field("dcterms-description").required  # its minCount is a warning only


def test_widgets_and_cardinalities_come_from_the_constraints(forms):
    project = forms["project"]
    lead = project.field("tsc-leadOrganisation")
    assert (lead.widget, lead.cls, lead.min_count, lead.max_count, lead.new_actor) == ("reference", TSC.Actor, 1, 1, True)
    assert project.field("tsc-partner").many and project.field("schema-startDate").widget == "date"
    assert project.field("tsc-status").max_count == 1 and project.field("schema-url").widget == "url"
    budget = project.field("tsc-budget")
    assert budget.widget == "node" and [s.key for s in budget.subfields] == [
        "tsc-budget.schema-value", "tsc-budget.schema-currency", "tsc-budget.schema-minValue"]
    amount, currency, lower_bound = budget.subfields
    assert amount.widget == "number" and currency.widget == "choice" and "EUR" in currency.option_values()
    # an exact amount or a lower bound ("more than …", issue #20): neither field alone is required
    assert not amount.required and lower_bound.widget == "number" and not lower_bound.required
    assert forms["organisation"].field("tsc-bioBridgeMember").widget == "boolean"


def test_choices_are_labelled_from_the_vocabularies(forms):
    targets = forms["project"].field("tsc-contributesToTarget")
    assert len(targets.options) == 23 and targets.options[2].value == GBF["target/3"]
    assert targets.options[2].label("en") == "Target 3 — Conserve 30% of Land, Waters and Seas"
    assert targets.options[2].label("fr") == "Cible 3 — Conserver 30 % des terres, des eaux et des mers"
    assert forms["project"].field("tsc-implementsArticle").options[7].label("en") == "Article 8 — In-situ Conservation"
    places = forms["project"].field("dcterms-spatial")
    assert places.widget == "choice" and len(places.options) > 250
    assert {o.group["en"] for o in places.options} == {"Country", "Overseas territory", "Region"}
    assert [o.label("fr") for o in forms["project"].field("tsc-status").options] == ["Prévu", "En cours", "Terminé", "Annulé"]


def test_a_shape_with_several_classes_asks_for_the_kind(forms):
    knowledge = forms["knowledge"]
    kind = knowledge.fields[0]
    assert kind.key == sf.TYPE_KEY and kind.widget == "type" and len(kind.options) == 3
    assert {o.label("en") for o in kind.options} == {"Best practice", "Lesson learned", "Case study"}


def filled_project() -> dict[str, list[str]]:
    return {
        "dcterms-title.en": ["Mangroves of Mayotte"], "dcterms-title.fr": ["Mangroves de Mayotte"],
        "dcterms-description.en": [""], "dcterms-subject.fr": ["mangrove\n  littoral \n"],
        "tsc-contributesToTarget": [str(GBF["target/3"]), str(GBF["target/8"])],
        "tsc-leadOrganisation": [str(OFB)], "schema-startDate": ["2024-01-15"], "schema-endDate": [""],
        "tsc-budget.schema-value": ["150000.00"], "tsc-budget.schema-currency": ["EUR"],
        "schema-url": ["https://example.org/mangroves"], "tsc-isExample": ["true"],
    }


def directory_form(forms) -> sf.Form:
    return sf.with_directory(forms["project"], {TSC.Actor: [sf.Option(OFB, {"en": "OFB"})]})


def test_a_filled_form_gives_the_expected_triples(forms):
    form = directory_form(forms)
    record = URIRef(BASE + "id/project/x")
    built = sf.build_graph(form, filled_project(), record, BASE, LANGS)
    g = built.graph
    assert set(g.objects(record, DCTERMS.title)) == {Literal("Mangroves of Mayotte", lang="en"), Literal("Mangroves de Mayotte", lang="fr")}
    assert not list(g.objects(record, DCTERMS.description))  # empty inputs are omitted
    assert set(g.objects(record, DCTERMS.subject)) == {Literal("mangrove", lang="fr"), Literal("littoral", lang="fr")}
    assert set(g.objects(record, TSC.contributesToTarget)) == {GBF["target/3"], GBF["target/8"]}
    assert g.value(record, TSC.leadOrganisation) == OFB and g.value(record, RDF.type) == TSC.Project
    assert g.value(record, SCHEMA.startDate) == Literal("2024-01-15", datatype=XSD.date)
    assert g.value(record, TSC.isExample) == Literal(True) and g.value(record, SCHEMA.url) == URIRef("https://example.org/mangroves")
    budget = g.value(record, TSC.budget)
    assert isinstance(budget, BNode) and built.nodes[budget] == "tsc-budget"
    assert g.value(budget, SCHEMA.value) == Literal("150000.00", datatype=XSD.decimal) and g.value(budget, SCHEMA.currency) == Literal("EUR")


def test_a_proposed_actor_is_a_new_record_of_the_submission(forms, validator):
    data = filled_project() | {"tsc-leadOrganisation": [""], "tsc-leadOrganisation.new-name": ["Les Amis des Mangroves"],
                               "tsc-leadOrganisation.new-type": [NGO]}
    record = sf.mint(BASE, "project", "Mangroves of Mayotte")
    assert str(record).startswith(BASE + "id/project/mangroves-of-mayotte-") and len(str(record).rsplit("-", 1)[1]) == 6
    built = sf.build_graph(directory_form(forms), data, record, BASE, LANGS, lang="fr")
    actor = built.graph.value(record, TSC.leadOrganisation)
    assert str(actor).startswith(BASE + "id/actor/les-amis-des-mangroves-")
    assert built.graph.value(actor, SKOS.prefLabel) == Literal("Les Amis des Mangroves", lang="fr")
    assert built.graph.value(actor, TSC.actorType) == URIRef(NGO) and built.nodes[actor] == "tsc-leadOrganisation"
    assert validator.validate(built.graph).conforms


def test_validation_results_are_mapped_to_their_fields(forms, validator):
    form = directory_form(forms)
    data = filled_project() | {
        "dcterms-title.en": [""], "dcterms-title.fr": [""], "tsc-contributesToTarget": ["not-a-target"],
        "schema-startDate": ["2024-05-01"], "schema-endDate": ["2023-01-01"], "tsc-budget.schema-value": ["abc"],
        "schema-url": ["example.org"], "tsc-leadOrganisation": [""], "tsc-leadOrganisation.new-name": ["New one"],
    }
    record = URIRef(BASE + "id/project/y")
    built = sf.build_graph(form, data, record, BASE, LANGS)
    report = validator.validate(built.graph)
    by_field, loose = sf.results_by_field(form, built, report)
    messages = {key: {r.message("en") for r in results} for key, results in by_field.items()}
    assert "The project has no title." in messages["dcterms-title"]
    assert "Not one of the 23 GBF targets (Kunming-Montreal Global Biodiversity Framework)." in messages["tsc-contributesToTarget"]
    assert "The end date is before the start date." in messages["schema-startDate"]
    assert "The amount must be a decimal number (xsd:decimal), e.g. 150000.00." in messages["tsc-budget.schema-value"]
    assert "The web site must be an IRI (<https://…>), not text." in messages["schema-url"]
    assert "The actor has no actor type." in messages["tsc-leadOrganisation"]  # the proposed actor's fault, at its field
    assert not loose
    french = {r.message("fr") for r in by_field["dcterms-title"]}
    assert "Le projet n'a pas de titre." in french


def test_a_published_record_prefills_its_form_and_keeps_what_the_form_does_not_show(forms):
    form = directory_form(forms)
    record = URIRef(BASE + "id/project/x")
    built = sf.build_graph(form, filled_project(), record, BASE, LANGS)
    published = built.graph
    published.add((record, DCTERMS.title, Literal("Manglares", lang="es")))
    published.add((record, DCTERMS.source, URIRef("https://example.org/source")))
    data = sf.record_data(form, published, record, LANGS)
    assert data["dcterms-title.en"] == ["Mangroves of Mayotte"] and data["tsc-budget.schema-currency"] == ["EUR"]
    assert sorted(data["tsc-contributesToTarget"]) == sorted([str(GBF["target/3"]), str(GBF["target/8"])])
    rebuilt = sf.build_graph(form, data, record, BASE, LANGS).graph + sf.carried_over(form, published, record, LANGS)
    assert (record, DCTERMS.title, Literal("Manglares", lang="es")) in rebuilt
    assert (record, DCTERMS.source, URIRef("https://example.org/source")) in rebuilt
    assert len(rebuilt) == len(published)


def test_read_only_deactivated_and_ungrouped_properties_are_not_fields(validator):
    from rdflib import Graph

    shapes = Graph() + validator.shapes
    extra = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix tscsh: <https://w3id.org/tscgraph/shapes#> .
        @prefix tsc: <https://w3id.org/tscgraph/ontology#> . @prefix dash: <http://datashapes.org/dash#> .
        tscsh:ProjectShape sh:property tscsh:a , tscsh:b , tscsh:c .
        tscsh:a sh:path tsc:a ; sh:group tscsh:ScopeGroup ; dash:readOnly true .
        tscsh:b sh:path tsc:b ; sh:group tscsh:ScopeGroup ; sh:deactivated true .
        tscsh:c sh:path tsc:c .
    """, format="turtle")
    form = sf.build_form(shapes + extra, validator.ontology, TSCSH.ProjectShape, LANGS)
    assert {(s.path, s.reason) for s in form.skipped} == {(TSC.a, "read-only"), (TSC.b, "deactivated"), (TSC.c, "no-group")}
    assert not {TSC.a, TSC.b, TSC.c} & {f.path for f in form.fields}
