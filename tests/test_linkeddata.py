"""Dereferenceable IRIs with content negotiation, the ontology and vocabularies as documents, the site
map and robots.txt, and the data dumps — against a real server on loopback, bodies parsed back as RDF."""

from __future__ import annotations

import gzip
import io
import re
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from graph.namespaces import TSC
from tests.conftest import BASE, TOKEN

VOCAB = "https://w3id.org/tscgraph/vocab/"
ONTOLOGY = "https://w3id.org/tscgraph/ontology"
VOID = "http://rdfs.org/ns/void#"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

#: One resource of each kind: path, IRI, a class it has, and a triple its description must hold.
RESOURCES = {
    "actor": ("/id/actor/ofb", BASE + "id/actor/ofb", TSC.Actor),
    "project": ("/id/project/biodiversa-plus", BASE + "id/project/biodiversa-plus", TSC.Project),
    "offer": ("/id/offer/mangrove-restoration-twinning", BASE + "id/offer/mangrove-restoration-twinning", TSC.CooperationOffer),
    "request": ("/id/request/andean-biosafety-lab", BASE + "id/request/andean-biosafety-lab", TSC.CooperationRequest),
    "strategy": ("/id/commitment/snb-2030", BASE + "id/commitment/snb-2030", TSC.NationalStrategy),
    "national target": ("/id/commitment/example-nt-abs", BASE + "id/commitment/example-nt-abs", TSC.NationalTarget),
    "international commitment": ("/id/commitment/gbf-decision-15-4", BASE + "id/commitment/gbf-decision-15-4",
                                 TSC.InternationalCommitment),
    "knowledge resource": ("/id/resource/mangrove-replanting-calendar", BASE + "id/resource/mangrove-replanting-calendar",
                           TSC.BestPractice),
    "GBF goal": ("/vocab/gbf/goal/A", VOCAB + "gbf/goal/A", TSC.GBFGoal),
    "GBF target": ("/vocab/gbf/target/3", VOCAB + "gbf/target/3", TSC.GBFTarget),
    "CBD article": ("/vocab/cbd/article/18", VOCAB + "cbd/article/18", TSC.CBDArticle),
    "place": ("/vocab/place/FR", VOCAB + "place/FR", TSC.Country),
    "modality": ("/vocab/modality/twinning", VOCAB + "modality/twinning", TSC.Modality),
    "concept scheme": ("/vocab/gbf", VOCAB + "gbf", SKOS.ConceptScheme),
    "ontology": ("/ontology", ONTOLOGY, URIRef("http://www.w3.org/2002/07/owl#Ontology")),
}

#: media type asked → (rdflib parser, suffix that forces it)
RDF_FORMATS = {
    "text/turtle": ("turtle", ".ttl"),
    "application/ld+json": ("json-ld", ".jsonld"),
    "application/n-triples": ("nt", ".nt"),
    "application/rdf+xml": ("xml", ".rdf"),
    "application/trig": ("trig", ".trig"),
    "application/n-quads": ("nquads", ".nq"),
}


def get(url: str, accept: str | None = None, headers: dict | None = None) -> requests.Response:
    headers = {**({"Accept": accept} if accept else {}), **(headers or {})}
    return requests.get(url, headers=headers, timeout=60)


def parse(response: requests.Response, parser: str) -> Graph:
    """The answer's graph; TriG and N-Quads answers are datasets whose default graph holds every triple."""
    if parser not in ("trig", "nquads"):
        return Graph().parse(data=response.content, format=parser)
    dataset = Dataset()
    dataset.parse(data=response.content, format=parser)
    assert all(not len(g) for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID), "named graphs"
    graph = Graph()
    graph += dataset.graph(DATASET_DEFAULT_GRAPH_ID)
    return graph


def check_description(g: Graph, iri: str, cls: URIRef) -> None:
    subject = URIRef(iri)
    assert (subject, RDF.type, cls) in g
    assert len(set(g.predicate_objects(subject))) >= 3


@pytest.mark.parametrize("media", RDF_FORMATS)
@pytest.mark.parametrize("kind", RESOURCES)
def test_each_resource_in_each_rdf_format_by_accept_and_by_suffix(live_server, kind, media):
    path, iri, cls = RESOURCES[kind]
    parser, suffix = RDF_FORMATS[media]
    r = get(live_server + path, media)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == media
    assert "Accept" in r.headers["Vary"]
    assert r.headers["Content-Location"] == path + suffix
    check_description(parse(r, parser), iri, cls)
    variant = get(live_server + path + suffix)  # no Accept at all: the suffix decides
    assert variant.status_code == 200 and variant.headers["Content-Type"].split(";")[0] == media
    assert isomorphic_enough(parse(variant, parser), parse(r, parser))


def isomorphic_enough(a: Graph, b: Graph) -> bool:
    """Same triples once blank nodes are ignored (their labels differ between answers)."""
    ground = lambda g: {t for t in g if not any(type(x).__name__ == "BNode" for x in t)}  # noqa: E731
    return ground(a) == ground(b) and len(a) == len(b)


@pytest.mark.parametrize("kind", RESOURCES)
def test_each_resource_as_html_for_browsers_with_alternates_and_jsonld(live_server, kind):
    path, iri, _cls = RESOURCES[kind]
    r = get(live_server + path, BROWSER_ACCEPT)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "Accept" in r.headers["Vary"]
    assert f'<link rel="alternate" type="text/turtle" href="{path}.ttl">' in r.text
    assert f'<{path}.jsonld>; rel="alternate"; type="application/ld+json"' in r.headers["Link"]
    data = jsonld_of(r.text)
    assert data["@context"] == "https://schema.org/" and data["@id"] == iri and data.get("name")


def test_turtle_description_holds_blank_node_budget_and_labels_of_links(live_server):
    path, iri, _ = RESOURCES["project"]
    g = parse(get(live_server + path, "text/turtle"), "turtle")
    budget = g.value(URIRef(iri), TSC.budget)
    assert budget is not None and g.value(budget, URIRef("https://schema.org/currency")) == Literal("EUR")
    ofb = URIRef(BASE + "id/actor/ofb")
    assert (URIRef(iri), TSC.partner, ofb) in g  # Biodiversa+'s French carrier structure, not its lead (issue #20)
    assert (ofb, RDF.type, TSC.Actor) in g and g.value(ofb, SKOS.prefLabel) is not None
    # incoming links are not part of a description
    assert not list(g.subject_predicates(URIRef(iri)))


def test_concept_scheme_document_holds_all_its_concepts(live_server):
    g = parse(get(live_server + "/vocab/gbf", "text/turtle"), "turtle")
    targets = set(g.subjects(RDF.type, TSC.GBFTarget))
    assert len(targets) == 23
    assert all((t, SKOS.inScheme, URIRef(VOCAB + "gbf")) in g for t in targets)


def test_ontology_document_holds_its_terms_not_the_vocabularies(live_server):
    g = parse(get(live_server + "/ontology.ttl"), "turtle")
    assert (TSC.Project, RDFS.label, Literal("Project", lang="en")) in g
    assert (URIRef(ONTOLOGY), DCTERMS.title, None) in g
    assert not list(g.subjects(RDF.type, TSC.GBFTarget))
    subjects = {str(s) for s in g.subjects() if isinstance(s, URIRef)}
    assert all(s == ONTOLOGY or s.startswith(str(TSC)) for s in subjects)


def test_ontology_page_has_an_anchor_per_term_in_the_readers_language(live_server):
    r = get(live_server + "/ontology", BROWSER_ACCEPT)
    assert 'id="Project"' in r.text and 'id="leadOrganisation"' in r.text
    fr = get(live_server + "/ontology?lang=fr", BROWSER_ACCEPT)
    assert fr.headers["Content-Language"] == "fr" and "Acteur de la biodiversité" in fr.text


def test_scheme_page_links_its_concepts(live_server):
    r = get(live_server + "/vocab/modality", BROWSER_ACCEPT)
    assert r.status_code == 200
    assert 'href="/vocab/modality/twinning"' in r.text


@pytest.mark.parametrize("path", ["/id/project/no-such-project", "/id/nothing", "/vocab/gbf/target/99", "/vocab/nowhere"])
@pytest.mark.parametrize("accept", ["text/turtle", BROWSER_ACCEPT, "application/ld+json"])
def test_unknown_iri_is_404(live_server, path, accept):
    r = get(live_server + path, accept)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html" if accept == BROWSER_ACCEPT else "text/plain")
    assert get(live_server + path + ".ttl").status_code == 404


@pytest.mark.parametrize("path", ["/id/project/biodiversa-plus", "/vocab/gbf/target/3", "/ontology"])
def test_nothing_acceptable_is_406_listing_what_is_offered(live_server, path):
    r = get(live_server + path, "image/png, application/pdf;q=0.5")
    assert r.status_code == 406
    assert "text/turtle" in r.text and "application/ld+json" in r.text and "text/html" in r.text
    assert "Accept" in r.headers["Vary"]


@pytest.mark.parametrize("accept, expected", [
    ("text/turtle;q=0.5, application/n-triples", "application/n-triples"),
    ("text/html;q=0.4, application/ld+json;q=0.9", "application/ld+json"),
    ("application/rdf+xml;q=0.2, text/html", "text/html"),
    ("text/turtle, text/html;q=0", "text/turtle"),
    ("*/*;q=0.1, application/ld+json", "application/ld+json"),
])
def test_q_values_are_honoured(live_server, accept, expected):
    r = get(live_server + "/id/actor/ofb", accept)
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == expected


def test_head_answers_like_get_without_body(live_server):
    for accept in ("text/turtle", BROWSER_ACCEPT):
        got = get(live_server + "/id/project/biodiversa-plus", accept)
        head = requests.head(live_server + "/id/project/biodiversa-plus", headers={"Accept": accept}, timeout=60)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert requests.head(live_server + "/id/nothing", headers={"Accept": "text/turtle"}, timeout=60).status_code == 404


# ------------------------------------------------------------------ schema.org JSON-LD of pages


def jsonld_of(html: str) -> dict:
    import json

    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(found) == 1, "one JSON-LD block per page"
    return json.loads(found[0])


def test_project_page_jsonld_names_project_organisations_and_dates(live_server):
    r = get(live_server + "/id/project/biodiversa-plus", BROWSER_ACCEPT)
    data = jsonld_of(r.text)
    assert data["@type"] == "Project"
    assert data["name"] == "Biodiversa+, the European Biodiversity Partnership"
    assert "Biodiversa+, le partenariat européen pour la biodiversité" in data["alternateName"]
    assert data["foundingDate"] == "2021-10-01" and data["dissolutionDate"] == "2028-09-30"
    lead = [m for m in data["member"] if m["@type"] == "OrganizationRole"]
    assert [(m["member"]["@id"], m["member"]["name"]) for m in lead] == [
        (BASE + "id/actor/biodiversa-plus-consortium", "Biodiversa+ consortium")]
    partners = {m["@id"]: m["name"] for m in data["member"] if m["@type"] == "Organization"}
    assert set(partners) == {BASE + f"id/actor/{a}" for a in ("ofb", "frb", "mtect", "anr")} and all(partners.values())
    assert [(f["@id"], f["name"]) for f in data["funder"]] == [(BASE + "id/actor/european-commission", "European Commission")]
    targets = [k for k in data["keywords"] if isinstance(k, dict)]
    gbf = [t["termCode"] for t in targets if t["inDefinedTermSet"]["@id"] == VOCAB + "gbf"]
    assert gbf == ["3", "11", "14", "15", "21"] and all(t["name"] for t in targets)
    assert data["areaServed"][0]["name"] == "France"


def test_project_page_jsonld_is_rdf_in_the_readers_language(live_server):
    fr = jsonld_of(get(live_server + "/id/project/biodiversa-plus?lang=fr", BROWSER_ACCEPT).text)
    assert fr["name"] == "Biodiversa+, le partenariat européen pour la biodiversité"
    # parsed as JSON-LD with the context given inline: nothing is fetched
    fr["@context"] = {"@vocab": "https://schema.org/"}
    g = Graph().parse(data=__import__("json").dumps(fr), format="json-ld")
    schema = "https://schema.org/"
    project = URIRef(BASE + "id/project/biodiversa-plus")
    assert (project, RDF.type, URIRef(schema + "Project")) in g
    assert str(g.value(project, URIRef(schema + "foundingDate"))) == "2021-10-01"
    funder = g.value(project, URIRef(schema + "funder"))
    assert funder == URIRef(BASE + "id/actor/european-commission") and g.value(funder, URIRef(schema + "name")) is not None


# ------------------------------------------------------------------ site map and robots.txt

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_records_and_sections_that_all_answer(live_server):
    r = get(live_server + "/sitemap.xml")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == SM + "urlset"
    urls = [u.findtext(SM + "loc") for u in root.iter(SM + "url")]
    assert live_server + "/id/project/biodiversa-plus" in urls
    assert live_server + "/vocab/gbf/target/3" in urls and live_server + "/vocab/cbd/article/18" in urls
    assert live_server + "/" in urls or not requests.get(live_server + "/", timeout=60).ok
    assert len(urls) == len(set(urls))
    records = [u for u in urls if "/id/" in u]
    assert len(records) >= 15 + 25
    sample = records[:: max(1, len(records) // 40)] + [u for u in urls if "/id/" not in u and "/vocab/" not in u]
    with requests.Session() as session:
        for url in sample[:80]:  # bounded
            assert session.get(url, headers={"Accept": BROWSER_ACCEPT}, timeout=60).status_code == 200, url


def test_robots_points_at_the_sitemap(live_server):
    r = get(live_server + "/robots.txt")
    assert r.status_code == 200 and f"Sitemap: {live_server}/sitemap.xml" in r.text


def test_sitemap_split_and_index_over_the_limit(tmp_path, validator):
    """The 50,000-URL limit, lowered on an app of our own: an index of numbered site maps."""
    from graph.loading import setup_store
    from graph.store.oxigraph import OxigraphStore
    from server import create_app
    from tests.conftest import make_settings
    from web.sitemap import split

    assert split(list("abcde"), 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert split([], 3) == [[]]
    with pytest.raises(ValueError):
        split(["a"], 0)
    settings = make_settings(tmp_path)
    with OxigraphStore(settings.store_dir) as store:
        setup_store(store, settings, validator)
    app = create_app(settings)
    try:
        app.config["TSCGRAPH_SITEMAP_LIMIT"] = 100
        client = app.test_client()
        index = ET.fromstring(client.get("/sitemap.xml").data)
        assert index.tag == SM + "sitemapindex"
        parts = [s.findtext(SM + "loc") for s in index.iter(SM + "sitemap")]
        assert len(parts) >= 4
        seen = []
        for n, url in enumerate(parts, start=1):
            assert url.endswith(f"/sitemaps/{n}.xml")
            part = ET.fromstring(client.get(f"/sitemaps/{n}.xml").data)
            seen += [u.findtext(SM + "loc") for u in part.iter(SM + "url")]
            assert len(list(part.iter(SM + "url"))) <= 100
        assert client.get(f"/sitemaps/{len(parts) + 1}.xml").status_code == 404
        assert settings.site_url + "id/project/biodiversa-plus" in seen and len(seen) == len(set(seen))
    finally:
        app.extensions["tscgraph.shutdown"]()


# ------------------------------------------------------------------ dumps


def public_graphs(url: str) -> dict[str, int]:
    stats = requests.get(url + "/graph?format=json", timeout=60).json()
    private = (BASE + "graph/submission/", BASE + "graph/moderation")
    return {g["graph"]: g["triples"] for g in stats["graphs"] if not g["graph"].startswith(private)}


def read_nquads(content: bytes) -> Dataset:
    ds = Dataset()
    ds.parse(data=gzip.decompress(content), format="nquads")
    return ds


def test_dumps_hold_the_public_graphs(live_server):
    listing = get(live_server + "/dumps/", BROWSER_ACCEPT)
    assert listing.status_code == 200 and 'href="/dumps/tscgraph.nq.gz"' in listing.text
    r = get(live_server + "/dumps/tscgraph.nq.gz")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/gzip"
    assert int(r.headers["Content-Length"]) == len(r.content)
    ds = read_nquads(r.content)
    expected = public_graphs(live_server)
    found = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    assert found == expected
    ttl = get(live_server + "/dumps/tscgraph.ttl.gz")
    g = Graph().parse(data=gzip.decompress(ttl.content), format="turtle")
    assert len(g) <= sum(expected.values()) and (URIRef(BASE + "id/project/biodiversa-plus"), RDF.type, TSC.Project) in g


def test_dump_conditional_get_and_head(live_server):
    r = get(live_server + "/dumps/tscgraph.nq.gz")
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert get(live_server + "/dumps/tscgraph.nq.gz", headers={"If-None-Match": etag}).status_code == 304
    assert get(live_server + "/dumps/tscgraph.nq.gz", headers={"If-Modified-Since": modified}).status_code == 304
    head = requests.head(live_server + "/dumps/tscgraph.nq.gz", timeout=60)
    assert head.status_code == 200 and head.headers["ETag"] == etag and head.content == b""
    assert get(live_server + "/dumps/other.nq.gz").status_code == 404


def test_void_links_the_dumps(live_server):
    get(live_server + "/dumps/tscgraph.nq.gz")  # built: the VoID then gives its size
    g = Graph().parse(data=get(live_server + "/.well-known/void", "text/turtle").content, format="turtle")
    dumps = set(g.objects(URIRef(BASE + "dataset"), URIRef(VOID + "dataDump")))
    assert dumps == {URIRef(live_server + "/dumps/tscgraph.nq.gz"), URIRef(live_server + "/dumps/tscgraph.ttl.gz")}
    nq = URIRef(live_server + "/dumps/tscgraph.nq.gz")
    assert str(g.value(nq, DCTERMS["format"])) == "application/n-quads"
    size = g.value(nq, URIRef("http://www.w3.org/ns/dcat#byteSize"))
    assert size is not None and int(size) == len(get(live_server + "/dumps/tscgraph.nq.gz").content)


def test_a_write_gives_a_new_dump_without_submission_graphs(writable_server):
    url = writable_server.url
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = get(url + "/dumps/tscgraph.nq.gz")
    iri = BASE + f"id/actor/dump-test-{time.monotonic_ns()}"
    body = (f'<{iri}> a <{TSC.Actor}> ; <{SKOS.prefLabel}> "Dump test"@en , "Test de dump"@fr ; '
            f'<{TSC.actorType}> <{VOCAB}actor-type/ngo> .')
    r = requests.post(url + "/data", params={"graph": BASE + "graph/local"}, data=body.encode(),
                      headers={**auth, "Content-Type": "text/turtle"}, timeout=120)
    assert r.status_code in (200, 201, 204), r.text
    r = requests.post(url + "/submissions", data=body.replace(iri, iri + "-pending").encode(), timeout=120,
                      headers={"Content-Type": "text/turtle", "Accept": "application/json",
                               "X-Submitter-Name": "Dump Test", "X-Submitter-Email": "dump@example.org"})
    assert r.status_code == 201, r.text
    submission = BASE + "graph/submission/" + r.json()["id"]
    after = get(url + "/dumps/tscgraph.nq.gz")
    assert after.headers["ETag"] != before.headers["ETag"]
    ds = read_nquads(after.content)
    assert (URIRef(iri), RDF.type, TSC.Actor, URIRef(BASE + "graph/local")) in ds
    assert submission not in {str(g.identifier) for g in ds.graphs() if len(g)}
    assert not list(ds.quads((URIRef(iri + "-pending"), None, None, None)))
    # the new record dereferences at once, in the sitemap too
    assert get(url + iri[len(BASE) - 1:], "text/turtle").status_code == 200
    assert iri.replace(BASE, url + "/") in get(url + "/sitemap.xml").text
    assert (iri + "-pending").replace(BASE, url + "/") not in get(url + "/sitemap.xml").text
    assert io.BytesIO(after.content).read(2) == b"\x1f\x8b"


# ------------------------------------------------------------------ in a real browser


def test_browser_reads_the_ontology_and_a_vocabulary_and_downloads_a_dump(page, live_server):
    from tests.conftest import screenshot

    page.goto(live_server + "/ontology")
    page.locator("nav.toc").get_by_role("link", name="Project", exact=True).click()
    page.wait_for_url("**/ontology#Project")
    assert page.locator("section#Project h3").inner_text().startswith("Project")
    screenshot(page, "ontology")
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("section#Project h3").inner_text().startswith("Projet")
    page.goto(live_server + "/vocab/gbf")
    assert page.locator("table.concepts tbody tr").count() == 4 + 23 + 27
    screenshot(page, "vocabulary-gbf")
    page.locator("p.ld-downloads a", has_text="Turtle").wait_for()
    page.locator("table.concepts").get_by_role("link", name="Objectif A", exact=True).click()  # still in French
    page.wait_for_url("**/vocab/gbf/goal/A")
    page.goto(live_server + "/dumps/")
    with page.expect_download() as download:
        page.get_by_role("link", name="tscgraph.nq.gz").click()
    path = download.value.path()
    with gzip.open(path) as f:
        assert f.read(200).startswith(b"<")
