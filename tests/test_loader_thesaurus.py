"""The CBD thesaurus loader on a file of the API's shape (tests/data/loaders/thesaurus/); no network."""

from __future__ import annotations

import json

import pytest
from rdflib import Literal
from rdflib.namespace import SKOS

from graph.namespaces import GBF
from loaders.thesaurus import fetch_thesaurus, load_thesaurus
from tests.conftest import TEST_DATA

SOURCE = "GBF-TARGETS"


@pytest.fixture(scope="module")
def loaded(validator):
    return load_thesaurus((TEST_DATA / "loaders" / "thesaurus" / "gbf-targets.json").read_bytes(), SOURCE,
                          validator.ontology)


def test_labels_come_from_short_titles_then_titles_without_the_cbd_prefix(loaded):
    g = loaded.graph
    assert set(g.objects(GBF["target/1"], SKOS.prefLabel)) == {
        Literal("Plan and Manage all Areas To Reduce Biodiversity Loss", lang="en"),
        Literal("Planifier et gérer toutes les zones afin de réduire la perte de biodiversité", lang="fr"),
        Literal("TEST ONLY - not a CBD title (target 1, es)", lang="es"),
    }
    assert set(g.objects(GBF["target/3"], SKOS.prefLabel)) == {
        Literal("TEST ONLY - not a CBD title (target 3, en)", lang="en"),
        Literal("TEST ONLY - pas un titre de la CDB (cible 3, fr)", lang="fr"),
        Literal("TEST ONLY - not a CBD title (target 3, es)", lang="es"),
    }
    assert set(g.subjects()) == {GBF["target/1"], GBF["target/3"]}
    assert loaded.records == 2


def test_the_report_is_exact(loaded):
    assert [(p.where, p.message, p.value) for p in loaded.problems] == [
        ("term[1] GBF-TARGET-02", "term has no title in en, fr or es; labels left as they are", "GBF-TARGET-02"),
        ("term[3] GBF-TARGET-99", "term matches none of our concepts", "GBF-TARGET-99"),
        ("term[4]", "term has no identifier; left out", ""),
        ("term[5] GBF-TARGET-01", "term given twice; the first is kept", "GBF-TARGET-01"),
    ] + [
        ("answer", "our concept has no term in the answer; its labels were not refreshed", f"GBF-TARGET-{n:02d}")
        for n in range(4, 24)
    ]
    assert all(p.source == SOURCE for p in loaded.problems)


def test_irregular_indicator_identifiers_and_goals(validator):
    """Matched by the identifier we store (B.1 is GBF-INDICATOR-B1); goals keep "Goal X" as prefLabel."""
    answer = [
        {"identifier": "GBF-INDICATOR-B1", "title": {"en": "B.1 TEST ONLY indicator title"}},
        {"identifier": "GBF-INDICATOR-A.1", "name": "A.1 Red List of Ecosystems", "title": {"en": "A.1 Red List of Ecosystems"}},
        {"identifier": "GBF-GOAL-B", "shortTitle": {"en": "GBF-G-B. TEST ONLY goal short title"}},
    ]
    loaded = load_thesaurus(json.dumps(answer), "test", validator.ontology)
    g = loaded.graph
    assert g.value(GBF["indicator/B.1"], SKOS.prefLabel) == Literal("TEST ONLY indicator title", lang="en")
    assert g.value(GBF["indicator/A.1"], SKOS.prefLabel) == Literal("Red List of Ecosystems", lang="en")
    assert g.value(GBF["goal/B"], SKOS.altLabel) == Literal("TEST ONLY goal short title", lang="en")
    assert (GBF["goal/B"], SKOS.prefLabel, None) not in g
    missing = {p.value for p in loaded.problems}
    assert "GBF-GOAL-A" in missing and "GBF-INDICATOR-2.2" in missing and "GBF-TARGET-01" not in missing


@pytest.mark.parametrize("data, message", [(b"<html>", "not JSON"), (b'{"terms": []}', "not a JSON array of thesaurus terms")])
def test_unreadable_answers(validator, data, message):
    loaded = load_thesaurus(data, "x", validator.ontology)
    assert [(p.where, p.message) for p in loaded.problems] == [("document", message)] and len(loaded.graph) == 0


def test_fetch_refuses_a_domain_that_would_change_the_url():
    with pytest.raises(ValueError):
        fetch_thesaurus("GBF-TARGETS/../../x", "http://127.0.0.1:9/{domain}", timeout=0.1)
