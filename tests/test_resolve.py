"""The label resolver: every spelling CHM staff use for a concept, and what must not resolve."""

from __future__ import annotations

import pytest

from graph.namespaces import VOCAB
from loaders.resolve import default_resolver, normalise

TARGET_3 = VOCAB["gbf/target/3"]
ARTICLE_18 = VOCAB["cbd/article/18"]


@pytest.fixture(scope="module")
def resolver():
    return default_resolver()


@pytest.mark.parametrize("text", ["Target 3", "target 3", "TARGET 03", "T3", "t 3", "cible 3", "Cible 3",
                                  "3", " 3 ", "30x30", "30X30", "30 x 30", "GBF Target 3",
                                  "Conserve 30% of Land, Waters and Seas",
                                  "conserver 30 % des terres, des eaux et des mers"])
def test_gbf_target_spellings(resolver, text):
    assert resolver.resolve("gbf-target", text) == TARGET_3


@pytest.mark.parametrize("text", ["Art. 18", "Art 18", "art.18", "Article 18", "article 18", "ARTICLE 18", "18",
                                  "Technical and Scientific Cooperation", "Coopération technique et scientifique"])
def test_cbd_article_spellings(resolver, text):
    assert resolver.resolve("cbd-article", text) == ARTICLE_18


@pytest.mark.parametrize("scheme, text", [("gbf-target", "Target 99"), ("gbf-target", "Target 0"),
                                          ("gbf-target", "Art. 3"), ("gbf-target", ""), ("gbf-target", "A"),
                                          ("cbd-article", "Art. 99"), ("cbd-article", "Target 18"),
                                          ("place", "Atlantis"), ("place", "XX"), ("modality", "Dancing"),
                                          ("status", "Unknown")])
def test_what_does_not_resolve(resolver, scheme, text):
    assert resolver.resolve(scheme, text) is None


@pytest.mark.parametrize("text, code", [("FR", "FR"), ("fr", "FR"), ("France", "FR"), ("Sénégal", "SN"),
                                        ("senegal", "SN"), ("Côte d'Ivoire", "CI"), ("côte d’ivoire", "CI"),
                                        ("Germany", "DE"), ("Allemagne", "DE"), ("Guyane", "GF"),
                                        ("French Guiana", "GF"), ("Nouvelle-Calédonie", "NC")])
def test_places_by_code_and_name(resolver, text, code):
    assert resolver.resolve("place", text) == VOCAB[f"place/{code}"]


@pytest.mark.parametrize("scheme, text, slug", [
    ("modality", "Training", "training"), ("modality", "FORMATION", "training"),
    ("modality", "transfert de technologie", "technology-transfer"), ("modality", "Echange d'experts", "expert-exchange"),
    ("modality", "joint-research", "joint-research"),
    ("actor-type", "Université", "university"), ("actor-type", "universite", "university"),
    ("actor-type", "Établissement public", "public-agency"), ("actor-type", "Research institute", "research-institute"),
    ("status", "Ongoing", "ongoing"), ("status", "en cours", "ongoing"), ("status", "Terminé", "completed"),
    ("status", "Clos", "closed"), ("status", "open", "open"),
])
def test_concepts_by_label_in_english_and_french(resolver, scheme, text, slug):
    assert resolver.resolve(scheme, text) == VOCAB[f"{scheme}/{slug}"]


def test_unknown_scheme_is_a_programming_error(resolver):
    with pytest.raises(KeyError):
        resolver.resolve("sdg", "15")


def test_normalise_ignores_case_accents_and_spaces():
    assert normalise("  Établissement   PUBLIC. ") == "etablissement public"
