"""Harvesting a SPARQL endpoint: a real tscgraph server over the bundled data is harvested completely,
paging does not change what is harvested, a cut answer is asked again smaller, an endpoint that is not
there gives problems (not exceptions) in bounded time, and only http(s) endpoints are harvested.
The readiness check passes on tscgraph and fails, check by check, on a web server that is not SPARQL."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

from bench.peers import free_port
from graph.namespaces import TSC
from graph.settings import ROOT
from loaders.net import Policy
from loaders.rdf import load_rdf
from loaders.sparql import RECORD_CLASSES, check_endpoint
from loaders.sparql import harvest_sparql as harvest_anywhere
from tests.conftest import BASE

BUDGET = TSC.budget


def harvest_sparql(endpoint: str, **options):
    """The test servers are on loopback: their policy allows private addresses, as the sources file must."""
    return harvest_anywhere(endpoint, policy=Policy.for_source(endpoint, allow_private=True), **options)


@pytest.fixture(scope="module")
def harvested(live_server):
    loaded = harvest_sparql(live_server + "/sparql", timeout=20)
    assert loaded.problems == []
    return loaded


def _count(server: str, cls: str) -> int:
    query = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> }}"
    answer = requests.get(server + "/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=20)
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_every_record_of_every_class_is_harvested(live_server, harvested):
    for cls in RECORD_CLASSES:
        found = len(set(harvested.graph.subjects(RDF.type, URIRef(cls))))
        assert found == _count(live_server, cls), cls
    assert len(set(harvested.graph.subjects(RDF.type, TSC.Project))) > 10
    assert len(set(harvested.graph.subjects(RDF.type, TSC.Actor))) > 10
    assert harvested.records >= _count(live_server, str(TSC.Project)) + _count(live_server, str(TSC.Actor))


def test_budgets_come_with_their_project(harvested):
    budgets = list(harvested.graph.subject_objects(BUDGET))
    assert budgets, "the bundled data has budgets"
    for project, budget in budgets:
        assert (project, RDF.type, TSC.Project) in harvested.graph
        assert len(list(harvested.graph.predicate_objects(budget))) >= 2, f"budget of {project} came empty"


def test_the_harvest_conforms_as_the_bundled_data_does(harvested, validator):
    bundled = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        bundled += load_rdf(path, BASE).graph
    expected = validator.validate(bundled)
    report = validator.validate(harvested.graph)
    assert report.conforms, report.to_text()
    assert report.warnings <= expected.warnings


def test_small_pages_give_the_same_graph(live_server, harvested):
    paged = harvest_sparql(live_server + "/sparql", page_size=3, timeout=20)
    assert paged.problems == []
    assert isomorphic(paged.graph, harvested.graph)


def test_an_answer_cut_by_the_row_limit_is_asked_again_smaller(endpoint, harvested):
    """The ``endpoint`` server cuts answers at 100 rows: pages of 500 are lowered until nothing is cut."""
    loaded = harvest_sparql(endpoint.url + "/sparql", page_size=500, timeout=20)
    assert loaded.problems == []
    assert isomorphic(_without_log_dates(loaded.graph), _without_log_dates(harvested.graph))


def _without_log_dates(graph: Graph) -> Graph:
    """Two servers set up at different times differ only by when their record log stamped each record."""
    kept = Graph()
    for triple in graph:
        if triple[1] != DCTERMS.dateAccepted:
            kept.add(triple)
    return kept


def test_max_pages_bounds_the_loop_and_says_so(live_server):
    loaded = harvest_sparql(live_server + "/sparql", classes=[str(TSC.Project)], page_size=2, max_pages=2)
    assert len(set(loaded.graph.subjects(RDF.type, TSC.Project))) == 4
    [problem] = loaded.problems
    assert problem.where == f"class <{TSC.Project}>, offset 4" and "max_pages" in problem.message


def test_an_endpoint_that_refuses_connections_is_a_problem_in_bounded_time():
    url = f"http://127.0.0.1:{free_port()}/sparql"
    start = time.monotonic()
    loaded = harvest_sparql(url, timeout=2)
    assert time.monotonic() - start < 10
    assert len(loaded.graph) == 0
    [problem] = loaded.problems   # unreachable: the harvest stops at the first class
    assert problem.where == f"class <{RECORD_CLASSES[0]}>, offset 0"
    assert problem.message.startswith("endpoint unreachable")


def test_an_http_error_names_the_class_and_offset(live_server):
    loaded = harvest_sparql(live_server + "/no-such-endpoint", classes=[str(TSC.Actor)], timeout=5)
    [problem] = loaded.problems
    assert problem.where == f"class <{TSC.Actor}>, offset 0" and "refused" in problem.message


def test_an_endpoint_on_loopback_is_refused_unless_allowed(live_server):
    """Without ``allow_private_addresses`` a loopback endpoint is refused before any request, classified."""
    loaded = harvest_anywhere(live_server + "/sparql", timeout=5)
    assert len(loaded.graph) == 0
    [problem] = loaded.problems
    assert problem.message == "endpoint unreachable: refused address (loopback)"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/sparql", "/sparql", "http:///sparql"])
def test_only_http_endpoints_are_harvested(url):
    loaded = harvest_sparql(url)
    assert len(loaded.graph) == 0
    assert [(p.where, p.value) for p in loaded.problems] == [("endpoint", url)]


def test_a_class_that_is_not_an_http_iri_is_refused(live_server):
    loaded = harvest_sparql(live_server + "/sparql", classes=["urn:x> } DROP ALL {"])
    assert len(loaded.graph) == 0
    assert [p.where for p in loaded.problems] == ["class"]


# ------------------------------------------------------------------ check_endpoint


def test_check_endpoint_passes_on_tscgraph(live_server):
    checks = check_endpoint(live_server + "/sparql", timeout=10)
    assert [c.name for c in checks if not c.ok] == []
    assert {c.name for c in checks} == {"service description", "trivial query", "CORS", "JSON results",
                                        "XML results", "CSV results", "ASK"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def plain_web_server(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>not SPARQL</body></html>", encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_check_endpoint_fails_clearly_on_a_web_server_that_is_not_sparql(plain_web_server):
    start = time.monotonic()
    checks = check_endpoint(plain_web_server, timeout=5)
    assert time.monotonic() - start < 10
    failed = {c.name: c.detail for c in checks if not c.ok}
    assert set(failed) == {"service description", "trivial query", "CORS", "JSON results", "XML results",
                           "CSV results", "ASK"}
    assert "text/html" in failed["service description"]


def test_check_endpoint_on_nothing_listening_and_on_a_file_url():
    [unreachable] = check_endpoint(f"http://127.0.0.1:{free_port()}/sparql", timeout=2)
    assert unreachable.name == "reachable" and not unreachable.ok
    [refused] = check_endpoint("file:///etc/passwd")
    assert not refused.ok and "http" in refused.detail


def test_the_check_endpoint_command(live_server, run_cli):
    ready = run_cli("check-endpoint", live_server + "/sparql", "--timeout", "10")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert len(ready.stdout.splitlines()) == 7 and "FAIL" not in ready.stdout
    absent = run_cli("check-endpoint", f"http://127.0.0.1:{free_port()}/sparql", "--timeout", "2")
    assert absent.returncode == 1 and absent.stdout.startswith("FAIL reachable: ")
