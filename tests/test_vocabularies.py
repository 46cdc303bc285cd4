"""The reference vocabularies (``ontology/gbf.ttl``, ``cbd.ttl``, ``places.ttl``, ``concepts.ttl``):
the counts and identifiers the CBD publishes, SKOS hygiene as zero-row queries, the marking of
unofficial French labels, and agreement with ``docs/data-model.md`` and with the shapes.

The vocabularies are the validator's own parsed ontology graph (``validator.ontology``): the
union of ``ontology/*.ttl``, read once per session.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, SH, SKOS, XSD

from graph.namespaces import CBD, GBF, PLACE, TSC, VOCAB
from graph.validation import read_turtle_dir
from tests.hygiene import assert_no_rows

ROOT = Path(__file__).resolve().parent.parent
DATA_MODEL = ROOT / "docs" / "data-model.md"
THESAURUS = "https://api.cbd.int/api/v2013/thesaurus/terms/"
GBF_SCHEME = URIRef(str(VOCAB) + "gbf")
CBD_SCHEME = URIRef(str(VOCAB) + "cbd")


@pytest.fixture(scope="module")
def vocab(validator) -> Graph:
    return validator.ontology


@pytest.fixture(scope="module")
def shapes(validator) -> Graph:
    return validator.shapes


def target(n: int) -> URIRef:
    return GBF[f"target/{n}"]


def article(n: int) -> URIRef:
    return CBD[f"article/{n}"]


def one(graph: Graph, subject: URIRef, predicate: URIRef) -> list:
    return sorted(graph.objects(subject, predicate))


# ------------------------------------------------------------------ GBF: goals, targets, indicators


def test_four_goals_a_to_d(vocab):
    goals = set(vocab.subjects(RDF.type, TSC.GBFGoal))
    assert goals == {GBF[f"goal/{g}"] for g in "ABCD"}
    assert_no_rows(
        vocab,
        """
        SELECT ?goal ?notation WHERE {
          ?goal a tsc:GBFGoal .
          OPTIONAL { ?goal skos:notation ?notation }
          FILTER(!BOUND(?notation) || !STRENDS(STR(?goal), CONCAT("/goal/", STR(?notation))))
        }
        """,
    )


def test_twenty_three_targets(vocab):
    assert set(vocab.subjects(RDF.type, TSC.GBFTarget)) == {target(n) for n in range(1, 24)}


@pytest.mark.parametrize("n", range(1, 24))
def test_target_identifiers(vocab, n):
    t = target(n)
    identifier = f"GBF-TARGET-{n:02d}"
    assert one(vocab, t, TSC.targetNumber) == [Literal(n, datatype=XSD.positiveInteger)]
    assert one(vocab, t, SKOS.notation) == [Literal(str(n))]
    assert one(vocab, t, DCTERMS.identifier) == [Literal(identifier)]
    assert URIRef(THESAURUS + identifier) in set(vocab.objects(t, SKOS.exactMatch))
    assert one(vocab, t, FOAF.page) == [URIRef(f"https://www.cbd.int/gbf/targets/{n}/")]
    assert (t, SKOS.inScheme, GBF_SCHEME) in vocab


def test_gbf_identifiers_and_thesaurus_links_agree(vocab):
    """Whatever carries a CBD thesaurus identifier links to that very thesaurus term."""
    assert_no_rows(
        vocab,
        """
        SELECT ?concept ?identifier WHERE {
          ?concept skos:inScheme <https://w3id.org/tscgraph/vocab/gbf> ; dcterms:identifier ?identifier .
          FILTER NOT EXISTS {
            ?concept skos:exactMatch ?match .
            FILTER(STR(?match) = CONCAT("https://api.cbd.int/api/v2013/thesaurus/terms/", STR(?identifier)))
          }
        }
        """,
    )


def test_twenty_seven_headline_indicators(vocab):
    indicators = set(vocab.subjects(RDF.type, TSC.HeadlineIndicator))
    assert len(indicators) == 27
    notations = [str(vocab.value(i, SKOS.notation)) for i in indicators]
    assert len(set(notations)) == 27, "headline indicator notations are unique"


def test_every_headline_indicator_is_narrower_than_goals_or_targets_only(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?indicator ?broader WHERE {
          ?indicator a tsc:HeadlineIndicator .
          OPTIONAL { ?indicator skos:broader ?broader }
          FILTER(!BOUND(?broader) || NOT EXISTS { VALUES ?kind { tsc:GBFGoal tsc:GBFTarget } ?broader a ?kind })
        }
        """,
    )


def test_headline_indicator_links_agree_both_ways(vocab):
    """``goal/target tsc:headlineIndicator i`` exactly when ``i skos:broader goal/target``."""
    assert_no_rows(
        vocab,
        """
        SELECT ?goalOrTarget ?indicator ?missing WHERE {
          {
            ?indicator a tsc:HeadlineIndicator ; skos:broader ?goalOrTarget .
            FILTER NOT EXISTS { ?goalOrTarget tsc:headlineIndicator ?indicator }
            BIND("tsc:headlineIndicator" AS ?missing)
          } UNION {
            ?goalOrTarget tsc:headlineIndicator ?indicator .
            FILTER NOT EXISTS { ?indicator a tsc:HeadlineIndicator ; skos:broader ?goalOrTarget }
            BIND("skos:broader (or the indicator is not a tsc:HeadlineIndicator)" AS ?missing)
          }
        }
        """,
    )


# ------------------------------------------------------------------ CBD: articles, instruments, decisions


def test_forty_two_articles(vocab):
    assert set(vocab.subjects(RDF.type, TSC.CBDArticle)) == {article(n) for n in range(1, 43)}
    assert_no_rows(
        vocab,
        """
        SELECT ?article ?number ?notation WHERE {
          ?article a tsc:CBDArticle .
          OPTIONAL { ?article tsc:articleNumber ?number }
          OPTIONAL { ?article skos:notation ?notation }
          FILTER(!BOUND(?number) || !BOUND(?notation) || DATATYPE(?number) != xsd:positiveInteger
                 || STR(?number) != STR(?notation)
                 || STR(?article) != CONCAT("https://w3id.org/tscgraph/vocab/cbd/article/", STR(?number)))
        }
        """,
    )
    counts = {a: len(one(vocab, a, TSC.articleNumber)) for a in vocab.subjects(RDF.type, TSC.CBDArticle)}
    assert set(counts.values()) == {1}, "one article number each"


@pytest.mark.parametrize(
    "iri, cls",
    [
        (CBD["instrument/convention"], TSC.LegalInstrument),
        (CBD["instrument/cartagena-protocol"], TSC.LegalInstrument),
        (CBD["instrument/nagoya-protocol"], TSC.LegalInstrument),
        (CBD["instrument/nagoya-kuala-lumpur-supplementary-protocol"], TSC.LegalInstrument),
        (CBD["decision/15-4"], TSC.Decision),
        (CBD["decision/15-8"], TSC.Decision),
    ],
    ids=lambda x: str(x).rsplit("/", 2)[-1] if "vocab" in str(x) else "",
)
def test_instruments_and_decisions_exist(vocab, iri, cls):
    assert (iri, RDF.type, cls) in vocab
    assert (iri, SKOS.inScheme, CBD_SCHEME) in vocab


# ------------------------------------------------------------------ SKOS hygiene, every scheme

CONCEPTS = """
  { ?concept a skos:Concept } UNION { ?concept a ?cls . ?cls rdfs:subClassOf+ skos:Concept }
"""


def test_every_concept_has_exactly_one_pref_label_in_english_and_in_french(vocab):
    assert_no_rows(
        vocab,
        f"""
        SELECT ?concept ?lang (COUNT(DISTINCT ?label) AS ?labels) WHERE {{
          {{ SELECT DISTINCT ?concept WHERE {{ {CONCEPTS} }} }}
          VALUES ?lang {{ "en" "fr" }}
          OPTIONAL {{ ?concept skos:prefLabel ?label . FILTER(LANG(?label) = ?lang) }}
        }}
        GROUP BY ?concept ?lang
        HAVING (COUNT(DISTINCT ?label) != 1)
        """,
    )


def test_every_concept_is_in_a_concept_scheme(vocab):
    assert_no_rows(
        vocab,
        f"""
        SELECT DISTINCT ?concept ?scheme WHERE {{
          {CONCEPTS}
          OPTIONAL {{ ?concept skos:inScheme ?scheme }}
          FILTER(!BOUND(?scheme) || NOT EXISTS {{ ?scheme a skos:ConceptScheme }})
        }}
        """,
    )


def test_every_concept_scheme_has_labels_and_a_licence(vocab):
    schemes = set(vocab.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 8, sorted(schemes)
    assert_no_rows(
        vocab,
        """
        SELECT ?scheme ?missing WHERE {
          ?scheme a skos:ConceptScheme .
          {
            VALUES ?lang { "en" "fr" }
            FILTER NOT EXISTS { ?scheme skos:prefLabel ?label . FILTER(LANG(?label) = ?lang) }
            BIND(CONCAT("skos:prefLabel @", ?lang) AS ?missing)
          } UNION {
            FILTER NOT EXISTS { ?scheme dcterms:license ?licence }
            BIND("dcterms:license" AS ?missing)
          }
        }
        """,
    )


# ------------------------------------------------------------------ unofficial French labels are marked


def test_every_gbf_target_but_target_1_is_marked_as_translated(vocab):
    """Only Target 1 has an official French short title (CBD thesaurus, its dcterms:source).

    Removing the marker from another target is only right together with a source for its French
    title; then update this test and add the source.
    """
    marked = set(vocab.subjects(TSC.translatedLabelLanguage, Literal("fr")))
    unmarked = set(vocab.subjects(RDF.type, TSC.GBFTarget)) - marked
    assert unmarked == {target(1)}
    assert vocab.value(target(1), DCTERMS.source) is not None


def test_gbf_and_cbd_concepts_without_the_marker_cite_a_source(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?concept WHERE {
          VALUES ?scheme { <https://w3id.org/tscgraph/vocab/gbf> <https://w3id.org/tscgraph/vocab/cbd> }
          ?concept skos:inScheme ?scheme .
          FILTER NOT EXISTS { ?concept tsc:translatedLabelLanguage "fr" }
          FILTER NOT EXISTS { ?concept dcterms:source ?source }
        }
        """,
    )


# ------------------------------------------------------------------ SDG links

SDG = re.compile(r"^http://metadata\.un\.org/sdg/([1-9]|1[0-7])$")


def test_sdg_links_go_to_the_seventeen_goals_only(vocab):
    un_links = {o for o in vocab.objects() if isinstance(o, URIRef) and "metadata.un.org" in o}
    related = set(vocab.objects(None, SKOS.relatedMatch))
    assert un_links, "the GBF targets link SDGs: none found"
    bad = sorted(str(o) for o in un_links | related if not SDG.match(str(o)))
    assert not bad


def test_sdg_targets_belong_to_a_linked_sdg(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?target ?sdgTarget WHERE {
          ?target tsc:sdgTarget ?sdgTarget .
          FILTER NOT EXISTS {
            ?target skos:relatedMatch ?goal .
            FILTER(STR(?goal) = CONCAT("http://metadata.un.org/sdg/", STRBEFORE(STR(?sdgTarget), ".")))
          }
        }
        """,
    )


# ------------------------------------------------------------------ places

FRANCE = PLACE["FR"]
REGIONS = [
    "auvergne-rhone-alpes", "bourgogne-franche-comte", "bretagne", "centre-val-de-loire", "corse", "grand-est",
    "hauts-de-france", "ile-de-france", "normandie", "nouvelle-aquitaine", "occitanie", "pays-de-la-loire",
    "provence-alpes-cote-d-azur",
]  # fmt: skip
OVERSEAS = ["BL", "GF", "GP", "MF", "MQ", "NC", "PF", "PM", "RE", "TF", "WF", "YT", "FR/clipperton"]


def test_france_is_a_country(vocab):
    assert (FRANCE, RDF.type, TSC.Country) in vocab


def test_the_thirteen_metropolitan_regions(vocab):
    regions = {PLACE[f"FR/{slug}"] for slug in REGIONS}
    assert len(regions) == 13
    assert set(vocab.subjects(RDF.type, TSC.Region)) == regions
    not_in_france = sorted(str(r) for r in regions if (r, SKOS.broader, FRANCE) not in vocab)
    assert not not_in_france


def test_overseas_territories(vocab):
    territories = {PLACE[code] for code in OVERSEAS}
    assert set(vocab.subjects(RDF.type, TSC.OverseasTerritory)) == territories
    assert not [str(t) for t in territories if (t, SKOS.broader, FRANCE) not in vocab]
    also_countries = [str(t) for t in territories if (t, RDF.type, TSC.Country) in vocab]
    assert not also_countries, "an overseas territory is not also a country"


def test_place_notations_are_their_codes(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?place ?notation WHERE {
          ?place skos:inScheme <https://w3id.org/tscgraph/vocab/place> ; skos:notation ?notation .
          FILTER(STR(?place) != CONCAT("https://w3id.org/tscgraph/vocab/place/", STR(?notation)))
        }
        """,
    )


def test_every_place_has_one_place_class(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?place (COUNT(DISTINCT ?cls) AS ?classes) WHERE {
          ?place skos:inScheme <https://w3id.org/tscgraph/vocab/place> .
          OPTIONAL { VALUES ?cls { tsc:Country tsc:Region tsc:OverseasTerritory } ?place a ?cls }
        }
        GROUP BY ?place
        HAVING (COUNT(DISTINCT ?cls) != 1)
        """,
    )


# ------------------------------------------------------------------ docs/data-model.md and concepts.ttl agree


def documented_slugs(scheme: str) -> set[str]:
    """The backquoted slugs in the 'concepts' column of the scheme's row of the data-model table."""
    for line in DATA_MODEL.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] == f"`…/vocab/{scheme}`":
            return set(re.findall(r"`([a-z][a-z0-9-]*)`", cells[1]))
    raise AssertionError(f"no row for …/vocab/{scheme} in {DATA_MODEL}")


@pytest.mark.parametrize(
    "scheme, cls", [("modality", TSC.Modality), ("actor-type", TSC.ActorType), ("status", TSC.Status)]
)
def test_concept_slugs_match_the_data_model(vocab, scheme, cls):
    documented = documented_slugs(scheme)
    assert len(documented) >= 10, f"parsed too few slugs from the docs: {documented}"
    prefix = f"{VOCAB}{scheme}/"
    in_scheme = set(vocab.subjects(SKOS.inScheme, URIRef(f"{VOCAB}{scheme}")))
    assert all(c.startswith(prefix) for c in in_scheme)
    assert {c[len(prefix):] for c in in_scheme} == documented
    assert set(vocab.subjects(RDF.type, cls)) == in_scheme
    assert not [str(c) for c in in_scheme if str(vocab.value(c, SKOS.notation)) != c[len(prefix):]]


# ------------------------------------------------------------------ the shapes' value sets


def shape_in_list(shapes: Graph, path: URIRef) -> set:
    lists = [shapes.value(s, SH["in"]) for s in shapes.subjects(SH.path, path) if shapes.value(s, SH["in"])]
    assert len(lists) == 1, f"expected one sh:in list on {path}, found {len(lists)}"
    members = list(Collection(shapes, lists[0]))
    assert len(members) == len(set(members)), "no duplicates in sh:in"
    return set(members)


def test_target_shape_lists_exactly_the_vocabulary_targets(vocab, shapes):
    assert shape_in_list(shapes, TSC.contributesToTarget) == set(vocab.subjects(RDF.type, TSC.GBFTarget))


def test_article_shape_lists_exactly_the_vocabulary_articles(vocab, shapes):
    assert shape_in_list(shapes, TSC.implementsArticle) == set(vocab.subjects(RDF.type, TSC.CBDArticle))


def test_vocabulary_graph_is_the_ontology_folder(vocab):
    """The fixture really is ontology/*.ttl (a stale or partial validator graph would hide faults)."""
    assert len(vocab) == len(read_turtle_dir(ROOT / "ontology"))
