"""Validation results are data: a load's report is stored as RDF linked with PROV to the records it
judged, queryable in SPARQL, shown as a badge on record pages and usable as a facet; a stored report
has its own page; the storage itself (graph.reports) is checked on a store."""

from __future__ import annotations

import re

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from graph.reports import CONFORMANCE, latest_badge, record_report, validation_graph
from graph.store.view import PublicView
from tests.conftest import BASE, TESTS, start_server, stop_server

PROJECT = BASE + "id/project/"
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("reports"), rate_limit="1000")
    yield s.url
    stop_server(s)


def select(url: str, query: str) -> list[dict]:
    r = requests.get(url + "/sparql", params={"query": query}, headers=SPARQL_JSON, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def a_project(url: str) -> str:
    rows = select(url, "PREFIX tsc: <https://w3id.org/tscgraph/ontology#> SELECT ?p WHERE { ?p a tsc:Project } ORDER BY ?p LIMIT 1")
    return rows[0]["p"]["value"]


def test_the_setup_load_is_recorded_and_queryable(server):
    rows = select(server, """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX tsc: <https://w3id.org/tscgraph/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?activity ?report ?conforms ?at (COUNT(DISTINCT ?record) AS ?judged) WHERE { GRAPH ?g {
          ?activity a prov:Activity ; dcterms:type <https://w3id.org/tscgraph/vocab/validation/load> ;
                    prov:generated ?report ; prov:endedAtTime ?at ; prov:used ?record .
          ?report a sh:ValidationReport ; sh:conforms ?conforms } } GROUP BY ?activity ?report ?conforms ?at""")
    assert len(rows) == 1
    assert rows[0]["conforms"]["value"] == "true"
    typed = select(server, "PREFIX tsc: <https://w3id.org/tscgraph/ontology#> SELECT (COUNT(DISTINCT ?r) AS ?n) "
                           "WHERE { GRAPH <" + BASE + "graph/local> { ?r a ?c FILTER(STRSTARTS(STR(?c), STR(tsc:))) } }")
    assert rows[0]["judged"]["value"] == typed[0]["n"]["value"]
    verdicts = select(server, "PREFIX tsc: <https://w3id.org/tscgraph/ontology#> SELECT ?c (COUNT(?r) AS ?n) "
                              "WHERE { ?r tsc:conformance ?c } GROUP BY ?c")
    assert {v["c"]["value"] for v in verdicts} <= {str(CONFORMANCE[x]) for x in ("conforms", "warnings")}
    assert sum(int(v["n"]["value"]) for v in verdicts) == int(typed[0]["n"]["value"])


def test_the_badge_shows_and_links_to_the_report_page(server):
    project = a_project(server)
    page = requests.get(server + "/" + project[len(BASE):], headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    badge = re.search(r'<p class="conformance (\w+)">\s*<a href="([^"]+)">([^<]+)</a>', page.text)
    assert badge, "no conformance badge on the project page"
    assert badge.group(1) in ("conforms", "warnings") and badge.group(2).startswith("/id/report/")
    report = requests.get(server + badge.group(2), headers={"Accept": "text/html"}, timeout=30)
    assert report.status_code == 200 and "Validation report" in report.text and "a load of data files" in report.text
    french = requests.get(server + "/" + project[len(BASE):], params={"lang": "fr"}, timeout=30).text
    assert "Conforme aux formes" in french or "avertissement" in french
    turtle = requests.get(server + badge.group(2), headers={"Accept": "text/turtle"}, timeout=30)
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(BASE + badge.group(2)[1:]), None, SH.ValidationReport) in graph


def test_the_conformance_facet_filters(server):
    def listing(**args) -> dict:
        r = requests.get(server + "/projects", params={"format": "json", **args}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    everything = listing()["total"]
    verdicts = {v: listing(conformance=v)["total"] for v in ("conforms", "warnings", "violations")}
    assert verdicts["violations"] == 0  # a checked load only writes conforming data
    assert verdicts["conforms"] > 0 and verdicts["conforms"] + verdicts["warnings"] == everything
    html = requests.get(server + "/projects", timeout=30).text
    assert "Conformance" in html and "Conforms to the shapes" in html


# ------------------------------------------------------------------ the storage itself


def test_latest_report_wins_and_private_reports_stay_private(store, settings, validator):
    data = Graph().parse(TESTS / "shapes" / "ProjectShape-invalid-01.ttl", format="turtle", publicID=BASE)
    record = next(iter(data.subjects(predicate=None, object=URIRef("https://w3id.org/tscgraph/ontology#Project"))))
    failing = validator.validate(data)
    view = PublicView(store, settings.is_public_graph)
    first = record_report(store, settings, failing, [record], activity="harvest", public=True, content=data, source="test")
    assert first.verdicts[record] == "violations"
    badge = latest_badge(view, settings, record)
    assert badge is not None and badge.verdict == "violations" and badge.violations == failing.violations
    good = Graph().parse(TESTS / "shapes" / "ProjectShape-valid-01.ttl", format="turtle", publicID=BASE)
    second = record_report(store, settings, validator.validate(good), [record], activity="approval", public=True)
    assert latest_badge(view, settings, record).report == second.report
    conformance = store.select("SELECT ?c WHERE { GRAPH <%s> { <%s> <https://w3id.org/tscgraph/ontology#conformance> ?c } }"
                               % (validation_graph(settings), record))
    assert [r["c"] for r in conformance] == [CONFORMANCE["conforms"]]  # one verdict: the newest
    private = record_report(store, settings, failing, [record], activity="submission", public=False)
    assert private.graph == settings.moderation_graph and not settings.is_public_graph(private.graph)
    assert latest_badge(view, settings, record).report == second.report  # the private one is not seen
