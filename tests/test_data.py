"""The bundled data (``data/*.ttl``): it conforms to the shapes, it is bilingual, it says which records
are illustrative, its references resolve, and it stays honest (no unconfirmed web sites, no Wikidata
identifiers nobody checked).

Files are parsed as a deployment reads them: relative IRIs resolved against the base IRI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from graph.namespaces import SCHEMA, TSC, VOCAB
from graph.queries import load_catalogue
from graph.store.oxigraph import OxigraphStore
from tests.hygiene import assert_no_rows

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((ROOT / "data").glob("*.ttl"))
BASE = "https://chm.example.org/"

#: Web sites an actor may carry: those confirmed in the shared reference list french-actors.csv
#: (OFB's professional site, MNHN, the French CHM, GBIF France), plus www.cbd.int for the CBD
#: Secretariat. Copied here on purpose: a user's clone may not have the reference folder.
#: IFREMER's archimer.ifremer.fr is listed there as an archive only (main site not confirmed), so it
#: is not an allowed web site for IFREMER; every site marked UNCONFIRMED is left out too.
ALLOWED_ACTOR_WEBSITES = {
    "id/actor/ofb": "https://professionnels.ofb.fr",
    "id/actor/mnhn": "https://www.mnhn.fr",
    "id/actor/chm-fr": "https://biodiv.mnhn.fr",
    "id/actor/gbif-fr": "http://gbif.fr",
    "id/actor/scbd": "https://www.cbd.int",
}

#: The kind segment of a local record IRI ({base}id/{kind}/{slug}) for each record class.
KIND_OF_CLASS = {
    TSC.Actor: "actor",
    TSC.Project: "project",
    TSC.CooperationOffer: "offer",
    TSC.CooperationRequest: "request",
    TSC.NationalStrategy: "commitment",
    TSC.NationalTarget: "commitment",
    TSC.InternationalCommitment: "commitment",
    TSC.BestPractice: "resource",
    TSC.LessonLearned: "resource",
    TSC.CaseStudy: "resource",
}

RECORDS = """
  VALUES ?root { tsc:Project tsc:CooperationRecord tsc:Commitment tsc:KnowledgeResource }
  ?record a ?cls . ?cls rdfs:subClassOf* ?root .
"""


def parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle", publicID=BASE)


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in DATA_FILES:
        graph += parse(path)
    return graph


@pytest.fixture(scope="module")
def data_and_vocab(data, validator) -> Graph:
    """The data with the ontology and vocabularies, for class hierarchies and concept types."""
    graph = Graph()
    graph += data
    graph += validator.ontology
    return graph


def test_the_data_files_are_there():
    expected = {"actors.ttl", "projects.ttl", "commitments.ttl", "cooperation.ttl", "knowledge.ttl"}
    assert {p.name for p in DATA_FILES} >= expected


# ------------------------------------------------------------------ conformance to the shapes


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_conforms(validator, path):
    report = validator.validate(parse(path))
    assert report.conforms, report.to_text(label=path.name)


def test_all_data_files_together_conform(validator, data):
    report = validator.validate(data)
    assert report.conforms, report.to_text(label="data/*.ttl")


# ------------------------------------------------------------------ bilingual


def test_every_record_has_a_title_in_english_and_in_french(data_and_vocab):
    assert_no_rows(
        data_and_vocab,
        f"""
        SELECT DISTINCT ?record ?lang WHERE {{
          {RECORDS}
          VALUES ?lang {{ "en" "fr" }}
          FILTER NOT EXISTS {{ ?record dcterms:title ?title . FILTER(LANG(?title) = ?lang) }}
        }}
        """,
    )


def test_every_actor_has_a_name_in_english_and_in_french(data):
    assert_no_rows(
        data,
        """
        SELECT ?actor ?lang WHERE {
          ?actor a tsc:Actor .
          VALUES ?lang { "en" "fr" }
          FILTER NOT EXISTS { ?actor skos:prefLabel ?name . FILTER(LANG(?name) = ?lang) }
        }
        """,
    )


def test_records_and_actors_are_found(data_and_vocab):
    """Guard for the queries above: they must see the records, or they prove nothing."""
    prologue = f"PREFIX tsc: <{TSC}> PREFIX rdfs: <{RDFS}>\n"
    rows = list(data_and_vocab.query(prologue + f"SELECT DISTINCT ?record {{ {RECORDS} }}"))
    assert len(rows) >= 30
    assert len(set(data_and_vocab.subjects(RDF.type, TSC.Actor))) >= 20


# ------------------------------------------------------------------ illustrative records say so


def test_example_records_say_so_in_their_titles(data):
    """An example's English title starts "Example: ", its French one « Exemple : » (actors: their names)."""
    assert_no_rows(
        data,
        """
        SELECT ?record ?lang WHERE {
          ?record tsc:isExample true .
          VALUES (?lang ?prefix) { ("en" "Example: ") ("fr" "Exemple : ") }
          FILTER NOT EXISTS {
            ?record dcterms:title|skos:prefLabel ?title .
            FILTER(LANG(?title) = ?lang && STRSTARTS(STR(?title), ?prefix))
          }
        }
        """,
    )


def test_titles_that_say_example_are_flagged(data):
    assert_no_rows(
        data,
        """
        SELECT ?record ?title WHERE {
          ?record dcterms:title|skos:prefLabel ?title .
          FILTER(STRSTARTS(LCASE(STR(?title)), "example") || STRSTARTS(LCASE(STR(?title)), "exemple"))
          FILTER NOT EXISTS { ?record tsc:isExample true }
        }
        """,
    )


def test_example_records_say_so_in_their_descriptions(data):
    assert_no_rows(
        data,
        """
        SELECT ?record ?lang WHERE {
          ?record tsc:isExample true .
          VALUES ?lang { "en" "fr" }
          FILTER NOT EXISTS {
            ?record dcterms:description ?description .
            FILTER(LANG(?description) = ?lang && CONTAINS(LCASE(STR(?description)), "illustrati"))
          }
        }
        """,
    )


def test_there_are_real_and_example_records(data):
    flagged = set(data.subjects(TSC.isExample, None))
    assert flagged and len(set(data.subjects(RDF.type, None)) - flagged) >= 10


# ------------------------------------------------------------------ references resolve


def test_every_referenced_actor_exists(data):
    assert_no_rows(
        data,
        """
        SELECT ?record ?property ?actor WHERE {
          VALUES ?property { tsc:leadOrganisation tsc:partner tsc:funder tsc:offeredBy tsc:requestedBy dcterms:creator }
          ?record ?property ?actor .
          FILTER NOT EXISTS { ?actor a tsc:Actor }
        }
        """,
    )


def test_every_referenced_record_exists(data_and_vocab):
    assert_no_rows(
        data_and_vocab,
        """
        SELECT ?record ?property ?target ?expected WHERE {
          VALUES (?property ?expected) {
            (tsc:implementsCommitment tsc:Commitment)
            (dcterms:isPartOf tsc:NationalStrategy)
            (prov:wasDerivedFrom tsc:Project)
            (tsc:matches tsc:CooperationRecord)
          }
          ?record ?property ?target .
          FILTER(STRSTARTS(STR(?record), ?base))
          FILTER NOT EXISTS { ?target a ?cls . ?cls rdfs:subClassOf* ?expected }
        }
        """,
        base=Literal(BASE),
    )


def test_matches_are_recorded_both_ways(data):
    assert_no_rows(
        data,
        """
        SELECT ?a ?b WHERE {
          ?a tsc:matches ?b .
          FILTER NOT EXISTS { ?b tsc:matches ?a }
        }
        """,
    )
    assert set(data.subject_objects(TSC.matches)), "the data has one confirmed match (README)"


def test_matches_pair_an_offer_with_a_request(data):
    assert_no_rows(
        data,
        """
        SELECT ?a ?b WHERE {
          ?a tsc:matches ?b .
          FILTER NOT EXISTS {
            { ?a a tsc:CooperationOffer . ?b a tsc:CooperationRequest }
            UNION
            { ?a a tsc:CooperationRequest . ?b a tsc:CooperationOffer }
          }
        }
        """,
    )


def test_every_vocabulary_iri_used_exists(data, validator):
    used = {t for triple in data for t in triple if isinstance(t, URIRef) and t.startswith(str(VOCAB))}
    assert len(used) > 50
    defined = set(validator.ontology.subjects())
    assert sorted(str(t) for t in used - defined) == []


# ------------------------------------------------------------------ relative IRIs


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_uses_relative_iris_for_local_records(path):
    text = path.read_text(encoding="utf-8")
    assert "chm.example.org" not in text, "local records must use relative IRIs (<id/actor/…>), not the default base"
    assert "@base" not in text and "BASE " not in text, "no @base: the deployment's base_iri is applied when loading"


def test_record_iris_follow_the_data_model(data):
    """Local records are {base}id/{kind}/{slug}, kind as in docs/data-model.md."""
    wrong = []
    for cls, kind in KIND_OF_CLASS.items():
        for record in data.subjects(RDF.type, cls):
            prefix = f"{BASE}id/{kind}/"
            if not (isinstance(record, URIRef) and record.startswith(prefix) and len(record) > len(prefix)):
                wrong.append((str(record), kind))
    typed = {s for s, o in data.subject_objects(RDF.type) if o != SCHEMA.MonetaryAmount}
    unknown = {str(s) for s in typed if not any((s, RDF.type, c) in data for c in KIND_OF_CLASS)}
    assert not wrong and not unknown, f"wrong IRIs: {wrong}; records of another class: {unknown}"


# ------------------------------------------------------------------ designed for the queries


@pytest.fixture(scope="module")
def store(data, validator):
    with OxigraphStore(None) as s:
        s.add_graphs({BASE + "graph/ontology": validator.ontology, BASE + "graph/local": data})
        yield s


def test_the_gap_query_has_something_to_show(store):
    query = load_catalogue(ROOT / "queries")["targets-without-projects"]
    gaps = store.query(query.text, bindings=query.bindings()).bindings()
    assert gaps, "every GBF target has a project: the 'targets with no project' query would show nothing"


def test_at_least_ten_targets_have_a_project(store):
    query = load_catalogue(ROOT / "queries")["projects-per-gbf-target"]
    rows = store.query(query.text, bindings=query.bindings()).bindings()
    assert len(rows) == 23
    covered = [r["number"] for r in rows if int(r["projects"]) > 0]
    assert len(covered) >= 10, covered


def test_a_project_in_an_overseas_territory_and_one_abroad(data_and_vocab):
    def projects_in(condition: str) -> list:
        return list(
            data_and_vocab.query(
                "PREFIX tsc: <%s> PREFIX dcterms: <http://purl.org/dc/terms/>\n"
                "SELECT DISTINCT ?project WHERE { ?project a tsc:Project ; dcterms:spatial ?place . %s }"
                % (TSC, condition)
            )
        )

    assert projects_in("?place a tsc:OverseasTerritory ."), "no project in an overseas territory"
    assert projects_in(
        "?place a tsc:Country . FILTER(?place != <https://w3id.org/tscgraph/vocab/place/FR>)"
    ), "no project abroad"


# ------------------------------------------------------------------ honesty guards


def test_actor_websites_are_confirmed_ones(data):
    allowed = {(URIRef(BASE + actor), URIRef(url)) for actor, url in ALLOWED_ACTOR_WEBSITES.items()}
    sites = {(actor, url) for actor in data.subjects(RDF.type, TSC.Actor) for url in data.objects(actor, SCHEMA.url)}
    assert sorted(map(str, sites - allowed)) == [], "an actor web site that the reference list does not confirm"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_wikidata_identifiers(path):
    """No Wikidata QIDs: none was checked, and a wrong one would silently merge two organisations."""
    assert "wikidata.org" not in path.read_text(encoding="utf-8").lower()
