"""The bundled data (``data/*.ttl``): it conforms to the shapes, it is bilingual, it says which records
are illustrative, its references resolve, and it stays honest (no unconfirmed web sites, no Wikidata
identifiers nobody checked, example records that name no real organisation, figures and roles no firmer than
their sources, sources a reader can open: no development, test or staging host, no internal file).

Files are parsed as a deployment reads them: relative IRIs resolved against the base IRI.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from graph.namespaces import SCHEMA, TSC, VOCAB
from graph.queries import load_catalogue
from graph.store.oxigraph import OxigraphStore
from tests.hygiene import assert_no_rows

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((ROOT / "data").glob("*.ttl"))
ONTOLOGY_FILES = sorted((ROOT / "ontology").glob("*.ttl"))
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


def test_example_records_link_to_no_real_record(data):
    """Issue #20: an illustrative record names only illustrative organisations (and other illustrative
    records); a real record never points at an illustrative one. Links to vocabulary concepts are fine."""
    assert_no_rows(
        data,
        """
        SELECT ?example ?property ?real ?direction WHERE {
          ?example tsc:isExample true .
          {
            ?example ?property ?real . BIND("example -> real" AS ?direction)
          } UNION {
            ?real ?property ?example . BIND("real -> example" AS ?direction)
          }
          FILTER(isIRI(?real) && STRSTARTS(STR(?real), CONCAT(?base, "id/")))
          FILTER NOT EXISTS { ?real tsc:isExample true }
        }
        """,
        base=Literal(BASE),
    )


def test_every_actor_an_example_names_is_an_illustrative_actor(data):
    """Offerers, requesters, leads, partners, funders and authors of examples are example actors; the
    query above would see a real one, this one sees that the links are there at all (the guard)."""
    roles = (TSC.leadOrganisation, TSC.partner, TSC.funder, TSC.offeredBy, TSC.requestedBy, DCTERMS.creator)
    named = {(s, o) for r in roles for s, o in data.subject_objects(r) if (s, TSC.isExample, Literal(True)) in data}
    assert len({s for s, _ in named}) >= 20, "the examples name their actors"
    assert all((o, TSC.isExample, Literal(True)) in data and (o, RDF.type, TSC.Actor) in data for _, o in named)


def test_there_are_real_and_example_records(data):
    flagged = set(data.subjects(TSC.isExample, None))
    assert flagged and len(set(data.subjects(RDF.type, None)) - flagged) >= 10


# ------------------------------------------------------------------ references resolve


def test_every_referenced_actor_exists(data):
    assert_no_rows(
        data,
        """
        SELECT ?record ?property ?actor WHERE {
          VALUES ?property { tsc:leadOrganisation tsc:partner tsc:nationalCarrier tsc:funder tsc:offeredBy tsc:requestedBy
                             dcterms:creator }
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

BIODIVERSA = URIRef(BASE + "id/project/biodiversa-plus")
OFB = URIRef(BASE + "id/actor/ofb")


def test_a_budget_is_exact_or_a_lower_bound_never_both(data):
    assert_no_rows(
        data,
        """
        SELECT ?record ?budget WHERE {
          ?record tsc:budget ?budget .
          FILTER(EXISTS { ?budget schema:value ?v } = EXISTS { ?budget schema:minValue ?m })
        }
        """,
    )


def test_biodiversa_budget_is_the_lower_bound_its_source_gives(data):
    """Issue #20, point 11: "more than EUR 800 million" (OFB) is a lower bound, not a value."""
    [budget] = data.objects(BIODIVERSA, TSC.budget)
    assert data.value(budget, SCHEMA.value) is None
    assert data.value(budget, SCHEMA.minValue) == Literal("800000000", datatype=XSD.decimal)
    assert data.value(budget, SCHEMA.currency) == Literal("EUR")


def test_biodiversa_states_the_role_its_sources_give_ofb(data):
    """Issue #20, point 11: OFB's page names it the French carrier structure, not the partnership's lead."""
    assert (BIODIVERSA, TSC.leadOrganisation, OFB) not in data
    assert (BIODIVERSA, TSC.nationalCarrier, OFB) in data and (BIODIVERSA, TSC.partner, OFB) in data
    [lead] = data.objects(BIODIVERSA, TSC.leadOrganisation)
    assert lead == URIRef(BASE + "id/actor/biodiversa-plus-consortium")
    assert "https://www.biodiversa.eu/about-us/governance/" in {str(s) for s in data.objects(lead, DCTERMS.source)}


def test_actor_names_as_the_actors_give_them(data):
    """Issue #20, point 10: FFEM's own English name; the ministry's English label renders its French name."""
    def name(slug, lang):
        return {str(n) for n in data.objects(URIRef(BASE + f"id/actor/{slug}"), SKOS.prefLabel) if n.language == lang}
    assert name("ffem", "en") == {"French Facility for Global Environment"}
    assert name("mtect", "en") == {"Ministry of Ecological Transition and Territorial Cohesion"}
    patrinat = " ".join(str(d) for d in data.objects(URIRef(BASE + "id/actor/patrinat"), DCTERMS.description))
    assert all(parent in patrinat for parent in ("OFB", "MNHN", "CNRS", "IRD", "1 January 2023"))


#: Hosts that are not the public, production page of anything: development, test and staging servers, a site
#: builder's staging domain, copies on aggregator sites. Issue #20, point 12.
NOT_A_SOURCE = re.compile(
    r"(^|[.-])(dev|test|uat|staging|stage|preprod|qa|sandbox|demo)([.-]|$)|squarespace\.com$|(^|\.)doczz\.fr$|(^|\.)franco\.wiki$"
)


def sources(paths) -> list[tuple[str, str, str]]:
    """(file, subject, source) for every dcterms:source of the files."""
    found = []
    for path in paths:
        graph = parse(path)
        for s, o in graph.subject_objects(DCTERMS.source):
            found.append((f"{path.parent.name}/{path.name}", str(s), o))
    return found


def test_sources_are_public_pages_on_production_hosts():
    """Every dcterms:source of the data and the vocabularies is a web page a reader can open: an http(s) IRI
    (not a note naming an internal file), on a host that is no development, test or staging server and no
    aggregator copy. The hosts are listed when the test fails."""
    found = sources(DATA_FILES + ONTOLOGY_FILES)
    assert len(found) > 100, "the scan found the sources"
    literal = [(f, s, str(o)) for f, s, o in found if not isinstance(o, URIRef)]
    assert not literal, f"sources that are text, not a page: {literal}"
    hosts: dict[str, int] = {}
    bad = []
    for f, s, o in found:
        parts = urlsplit(str(o))
        host = (parts.hostname or "").lower()
        hosts[host] = hosts.get(host, 0) + 1
        if parts.scheme not in ("http", "https") or not host or NOT_A_SOURCE.search(host):
            bad.append((host, f, s, str(o)))
    listing = "\n".join(f"  {h} ({n})" for h, n in sorted(hosts.items()))
    assert not bad, "sources on hosts that are not production pages:\n" + "\n".join(map(str, bad)) + "\nall hosts:\n" + listing
    assert NOT_A_SOURCE.search("dev-chm.cbd.int") and NOT_A_SOURCE.search("ipt-uat.gbif.fr")
    assert NOT_A_SOURCE.search("okra-garlic-2nl4.squarespace.com") and not NOT_A_SOURCE.search("www.cbd.int")


def test_actor_websites_are_confirmed_ones(data):
    allowed = {(URIRef(BASE + actor), URIRef(url)) for actor, url in ALLOWED_ACTOR_WEBSITES.items()}
    sites = {(actor, url) for actor in data.subjects(RDF.type, TSC.Actor) for url in data.objects(actor, SCHEMA.url)}
    assert sorted(map(str, sites - allowed)) == [], "an actor web site that the reference list does not confirm"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_wikidata_identifiers(path):
    """No Wikidata QIDs: none was checked, and a wrong one would silently merge two organisations."""
    assert "wikidata.org" not in path.read_text(encoding="utf-8").lower()
