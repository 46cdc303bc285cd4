"""The analysts' workbench, over HTTP and on disk: its completion and label routes answer from our data, the page
embeds everything its script needs and runs no script but its own, named queries open at ``/sparql?named=``, the
committed build agrees with package.json and package-lock.json, and every place's point says where it comes from.
(The workbench in a browser: tests/test_workbench_browser.py.)"""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from graph.namespaces import PLACE, PREFIXES, VOCAB
from graph.settings import ROOT
from web.security import SECURITY_HEADERS, WORKBENCH_CSP

BUILD = ROOT / "static" / "workbench"
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
ODBL = URIRef("https://opendatacommons.org/licenses/odbl/1-0/")
COUNTRIES = URIRef("https://github.com/mledoze/countries")
TARGET_3 = "https://w3id.org/tscgraph/vocab/gbf/target/3"
HTML = {"Accept": "text/html"}


def get(url: str, **params) -> requests.Response:
    return requests.get(url, params=params, timeout=60)


# ------------------------------------------------------------------ completion and labels


@pytest.fixture(scope="module")
def vocabulary(live_server) -> dict:
    answer = get(live_server + "/sparql/completions")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    return answer.json()


def terms_named(vocabulary: dict, text: str) -> set[str]:
    return {t["iri"] for t in vocabulary["terms"] if text in t["labels"].values() or text in t["alt"]}


def test_completion_knows_our_prefixes(vocabulary):
    assert vocabulary["prefixes"] == PREFIXES


def test_completion_finds_targets_articles_and_places_by_label(vocabulary):
    assert terms_named(vocabulary, "Target 3") == terms_named(vocabulary, "Cible 3") == {TARGET_3}
    assert terms_named(vocabulary, "Mayotte") == {str(PLACE["YT"])}
    assert terms_named(vocabulary, "Guyane") == {str(PLACE["GF"])}
    article = {t["iri"]: t for t in vocabulary["terms"]}[f"{VOCAB}cbd/article/18"]
    assert article["kind"] == "article" and "Article 18" in article["alt"]
    kinds = {t["kind"] for t in vocabulary["terms"]}
    assert kinds == {"class", "property", "target", "article", "place"}


def test_completion_offers_classes_and_properties_with_both_labels_and_use(vocabulary):
    by_iri = {t["iri"]: t for t in vocabulary["terms"]}
    project = by_iri["https://w3id.org/tscgraph/ontology#Project"]
    assert project["kind"] == "class" and project["labels"]["en"] == "Project" and project["labels"]["fr"] == "Projet"
    assert project["count"] > 0  # its VoID class partition
    contributes = by_iri["https://w3id.org/tscgraph/ontology#contributesToTarget"]
    assert contributes["kind"] == "property" and {"en", "fr"} <= set(contributes["labels"]) and contributes["count"] > 0
    assert by_iri[str(DCTERMS.title)]["count"] > 0  # used in the data though declared elsewhere: its property partition


def test_labels_in_the_reader_language_with_their_pages(live_server):
    iris = [TARGET_3, "https://w3id.org/tscgraph/ontology#Project", "https://example.org/not/ours"]
    french = get(live_server + "/sparql/labels", iri=iris, lang="fr").json()["labels"]
    assert french[TARGET_3] == {"label": "Conserver 30 % des terres, des eaux et des mers", "href": "/vocab/gbf/target/3"}
    assert french[iris[1]]["label"] == "Projet" and french[iris[1]]["href"] == "/ontology#Project"
    assert french[iris[2]]["href"].startswith("/resource?iri=https") and french[iris[2]]["label"].endswith("not/ours>")
    assert get(live_server + "/sparql/labels", iri=[TARGET_3], lang="en").json()["labels"][TARGET_3]["label"] == \
        "Conserve 30% of Land, Waters and Seas"


@pytest.mark.parametrize("iris, message", [(["not an iri"], "not an absolute IRI"),
                                           ([f"https://x.example/{n}" for n in range(201)], "at most 200")])
def test_labels_refuse_bad_questions(live_server, iris, message):
    answer = get(live_server + "/sparql/labels", iri=iris)
    assert answer.status_code == 400 and message in answer.text


# ------------------------------------------------------------------ the page


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.inline: list[str] = []
        self._in: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in = dict(attrs)
            self.scripts.append(self._in)

    def handle_data(self, data):
        if self._in is not None:
            self._in.setdefault("text", "")
            self._in["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None


def page_scripts(html: str) -> list[dict]:
    parser = Scripts()
    parser.feed(html)
    return parser.scripts


def workbench_config(html: str) -> dict:
    return json.loads(next(s["text"] for s in page_scripts(html) if s.get("id") == "workbench-config"))


def test_only_the_sparql_page_runs_script_and_only_its_own(live_server):
    page = requests.get(live_server + "/sparql", headers=HTML, timeout=60)
    assert page.headers["Content-Security-Policy"] == WORKBENCH_CSP
    assert "script-src 'self';" in WORKBENCH_CSP and "unsafe" not in WORKBENCH_CSP and "connect-src 'self';" in WORKBENCH_CSP
    assert WORKBENCH_CSP.replace(" script-src 'self'; connect-src 'self';", "") == SECURITY_HEADERS["Content-Security-Policy"]
    for script in page_scripts(page.text):
        if "src" in script:
            assert script["src"] == "/static/workbench/workbench.js" and not script.get("text")
        else:  # data blocks only: the browser runs none of them
            assert script.get("type") in ("application/json", "application/ld+json"), script
    for other in ("/", "/queries", "/queries/projects-per-gbf-target", "/sparql/completions", "/gbf"):
        answer = requests.get(live_server + other, headers=HTML, timeout=60)
        assert answer.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"], other
        assert "workbench.js" not in answer.text


def test_the_page_embeds_what_the_script_needs(live_server):
    config = workbench_config(requests.get(live_server + "/sparql?lang=fr", headers=HTML, timeout=60).text)
    assert config["lang"] == "fr" and config["messages"]["run"] == "Exécuter" and config["messages"]["map"] == "Carte"
    assert config["formats"]["select"] == ["json", "xml", "csv", "tsv"] and "turtle" in config["formats"]["graph"]
    assert {q["name"] for q in config["queries"]} == {p.stem for p in (ROOT / "queries").glob("*.rq")}
    assert config["initial"]["answer"] is None and "SELECT" in config["initial"]["sparql"]
    assert requests.get(live_server + config["outline"], timeout=60).json()["type"] == "Topology"


def test_a_permalink_carries_its_answer(live_server):
    query = f"SELECT ?label WHERE {{ <{TARGET_3}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }}"
    page = requests.get(live_server + "/sparql", params={"query": query}, headers=HTML, timeout=60)
    config = workbench_config(page.text)
    assert config["initial"]["sparql"] == query and config["initial"]["form"] == "select"
    labels = {b["label"]["value"] for b in config["initial"]["answer"]["results"]["bindings"]}
    assert "Conserve 30% of Land, Waters and Seas" in labels
    graph = requests.get(live_server + "/sparql", headers=HTML, timeout=60,
                         params={"query": f"CONSTRUCT {{ <{TARGET_3}> ?p ?o }} WHERE {{ <{TARGET_3}> ?p ?o }}"})
    answer = workbench_config(graph.text)["initial"]["answer"]
    assert answer["head"]["vars"] == ["subject", "predicate", "object"]
    assert {"type": "uri", "value": TARGET_3} == answer["results"]["bindings"][0]["subject"]
    broken = requests.get(live_server + "/sparql", params={"query": "SELECT nonsense"}, headers=HTML, timeout=60)
    assert broken.status_code == 400 and broken.headers["Content-Security-Policy"] == WORKBENCH_CSP
    error = workbench_config(broken.text)["initial"]["error"]
    assert error["status"] == 400 and re.search(r"error at 1:\d+", error["message"])


def test_a_named_query_opens_with_its_parameters(live_server):
    page = requests.get(live_server + "/sparql", headers=HTML, timeout=60,
                        params={"named": "projects-per-gbf-target", "lang": "fr"})
    assert page.status_code == 200 and 'name="named" value="projects-per-gbf-target"' in page.text
    config = workbench_config(page.text)["initial"]
    assert config["named"] == "projects-per-gbf-target" and config["values"] == {"lang": "fr"}
    rows = config["answer"]["results"]["bindings"]
    assert len(rows) == 23 and {r["label"]["xml:lang"] for r in rows if "label" in r} == {"fr"}
    assert "/queries/projects-per-gbf-target?lang=fr&amp;format=csv" in page.text
    assert "/sparql?named=projects-per-gbf-target" in requests.get(
        live_server + "/queries/projects-per-gbf-target", headers=HTML, timeout=60).text
    unknown = requests.get(live_server + "/sparql", params={"named": "nothing-here"}, headers=HTML, timeout=60)
    assert unknown.status_code == 404
    wrong = requests.get(live_server + "/sparql", params={"named": "projects-per-gbf-target", "lang": "not a tag!"},
                         headers=HTML, timeout=60)
    assert wrong.status_code == 400 and "is not a language tag" in wrong.text


# ------------------------------------------------------------------ CORS: other origins' workbenches


@pytest.mark.parametrize("path, method", [("/sparql", "POST"), ("/update", "POST"), ("/data?graph=https://x.example/g", "PUT"),
                                          ("/data?default", "GET")])
def test_the_preflight_lets_a_token_and_a_body_through_without_cookies(live_server, path, method):
    answer = requests.options(live_server + path, timeout=30, headers={
        "Origin": "https://notebook.example", "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert method in answer.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


# ------------------------------------------------------------------ the committed build


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((BUILD / "manifest.json").read_text(encoding="utf-8"))


def test_every_package_is_pinned_exactly():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    wanted = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    loose = {name: spec for name, spec in wanted.items() if not re.fullmatch(r"\d+\.\d+\.\d+", spec)}
    assert not loose, f"package.json must pin exact versions: {loose}"
    assert lock["packages"][""].get("devDependencies", {}) == package.get("devDependencies", {})
    for name, version in wanted.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    unhashed = [path for path, entry in lock["packages"].items() if path and "integrity" not in entry]
    assert not unhashed, f"package-lock.json entries without an integrity hash: {unhashed}"


def test_the_committed_build_matches_the_lock_and_the_sources(manifest):
    """Rebuild with `make assets` when this fails (docs/workbench.md): the build was made from other versions or sources."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in manifest["packages"].items():
        locked = lock["packages"].get(f"node_modules/{name}", {}).get("version")
        assert locked == version, f"static/workbench bundles {name} {version}, package-lock.json says {locked}"
    sources = {"package.json", "package-lock.json", "assets/build.mjs",
               *(str(p.relative_to(ROOT)) for p in (ROOT / "assets" / "workbench").iterdir())}
    assert set(manifest["inputs"]) == sources, "a source of the workbench was added or removed since the build"
    changed = [path for path, digest in manifest["inputs"].items() if sha256(ROOT / path) != digest]
    assert not changed, f"changed since static/workbench was built: {changed}"
    edited = [name for name, digest in manifest["outputs"].items() if sha256(BUILD / name) != digest]
    assert not edited, f"static/workbench files not as the build wrote them: {edited}"
    licences = (BUILD / "LICENSES.txt").read_text(encoding="utf-8")
    assert all(f"== {name} {version}" in licences for name, version in manifest["packages"].items())


# ------------------------------------------------------------------ the places' coordinates


@pytest.fixture(scope="module")
def places() -> Graph:
    return Graph().parse(ROOT / "ontology" / "places.ttl", format="turtle")


def iso_coded(places: Graph, coded: bool = True) -> set:
    """The places named by an ISO 3166-1 alpha-2 code (``place:FR``), or with ``coded=False`` the others."""
    return {p for p in places.subjects(SKOS.inScheme, URIRef(f"{VOCAB}place"))
            if bool(re.fullmatch(r"[A-Z]{2}", str(p)[len(str(PLACE)):])) == coded}


def test_every_place_with_a_code_has_one_sourced_point(places):
    coded = iso_coded(places)
    located = set(places.subjects(GEO.location, None))
    assert located == coded, f"without a point: {sorted(coded - located)}; not a coded place: {sorted(located - coded)}"
    for place in located:
        (point,) = places.objects(place, GEO.location)
        assert (point, RDF.type, GEO.Point) in places
        assert places.value(point, DCTERMS.source) == COUNTRIES and places.value(point, DCTERMS.license) == ODBL, place
        lat, long = places.value(point, GEO.lat), places.value(point, GEO.long)
        assert isinstance(lat, Literal) and lat.datatype == XSD.decimal and -90 <= float(lat) <= 90, place
        assert isinstance(long, Literal) and long.datatype == XSD.decimal and -180 <= float(long) <= 180, place


def test_places_without_a_code_have_no_point(places):
    uncoded = iso_coded(places, coded=False)
    assert PLACE["FR/clipperton"] in uncoded and len(uncoded) >= 14  # the 13 metropolitan regions and Clipperton
    assert not [str(p) for p in uncoded if places.value(p, GEO.location)]


@pytest.mark.parametrize("code, lat, long", [("FR", 46, 2), ("YT", -12.83333333, 45.16666666), ("RE", -21.15, 55.5),
                                             ("GF", 4, -53), ("NC", -21.5, 165.5)])
def test_points_are_the_dataset_values(places, code, lat, long):
    """Spot checks against mledoze/countries (world-countries 5.1.0, countries.json, "latlng")."""
    point = places.value(PLACE[code], GEO.location)
    assert (float(places.value(point, GEO.lat)), float(places.value(point, GEO.long))) == (lat, long)


def test_the_coordinates_block_is_what_the_generator_writes():
    """With node_modules installed (`npm ci`), the block is exactly what `make coordinates` writes from the pinned package."""
    countries = ROOT / "node_modules" / "world-countries" / "countries.json"
    if not countries.exists():
        pytest.skip("node_modules/world-countries is not installed (npm ci): the spot checks above still hold")
    by_code = {c["cca2"]: c["latlng"] for c in json.loads(countries.read_text(encoding="utf-8"))}
    text = (ROOT / "ontology" / "places.ttl").read_text(encoding="utf-8")
    found = re.findall(r'^place:([A-Z]{2}) geo:location \[ a geo:Point ; geo:lat "([^"]+)"\^\^xsd:decimal ; '
                       r'geo:long "([^"]+)"\^\^xsd:decimal', text, re.MULTILINE)
    assert found and all([float(lat), float(long)] == by_code[code] for code, lat, long in found)
