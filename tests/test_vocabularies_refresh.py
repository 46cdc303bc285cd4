"""The CBD thesaurus labels put in place (graph/vocabularies.py, ``tscgraph refresh-labels``), on a real store.

The answer is the loader's test file (tests/data/loaders/thesaurus/gbf-targets.json): target 1 with its real
en/fr short titles and a fake Spanish one, target 3 with fake "TEST ONLY" titles in en/fr/es, and terms
that make problems. No network.
"""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

import tests.test_vocabularies as vocabulary_checks
from graph.loading import setup_store
from graph.namespaces import GBF, TSC, VOCAB
from graph.settings import load_settings
from graph.store.oxigraph import OxigraphStore
from graph.store.view import PublicView
from graph.vocabularies import apply_labels, refresh_from_thesaurus
from loaders.thesaurus import load_thesaurus
from tests.conftest import TEST_DATA

ANSWER = TEST_DATA / "loaders" / "thesaurus" / "gbf-targets.json"
TARGET_1, TARGET_3, TARGET_4 = GBF["target/1"], GBF["target/3"], GBF["target/4"]
TARGET_3_FR = Literal("TEST ONLY - pas un titre de la CDB (cible 3, fr)", lang="fr")
TARGET_3_ES = Literal("TEST ONLY - not a CBD title (target 3, es)", lang="es")
TARGET_1_ES = Literal("TEST ONLY - not a CBD title (target 1, es)", lang="es")
FR = Literal("fr")
CBD_SCHEME = URIRef(str(VOCAB) + "cbd")

ONE_PREF_LABEL_PER_LANGUAGE = """
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT ?g ?concept ?lang (COUNT(?label) AS ?labels) WHERE {
      GRAPH ?g { ?concept skos:prefLabel ?label }
      BIND(LANG(?label) AS ?lang)
    } GROUP BY ?g ?concept ?lang HAVING (COUNT(?label) != 1)
"""


@pytest.fixture(scope="module")
def labels(validator) -> Graph:
    return load_thesaurus(ANSWER.read_bytes(), "GBF-TARGETS", validator.ontology).graph


@pytest.fixture
def refreshed(settings, store, validator, labels):
    """A set-up store with the answer's labels put in place; yields (store, concepts changed)."""
    setup_store(store, settings, validator)
    return store, refresh_from_thesaurus(store, settings, labels)


def pref_labels(graph: Graph, concept: URIRef, lang: str) -> set:
    return {o for o in graph.objects(concept, SKOS.prefLabel) if o.language == lang}


def cbd_markers(graph: Graph) -> int:
    return sum(1 for c in graph.subjects(SKOS.inScheme, CBD_SCHEME) if (c, TSC.translatedLabelLanguage, FR) in graph)


# ------------------------------------------------------------------ apply_labels (pure)


def test_apply_replaces_labels_per_language_and_drops_the_marker(validator, labels):
    shipped = validator.ontology
    before = len(shipped)
    out = apply_labels(shipped, labels)
    assert len(shipped) == before  # pure
    assert pref_labels(out, TARGET_3, "fr") == {TARGET_3_FR}
    assert pref_labels(out, TARGET_3, "en") == {Literal("TEST ONLY - not a CBD title (target 3, en)", lang="en")}
    assert pref_labels(out, TARGET_3, "es") == {TARGET_3_ES}
    assert pref_labels(out, TARGET_1, "es") == {TARGET_1_ES}
    assert (TARGET_3, TSC.translatedLabelLanguage, FR) in shipped
    assert (TARGET_3, TSC.translatedLabelLanguage, FR) not in out
    assert (TARGET_4, TSC.translatedLabelLanguage, FR) in out  # not in the answer
    assert pref_labels(out, TARGET_4, "fr") == pref_labels(shipped, TARGET_4, "fr")
    # other properties stay; the refreshed concept cites its thesaurus term
    assert set(out.objects(TARGET_3, SKOS.altLabel)) == set(shipped.objects(TARGET_3, SKOS.altLabel))
    assert Literal("Cible 3", lang="fr") in set(out.objects(TARGET_3, SKOS.altLabel))
    assert (TARGET_3, DCTERMS.source, URIRef("https://api.cbd.int/api/v2013/thesaurus/terms/GBF-TARGET-03")) in out
    assert cbd_markers(out) == cbd_markers(shipped) == 47  # 42 articles and 8(j), decisions 15/4, 15/5, 15/8, one protocol


def test_goals_get_alt_labels_in_the_answer_s_languages_only(validator):
    goal_b = GBF["goal/B"]
    answer = [{"identifier": "GBF-GOAL-B", "shortTitle": {"en": "GBF-G-B. TEST ONLY goal short title"}}]
    out = apply_labels(validator.ontology, load_thesaurus(json.dumps(answer), "test", validator.ontology).graph)
    assert set(out.objects(goal_b, SKOS.altLabel)) == {Literal("TEST ONLY goal short title", lang="en")}
    assert set(out.objects(goal_b, SKOS.prefLabel)) == {Literal("Goal B", lang="en"), Literal("Objectif B", lang="fr")}
    assert (goal_b, TSC.translatedLabelLanguage, FR) in out  # the answer gave no French


def test_two_pref_labels_in_one_language_are_refused(validator):
    labels = Graph()
    labels.add((TARGET_3, SKOS.prefLabel, Literal("one", lang="fr")))
    labels.add((TARGET_3, SKOS.prefLabel, Literal("two", lang="fr")))
    with pytest.raises(ValueError, match="two skos:prefLabel"):
        apply_labels(validator.ontology, labels)


def test_labels_of_concepts_we_do_not_have_are_left_out(validator):
    labels = Graph()
    labels.add((GBF["target/99"], SKOS.prefLabel, Literal("no such target", lang="en")))
    assert len(apply_labels(validator.ontology, labels)) == len(validator.ontology)


# ------------------------------------------------------------------ in the store


def test_refresh_puts_the_labels_in_the_ontology_graph(refreshed, settings, validator, labels):
    store, changed = refreshed
    assert changed == 2  # target 1 (Spanish added) and target 3
    ontology = store.read_graph(settings.ontology_graph)
    assert pref_labels(ontology, TARGET_3, "fr") == {TARGET_3_FR}
    assert pref_labels(ontology, TARGET_3, "es") == {TARGET_3_ES}
    assert pref_labels(ontology, TARGET_1, "fr") == {
        Literal("Planifier et gérer toutes les zones afin de réduire la perte de biodiversité", lang="fr")}
    assert (TARGET_3, TSC.translatedLabelLanguage, FR) not in ontology
    assert (TARGET_4, TSC.translatedLabelLanguage, FR) in ontology
    assert cbd_markers(ontology) == 47
    assert store.select(ONE_PREF_LABEL_PER_LANGUAGE) == []
    assert set(store.read_graph(settings.thesaurus_graph)) == set(labels)
    assert validator.validate(ontology).conforms
    vocabulary_checks.test_every_concept_has_exactly_one_pref_label_in_english_and_in_french(ontology)
    vocabulary_checks.test_gbf_and_cbd_concepts_without_the_marker_cite_a_source(ontology)


def test_the_public_sees_each_label_once_and_not_the_thesaurus_graph(refreshed, settings):
    store, _ = refreshed
    view = PublicView(store, settings.is_public_graph)
    assert URIRef(settings.thesaurus_graph) in store.graph_names()
    assert URIRef(settings.thesaurus_graph) not in view.graph_names()
    rows = view.query("SELECT ?c ?label WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }",
                      bindings={"c": TARGET_3}).bindings()
    labels = [row["label"] for row in rows]
    assert sorted(labels) == sorted(set(labels)) and TARGET_3_FR in labels
    assert len([label for label in labels if label.language == "fr"]) == 1


def test_setup_again_keeps_the_thesaurus_labels(refreshed, settings, validator):
    store, _ = refreshed
    setup_store(store, settings, validator)
    ontology = store.read_graph(settings.ontology_graph)
    assert pref_labels(ontology, TARGET_3, "fr") == {TARGET_3_FR}
    assert (TARGET_3, TSC.translatedLabelLanguage, FR) not in ontology
    assert (TARGET_4, TSC.translatedLabelLanguage, FR) in ontology
    assert store.select(ONE_PREF_LABEL_PER_LANGUAGE) == []


def test_a_newer_answer_replaces_the_kept_labels_per_language(refreshed, settings):
    store, _ = refreshed
    newer = Graph()
    newer.add((TARGET_3, SKOS.prefLabel, Literal("TEST ONLY - v2", lang="fr")))
    assert refresh_from_thesaurus(store, settings, newer) == 1
    kept = store.read_graph(settings.thesaurus_graph)
    assert pref_labels(kept, TARGET_3, "fr") == {Literal("TEST ONLY - v2", lang="fr")}
    assert pref_labels(kept, TARGET_3, "es") == {TARGET_3_ES}
    assert pref_labels(store.read_graph(settings.ontology_graph), TARGET_3, "fr") == {Literal("TEST ONLY - v2", lang="fr")}
    assert refresh_from_thesaurus(store, settings, newer) == 0  # nothing new


# ------------------------------------------------------------------ the command


@pytest.fixture
def cli_store(run_cli, validator):
    """The run_cli store, set up; returns its settings."""
    cli_settings = load_settings(overrides={"store_dir": run_cli.store_dir}, environ={})
    with OxigraphStore(cli_settings.store_dir) as store:
        setup_store(store, cli_settings, validator)
    return cli_settings


def fingerprints(cli_settings) -> dict:
    with OxigraphStore(cli_settings.store_dir) as store:
        return store.fingerprints()


@pytest.mark.parametrize("content", ["<html>not json</html>", '{"terms": []}'])
def test_cli_refuses_an_answer_that_is_not_a_json_array(run_cli, cli_store, tmp_path, content):
    before = fingerprints(cli_store)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run_cli("refresh-labels", bad, "--allow-problems")
    assert result.returncode == 2, result.stderr
    assert "nothing was written" in result.stderr and f"{bad}: document:" in result.stderr
    assert fingerprints(cli_store) == before


def test_cli_bad_domain_writes_nothing(run_cli, cli_store):
    before = fingerprints(cli_store)
    result = run_cli("refresh-labels", "--domain", "GBF-TARGETS/../x")
    assert result.returncode == 2 and "not a CBD thesaurus domain" in result.stderr
    assert fingerprints(cli_store) == before


def test_cli_problems_stop_the_write_unless_allowed(run_cli, cli_store):
    before = fingerprints(cli_store)
    result = run_cli("refresh-labels", ANSWER)
    assert result.returncode == 1, result.stderr
    assert f"problem: {ANSWER}: term[3] GBF-TARGET-99: term matches none of our concepts" in result.stderr
    assert "--allow-problems" in result.stderr and fingerprints(cli_store) == before

    result = run_cli("refresh-labels", ANSWER, "--check")
    assert result.returncode == 1 and "2 concept(s) would change" in result.stderr
    assert fingerprints(cli_store) == before

    result = run_cli("refresh-labels", ANSWER, "--allow-problems")
    assert result.returncode == 0, result.stderr
    assert "20 of our concept(s) not in the answer" in result.stderr
    assert "2 concept(s) changed (labels in en, es, fr)" in result.stderr
    with OxigraphStore(cli_store.store_dir) as store:
        assert pref_labels(store.read_graph(cli_store.ontology_graph), TARGET_3, "fr") == {TARGET_3_FR}
