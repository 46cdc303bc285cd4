"""The reference vocabularies (``ontology/gbf.ttl``, ``cbd.ttl``, ``places.ttl``, ``concepts.ttl``):
the counts and identifiers the CBD publishes, SKOS hygiene as zero-row queries, the marking of
unofficial French labels, and agreement with ``docs/data-model.md`` and with the shapes.

Issue #20 pins: the headline indicators each goal and target has under annex I of decision 15/5 (point 1),
which list the indicator titles follow (point 2), Article 8(j) (point 3), SDG targets as UN SDG KOS IRIs
(point 4), the Convention's adoption date and the Nagoya Protocol's official French title (point 5), and SKOS
that needs no inference: hasTopConcept/topConceptOf and broader/narrower both ways, notations, indicators
outside the broader hierarchy (point 6).

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
DECISION_15_5 = URIRef("https://www.cbd.int/doc/decisions/cop-15/cop-15-dec-05-en.pdf")
THESAURUS = "https://api.cbd.int/api/v2013/thesaurus/terms/"
GBF_SCHEME = URIRef(str(VOCAB) + "gbf")
CBD_SCHEME = URIRef(str(VOCAB) + "cbd")
PLACE_SCHEME = URIRef(str(VOCAB) + "place")


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


#: Annex I of decision 15/5: the headline indicators of each goal and target (codes as in the Online Reporting
#: Tool's list: 15/5's "2.2 Area under restoration" is today's 2.1). Targets 8, 14, 16, 17, 20 and 23 have none.
#: Checked against the decision, not against the reference note gbf.json (which lacks the four marked *).
ANNEX_I_15_5 = {
    "goal/A": {"A.1", "A.2", "A.3", "A.4"}, "goal/B": {"B.1"}, "goal/C": {"C.1", "C.2"}, "goal/D": {"D.1", "D.2", "D.3"},
    "target/1": {"A.1", "A.2", "1.1"},  # * A.1, A.2
    "target/2": {"2.1"}, "target/3": {"3.1"},
    "target/4": {"A.3", "A.4"},  # * A.3, A.4
    "target/5": {"5.1"}, "target/6": {"6.1"}, "target/7": {"7.1", "7.2"}, "target/9": {"9.1", "9.2"},
    "target/10": {"10.1", "10.2"}, "target/11": {"B.1"}, "target/12": {"12.1"}, "target/13": {"C.1", "C.2"},
    "target/15": {"15.1"}, "target/18": {"18.1", "18.2"}, "target/19": {"D.1", "D.2", "D.3"}, "target/21": {"21.1"},
    "target/22": {"22.1"},
}  # fmt: skip


def test_headline_indicators_of_each_goal_and_target_are_those_of_decision_15_5(vocab):
    """Issue #20, point 1: A.1 and A.2 serve Target 1 besides 1.1; A.3 and A.4 serve Target 4."""
    found: dict[str, set[str]] = {}
    for concept, indicator in vocab.subject_objects(TSC.headlineIndicator):
        found.setdefault(str(concept)[len(str(GBF)):], set()).add(str(vocab.value(indicator, SKOS.notation)))
    assert found == ANNEX_I_15_5
    for concept in ("target/1", "target/4"):
        assert DECISION_15_5 in set(vocab.objects(GBF[concept], DCTERMS.source)), f"{concept} cites decision 15/5"


def test_headline_indicators_relate_to_goals_and_targets_by_tsc_headline_indicator_only(vocab):
    """Issue #20, point 6: ``indicator skos:broader target`` would make the indicator a narrower target."""
    assert_no_rows(
        vocab,
        """
        SELECT ?indicator ?property ?other WHERE {
          ?indicator a tsc:HeadlineIndicator .
          { ?indicator ?property ?other } UNION { ?other ?property ?indicator }
          VALUES ?property { skos:broader skos:narrower skos:broaderTransitive skos:narrowerTransitive }
        }
        """,
    )
    assert_no_rows(
        vocab,
        """
        SELECT ?indicator WHERE {
          ?indicator a tsc:HeadlineIndicator .
          FILTER NOT EXISTS { ?concept tsc:headlineIndicator ?indicator }
        }
        """,
    )


def test_headline_indicator_titles_say_which_list_they_follow(vocab):
    """Issue #20, point 2: titles are the Online Reporting Tool's updated list; 15/5's wording is kept."""
    assert_no_rows(
        vocab,
        """
        SELECT ?indicator WHERE {
          ?indicator a tsc:HeadlineIndicator .
          FILTER NOT EXISTS {
            ?indicator skos:editorialNote ?note ; dcterms:source <https://github.com/scbd/online-reporting-tool> .
            FILTER(CONTAINS(STR(?note), "Online Reporting Tool"))
          }
        }
        """,
    )
    decision_wording = {
        "7.1": "Index of coastal eutrophication potential",
        "7.2": "Pesticide environment concentration",
        "15.1": "Number of companies reporting on disclosures of risks, dependencies and impacts on biodiversity",
    }
    for code, wording in decision_wording.items():
        indicator = GBF[f"indicator/{code}"]
        assert Literal(wording, lang="en") in set(vocab.objects(indicator, SKOS.altLabel)), code
        assert any(wording in str(n) for n in vocab.objects(indicator, SKOS.historyNote)), code
    renumbered = GBF["indicator/2.1"]
    assert one(vocab, renumbered, DCTERMS.identifier) == [Literal("GBF-INDICATOR-2.2")]
    assert any("2.2" in str(n) and "15/5" in str(n) for n in vocab.objects(renumbered, SKOS.historyNote))
    text = (ROOT / "ontology" / "gbf.ttl").read_text(encoding="utf-8")
    assert "irregular" not in text, "2.2 is decision 15/5's number, not an irregular identifier"


# ------------------------------------------------------------------ CBD: articles, instruments, decisions


ARTICLE_8J = CBD["article/8j"]


def test_forty_two_articles(vocab):
    """The 42 articles are the top-concept articles; Article 8(j) is the one article concept below them."""
    assert set(vocab.subjects(RDF.type, TSC.CBDArticle)) == {article(n) for n in range(1, 43)} | {ARTICLE_8J}
    assert_no_rows(
        vocab,
        """
        SELECT ?article ?number ?notation WHERE {
          ?article a tsc:CBDArticle ; skos:topConceptOf ?scheme .
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


def test_article_8j_is_a_narrower_article_usable_wherever_articles_are(vocab, shapes):
    """Issue #20, point 3: traditional knowledge of indigenous peoples and local communities."""
    assert {TSC.CBDArticle, SKOS.Concept} <= set(vocab.objects(ARTICLE_8J, RDF.type))
    assert (ARTICLE_8J, SKOS.inScheme, CBD_SCHEME) in vocab
    assert one(vocab, ARTICLE_8J, SKOS.broader) == [article(8)] and (article(8), SKOS.narrower, ARTICLE_8J) in vocab
    assert (ARTICLE_8J, SKOS.topConceptOf, CBD_SCHEME) not in vocab
    assert one(vocab, ARTICLE_8J, SKOS.notation) == [Literal("8(j)")]
    assert one(vocab, ARTICLE_8J, TSC.articleNumber) == [Literal(8, datatype=XSD.positiveInteger)]
    assert Literal("Article 8(j)", lang="en") in set(vocab.objects(ARTICLE_8J, SKOS.altLabel))
    assert ARTICLE_8J in shape_in_list(shapes, TSC.implementsArticle), "tsc:implementsArticle accepts it"
    assert vocab.value(ARTICLE_8J, DCTERMS.source) is not None


@pytest.mark.parametrize(
    "iri, cls",
    [
        (CBD["instrument/convention"], TSC.LegalInstrument),
        (CBD["instrument/cartagena-protocol"], TSC.LegalInstrument),
        (CBD["instrument/nagoya-protocol"], TSC.LegalInstrument),
        (CBD["instrument/nagoya-kuala-lumpur-supplementary-protocol"], TSC.LegalInstrument),
        (CBD["decision/15-4"], TSC.Decision),
        (CBD["decision/15-5"], TSC.Decision),
        (CBD["decision/15-8"], TSC.Decision),
    ],
    ids=lambda x: str(x).rsplit("/", 2)[-1] if "vocab" in str(x) else "",
)
def test_instruments_and_decisions_exist(vocab, iri, cls):
    assert (iri, RDF.type, cls) in vocab
    assert (iri, SKOS.inScheme, CBD_SCHEME) in vocab
    assert len(one(vocab, iri, SKOS.notation)) == 1, "issue #20, point 6: a notation each"
    assert vocab.value(iri, DCTERMS.source) is not None


def test_decision_15_5_is_a_concept_since_it_is_cited(vocab):
    decision = CBD["decision/15-5"]
    assert one(vocab, decision, SKOS.notation) == [Literal("15/5")]
    assert DECISION_15_5 in set(vocab.objects(decision, DCTERMS.source))


def test_convention_dates_and_the_nagoya_protocol_french_title(vocab):
    """Issue #20, point 5: adopted 22 May 1992 in Nairobi, opened for signature 5 June 1992 in Rio; the
    Nagoya Protocol's French title is the official one, not marked as a tscgraph translation."""
    convention, nagoya = CBD["instrument/convention"], CBD["instrument/nagoya-protocol"]
    assert one(vocab, convention, DCTERMS.date) == [Literal("1992-05-22", datatype=XSD.date)]
    note = " ".join(str(n) for n in vocab.objects(convention, SKOS.note) if n.language == "en")
    assert "22 May 1992 in Nairobi" in note and "5 June 1992 at Rio de Janeiro" in note
    assert URIRef("https://www.cbd.int/idb/") in set(vocab.objects(convention, DCTERMS.source))
    french = [str(label) for label in vocab.objects(nagoya, SKOS.prefLabel) if label.language == "fr"]
    assert french == [
        "Protocole de Nagoya sur l'accès aux ressources génétiques et le partage juste et équitable des avantages "
        "découlant de leur utilisation relatif à la Convention sur la diversité biologique"
    ]
    assert (nagoya, TSC.translatedLabelLanguage, Literal("fr")) not in vocab
    assert URIRef("https://mr.chm-cbd.net/protocole-de-nagoya") in set(vocab.objects(nagoya, DCTERMS.source))


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


def test_every_concept_is_a_top_concept_or_has_a_broader_one(vocab):
    """No orphan: a consumer walking down from the top concepts reaches every concept."""
    assert_no_rows(
        vocab,
        f"""
        SELECT DISTINCT ?concept WHERE {{
          {CONCEPTS}
          FILTER NOT EXISTS {{ ?concept skos:topConceptOf ?scheme }}
          FILTER NOT EXISTS {{ ?concept skos:broader ?broader }}
        }}
        """,
    )


@pytest.mark.parametrize("forward, inverse, at_least", [
    ("skos:topConceptOf", "skos:hasTopConcept", 300),
    ("skos:broader", "skos:narrower", 30),
], ids=["top-concepts", "broader-narrower"])
def test_hierarchy_links_are_stated_both_ways(vocab, forward, inverse, at_least):
    """Issue #20, point 6: for consumers without inference, each SKOS link beside its inverse, both ways
    (skos:hasTopConcept beside skos:topConceptOf, skos:narrower beside skos:broader)."""
    assert_no_rows(
        vocab,
        f"""
        SELECT ?concept ?other ?missing WHERE {{
          {{
            ?concept {forward} ?other .
            FILTER NOT EXISTS {{ ?other {inverse} ?concept }}
            BIND("{inverse}" AS ?missing)
          }} UNION {{
            ?other {inverse} ?concept .
            FILTER NOT EXISTS {{ ?concept {forward} ?other }}
            BIND("{forward}" AS ?missing)
          }}
        }}
        """,
    )
    assert len(set(vocab.subject_objects(SKOS[inverse.split(":")[1]]))) >= at_least


def test_top_concepts_have_no_broader_concept_and_belong_to_their_scheme(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?concept ?scheme ?why WHERE {
          ?concept skos:topConceptOf ?scheme .
          {
            ?concept skos:broader ?broader . BIND("a top concept with a broader concept" AS ?why)
          } UNION {
            FILTER NOT EXISTS { ?concept skos:inScheme ?scheme } BIND("top concept of a scheme it is not in" AS ?why)
          }
        }
        """,
    )


def test_no_concept_is_broader_than_itself(vocab):
    assert_no_rows(vocab, "SELECT ?concept WHERE { ?concept skos:broader+ ?concept }")


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

#: UN SDG KOS IRIs: a goal is http://metadata.un.org/sdg/{goal}; a target http://metadata.un.org/sdg/{goal}.{target}
#: (the form the SDG KOS gives for target 1.1 on the UNStats LOD4Stats wiki; the goal IRIs were already used).
SDG_GOAL = re.compile(r"^http://metadata\.un\.org/sdg/([1-9]|1[0-7])$")
SDG_TARGET = re.compile(r"^http://metadata\.un\.org/sdg/([1-9]|1[0-7])\.([1-9][0-9]?|[a-z])$")

#: Each GBF target's SDG targets, as the mapping its dcterms:source gives (InforMEA DART). Issue #20, point 4.
SDG_TARGETS = {
    6: {"15.8"},  # dart.informea.org/taxonomy/term/5973
    9: {"12.2", "14.7"},  # …/5977
    22: {"16.3", "16.7"},  # …/2818, …/2822
}


def test_sdg_links_are_un_sdg_kos_iris(vocab):
    un_links = {o for o in vocab.objects() if isinstance(o, URIRef) and "metadata.un.org" in o}
    assert un_links, "the GBF targets link SDGs: none found"
    bad = sorted(str(o) for o in un_links if not (SDG_GOAL.match(str(o)) or SDG_TARGET.match(str(o))))
    assert not bad
    goals_only = sorted(str(o) for o in vocab.objects(None, SKOS.relatedMatch) if not SDG_GOAL.match(str(o)))
    assert not goals_only, "skos:relatedMatch is for the SDG goals; SDG targets go in tsc:sdgTarget"


def test_sdg_targets_are_iris_with_their_mapping_source(vocab):
    found = {}
    for target, sdg in vocab.subject_objects(TSC.sdgTarget):
        assert isinstance(sdg, URIRef) and SDG_TARGET.match(str(sdg)), f"{target}: {sdg!r} is not an SDG KOS target IRI"
        found.setdefault(int(vocab.value(target, TSC.targetNumber)), set()).add(str(sdg).rsplit("/", 1)[1])
        assert any("dart.informea.org" in str(s) for s in vocab.objects(target, DCTERMS.source)), target
    assert found == SDG_TARGETS


def test_sdg_targets_belong_to_a_linked_sdg(vocab):
    assert_no_rows(
        vocab,
        """
        SELECT ?target ?sdgTarget WHERE {
          ?target tsc:sdgTarget ?sdgTarget .
          FILTER NOT EXISTS {
            ?target skos:relatedMatch ?goal .
            FILTER(STR(?goal) = REPLACE(STR(?sdgTarget), "[.][^./]+$", ""))
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


#: ISO 3166-2 codes of the metropolitan regions and Clipperton (iso-codes data, pycountry 26.2.16).
ISO_3166_2 = {
    "auvergne-rhone-alpes": "FR-ARA", "bourgogne-franche-comte": "FR-BFC", "bretagne": "FR-BRE",
    "centre-val-de-loire": "FR-CVL", "corse": "FR-20R", "grand-est": "FR-GES", "hauts-de-france": "FR-HDF",
    "ile-de-france": "FR-IDF", "normandie": "FR-NOR", "nouvelle-aquitaine": "FR-NAQ", "occitanie": "FR-OCC",
    "pays-de-la-loire": "FR-PDL", "provence-alpes-cote-d-azur": "FR-PAC", "clipperton": "FR-CP",
}  # fmt: skip


def test_place_notations_are_their_codes(vocab):
    """Countries and territories with an ISO 3166-1 code: the code, which is also the end of the IRI. Places
    under FR/: their ISO 3166-2 code (issue #20, point 6: Clipperton is FR-CP)."""
    assert_no_rows(
        vocab,
        """
        SELECT ?place ?notation WHERE {
          ?place skos:inScheme <https://w3id.org/tscgraph/vocab/place> ; skos:notation ?notation .
          FILTER(!STRSTARTS(STR(?place), "https://w3id.org/tscgraph/vocab/place/FR/"))
          FILTER(STR(?place) != CONCAT("https://w3id.org/tscgraph/vocab/place/", STR(?notation)))
        }
        """,
    )
    found = {str(p).rsplit("/", 1)[1]: str(vocab.value(p, SKOS.notation))
             for p in vocab.subjects(SKOS.inScheme, PLACE_SCHEME) if str(p).startswith(str(PLACE) + "FR/")}
    assert found == ISO_3166_2
    assert_no_rows(
        vocab,
        """
        SELECT ?place WHERE {
          ?place skos:inScheme <https://w3id.org/tscgraph/vocab/place> .
          FILTER NOT EXISTS { ?place skos:notation ?notation }
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


# ------------------------------------------------------------------ w3id.org redirects (issue #20, point 8)

W3ID = ROOT / "docs" / "w3id"


def test_w3id_rules_forward_every_shared_root_to_one_configured_deployment():
    """The rules proposed to w3id.org cover every path of the shared IRI space a deployment serves
    (web/links.py) and the shapes, and name the deployment in one place; README says the registration is
    pending until it is merged."""
    from web.links import SHARED_ROOTS

    rules = (W3ID / ".htaccess").read_text(encoding="utf-8")
    redirects = re.findall(r"(?m)^RewriteRule \^(\w*)\S* (\S+) \[R=(\d{3}),L\]$", rules)
    roots = {root for root, _, _ in redirects}
    assert set(SHARED_ROOTS) | {"shapes", ""} <= roots, roots
    assert all(target.startswith("%{ENV:TSCGRAPH_DEPLOYMENT}/") for _, target, _ in redirects)
    assert all(status == "303" for root, _, status in redirects if root)
    assert len(re.findall(r"E=TSCGRAPH_DEPLOYMENT:https://", rules)) == 1
    readme = (W3ID / "README.md").read_text(encoding="utf-8")
    assert "registration pending" in readme.lower()
    for doc in (ROOT / "README.md", ROOT / "docs" / "architecture.md"):
        text = doc.read_text(encoding="utf-8")
        assert "docs/w3id" in text and "pending" in text, f"{doc.name} says the w3id registration is pending"
