"""Ontology hygiene (``ontology/tscgraph.ttl``), schema.org style: each check is a SELECT that must
return no rows, and the offending rows are printed when it does not.

Also the contract of the issue that asked for tscgraph: the classes it names exist, and the
properties it names are paths of live property shapes (so forms and validation know them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH

from graph.namespaces import ONTOLOGY_IRI, SCHEMA, TSC
from graph.validation import read_turtle_dir
from tests.hygiene import assert_no_rows

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "tscgraph.ttl"
BASE = "https://chm.example.org/"

#: Namespaces the ontology may point to (subclass, domain, range, subproperty) besides its own.
EXTERNAL_NAMESPACES = (
    "https://schema.org/",
    "http://www.w3.org/ns/org#",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/2001/XMLSchema#",
    "http://www.w3.org/ns/dcat#",
)

TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


# ------------------------------------------------------------------ the helper


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return read_turtle_dir(ROOT / "shapes")


def defined_terms(ontology: Graph) -> set[URIRef]:
    return {
        s
        for kind in TERM_KINDS
        for s in ontology.subjects(RDF.type, kind)
        if isinstance(s, URIRef) and s.startswith(str(TSC))
    }


# ------------------------------------------------------------------ labels and comments


def test_every_term_has_exactly_one_label_in_english_and_in_french(ontology):
    assert_no_rows(
        ontology,
        """
        SELECT ?term ?lang (COUNT(DISTINCT ?label) AS ?labels) WHERE {
          VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
          VALUES ?lang { "en" "fr" }
          ?term a ?kind .
          FILTER(STRSTARTS(STR(?term), STR(tsc:)))
          OPTIONAL { ?term rdfs:label ?label . FILTER(LANG(?label) = ?lang) }
        }
        GROUP BY ?term ?lang
        HAVING (COUNT(DISTINCT ?label) != 1)
        """,
    )


def test_every_term_has_a_comment_in_english_and_in_french(ontology):
    assert_no_rows(
        ontology,
        """
        SELECT ?term ?lang WHERE {
          VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
          VALUES ?lang { "en" "fr" }
          ?term a ?kind .
          FILTER(STRSTARTS(STR(?term), STR(tsc:)))
          FILTER NOT EXISTS { ?term rdfs:comment ?comment . FILTER(LANG(?comment) = ?lang) }
        }
        """,
    )


def test_labels_and_comments_are_language_tagged(ontology):
    assert_no_rows(
        ontology,
        """
        SELECT ?term ?property ?text WHERE {
          VALUES ?property { rdfs:label rdfs:comment }
          ?term ?property ?text .
          FILTER(STRSTARTS(STR(?term), STR(tsc:)))
          FILTER(LANG(?text) = "")
        }
        """,
    )


# ------------------------------------------------------------------ the ontology node


def test_ontology_header(ontology):
    node = URIRef(ONTOLOGY_IRI)
    assert (node, RDF.type, OWL.Ontology) in ontology
    version = ontology.value(node, OWL.versionInfo)
    version_iri = ontology.value(node, OWL.versionIRI)
    assert isinstance(version, Literal) and str(version), "owl:versionInfo"
    assert isinstance(version_iri, URIRef), "owl:versionIRI"
    assert str(version_iri) == f"{ONTOLOGY_IRI}/{version}", "owl:versionIRI should name owl:versionInfo"
    assert isinstance(ontology.value(node, DCTERMS.license), URIRef), "dcterms:license"
    assert ontology.value(node, DCTERMS.creator) is not None, "dcterms:creator"
    titles = [t for t in ontology.objects(node, DCTERMS.title) if isinstance(t, Literal)]
    assert sorted(t.language for t in titles) == ["en", "fr"], f"dcterms:title en + fr, got {titles}"


# ------------------------------------------------------------------ no dangling terms


def tsc_iris_in_graph(graph: Graph) -> set[URIRef]:
    return {t for triple in graph for t in triple if isinstance(t, URIRef) and t.startswith(str(TSC))}


TSC_TOKEN = re.compile(r"(?<![\w/#-])tsc:([A-Za-z_][A-Za-z0-9_-]*)")
TSC_FULL = re.compile(re.escape(f"<{TSC}") + r"([^>\s]+)>")


def tsc_iris_in_query(text: str) -> set[URIRef]:
    return {TSC[m] for m in TSC_TOKEN.findall(text)} | {TSC[m] for m in TSC_FULL.findall(text)}


def test_query_regex_finds_prefixed_and_full_iris():
    text = (
        "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n"
        "SELECT * { ?p a tsc:Project ; <https://w3id.org/tscgraph/ontology#budget> ?b }"
    )
    assert tsc_iris_in_query(text) == {TSC.Project, TSC.budget}


def used_tsc_iris() -> dict[URIRef, set[str]]:
    """Every tsc: IRI used in ontology/, shapes/, data/ and queries/, with the files that use it."""
    used: dict[URIRef, set[str]] = {}
    for folder in ("ontology", "shapes", "data"):
        for path in sorted((ROOT / folder).glob("*.ttl")):
            graph = Graph().parse(path, format="turtle", publicID=BASE)
            for iri in tsc_iris_in_graph(graph):
                used.setdefault(iri, set()).add(f"{folder}/{path.name}")
    for path in sorted((ROOT / "queries").glob("*.rq")):
        for iri in tsc_iris_in_query(path.read_text(encoding="utf-8")):
            used.setdefault(iri, set()).add(f"queries/{path.name}")
    return used


def test_no_dangling_terms(ontology):
    used = used_tsc_iris()
    assert TSC.Project in used and TSC.contributesToTarget in used, "the scan found nothing: is it broken?"
    defined = defined_terms(ontology)
    dangling = {str(iri): sorted(files) for iri, files in used.items() if iri not in defined}
    assert not dangling, f"tsc: terms used but not defined in ontology/tscgraph.ttl: {dangling}"


def test_every_tsc_subject_is_declared_as_a_class_or_a_property(ontology):
    assert_no_rows(
        ontology,
        """
        SELECT DISTINCT ?term WHERE {
          ?term ?p ?o .
          FILTER(STRSTARTS(STR(?term), STR(tsc:)))
          FILTER NOT EXISTS {
            VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
            ?term a ?kind .
          }
        }
        """,
    )


def test_axioms_point_to_defined_classes_or_known_namespaces(ontology):
    external = " ".join(f'"{ns}"' for ns in EXTERNAL_NAMESPACES)
    assert_no_rows(
        ontology,
        """
        SELECT ?term ?axiom ?target ?why WHERE {
          ?term ?axiom ?target .
          FILTER(STRSTARTS(STR(?term), STR(tsc:)))
          {
            VALUES ?axiom { rdfs:subClassOf rdfs:domain rdfs:range }
            FILTER(STRSTARTS(STR(?target), STR(tsc:)))
            FILTER NOT EXISTS { ?target a owl:Class }
            BIND("tsc: class not defined" AS ?why)
          } UNION {
            VALUES ?axiom { rdfs:subPropertyOf }
            FILTER(STRSTARTS(STR(?target), STR(tsc:)))
            FILTER NOT EXISTS { VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty } ?target a ?kind }
            BIND("tsc: property not defined" AS ?why)
          } UNION {
            VALUES ?axiom { rdfs:subClassOf rdfs:domain rdfs:range rdfs:subPropertyOf }
            FILTER(!STRSTARTS(STR(?target), STR(tsc:)))
            FILTER NOT EXISTS { VALUES ?ns { %s } FILTER(STRSTARTS(STR(?target), ?ns)) }
            BIND("not in a known external namespace" AS ?why)
          }
        }
        """
        % external,
    )


def test_no_term_is_both_a_class_and_a_property(ontology):
    assert_no_rows(
        ontology,
        """
        SELECT ?term ?kind WHERE {
          VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty rdf:Property }
          ?term a owl:Class , ?kind .
        }
        """,
    )


def test_no_property_has_two_kinds(ontology):
    assert_no_rows(
        ontology,
        """
        SELECT ?term ?kind1 ?kind2 WHERE {
          VALUES ?kind1 { owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
          VALUES ?kind2 { owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
          ?term a ?kind1 , ?kind2 .
          FILTER(STR(?kind1) < STR(?kind2))
        }
        """,
    )


def test_no_term_is_its_own_superclass(ontology):
    assert_no_rows(ontology, "SELECT ?c WHERE { ?c rdfs:subClassOf+ ?c }")


# ------------------------------------------------------------------ what the issue asked for

#: (class, the tsc: class it must specialise, or None)
REQUIRED_CLASSES = [
    (TSC.Actor, None),
    (TSC.Project, None),
    (TSC.CooperationOffer, TSC.CooperationRecord),
    (TSC.CooperationRequest, TSC.CooperationRecord),
    (TSC.Commitment, None),
    (TSC.NationalStrategy, TSC.Commitment),
    (TSC.NationalTarget, TSC.Commitment),
    (TSC.InternationalCommitment, TSC.Commitment),
    (TSC.KnowledgeResource, None),
    (TSC.BestPractice, TSC.KnowledgeResource),
    (TSC.LessonLearned, TSC.KnowledgeResource),
    (TSC.CaseStudy, TSC.KnowledgeResource),
    (TSC.Place, None),
    (TSC.Country, TSC.Place),
    (TSC.Region, TSC.Place),
    (TSC.OverseasTerritory, TSC.Place),
]


@pytest.mark.parametrize("cls, parent", REQUIRED_CLASSES, ids=lambda t: t.fragment if isinstance(t, URIRef) else "-")
def test_required_class_exists(ontology, cls, parent):
    assert (cls, RDF.type, OWL.Class) in ontology, f"{cls} is not an owl:Class"
    if parent is not None:
        assert (cls, RDFS.subClassOf, parent) in ontology, f"{cls} should be rdfs:subClassOf {parent}"


#: What the issue asked forms and records to carry, and the property that carries it.
REQUIRED_PATHS = {
    "GBF targets": TSC.contributesToTarget,
    "CBD articles": TSC.implementsArticle,
    "lead organisation": TSC.leadOrganisation,
    "partner": TSC.partner,
    "funder": TSC.funder,
    "places": DCTERMS.spatial,
    "start date": SCHEMA.startDate,
    "end date": SCHEMA.endDate,
    "budget": TSC.budget,
    "modality": TSC.modality,
    "status": TSC.status,
    "contact": SCHEMA.email,
    "web page": SCHEMA.url,
    "languages": DCTERMS.language,
}


@pytest.mark.parametrize("purpose", sorted(REQUIRED_PATHS))
def test_required_property_is_the_path_of_a_live_property_shape(shapes, purpose):
    path = REQUIRED_PATHS[purpose]
    node_shapes = {
        node
        for shape in shapes.subjects(SH.path, path)
        for node in shapes.subjects(SH.property, shape)
        if (node, RDF.type, SH.NodeShape) in shapes
    }
    assert node_shapes, f"{purpose}: no node shape has a property shape with sh:path {path}"


def test_required_tsc_properties_are_defined(ontology):
    defined = defined_terms(ontology)
    missing = [p for p in REQUIRED_PATHS.values() if p.startswith(str(TSC)) and p not in defined]
    assert not missing


def test_no_file_uses_the_http_schema_org_namespace():
    """schema.org is reused as https://schema.org/; an http://schema.org/ IRI would slip past every shape."""
    offending = {}
    for folder in ("ontology", "shapes", "data"):
        for path in sorted((ROOT / folder).glob("*.ttl")):
            graph = Graph().parse(path, format="turtle", publicID=BASE)
            iris = {t for triple in graph for t in triple if isinstance(t, URIRef)}
            bad = sorted(str(t) for t in iris if t.startswith("http://schema.org/"))
            if bad:
                offending[f"{folder}/{path.name}"] = bad
    assert not offending


# ------------------------------------------------------------------ readings the ontology commits to (issue #20)


def test_a_project_is_an_activity_not_an_organisation(ontology):
    """Point 7: schema:Project is a subtype of schema:Organization; tsc:Project is a prov:Activity and says
    so, and is not declared a subclass of schema:Project (the JSON-LD pages map it, tests/test_schemaorg.py)."""
    from rdflib.namespace import PROV, SKOS

    supers = set(ontology.objects(TSC.Project, RDFS.subClassOf))
    assert PROV.Activity in supers
    assert not supers & {SCHEMA.Project, SCHEMA.Organization}
    notes = " ".join(str(n) for n in ontology.objects(TSC.Project, SKOS.scopeNote))
    assert "schema:Project" in notes and "activity" in notes


def test_sdg_targets_are_links_and_a_national_carrier_is_a_partner(ontology):
    """Point 4: tsc:sdgTarget links to UN SDG KOS target IRIs; point 11: tsc:nationalCarrier is a partner role."""
    from rdflib.namespace import SKOS

    assert (TSC.sdgTarget, RDF.type, OWL.ObjectProperty) in ontology
    assert (TSC.sdgTarget, RDFS.subPropertyOf, SKOS.relatedMatch) in ontology
    assert (TSC.nationalCarrier, RDFS.subPropertyOf, TSC.partner) in ontology
