"""SPARQLWrapper (the version of requirements.lock) as a client of a real server on loopback: every return format
it offers for each query form, by GET and by POST, each answer converted as SPARQLWrapper converts it and compared
with what we answer ourselves.
"""

from __future__ import annotations

import csv
import io
import urllib.error

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper2
from SPARQLWrapper import SPARQLWrapper as Wrapper

from tests.conftest import BASE
from tests.field_clients import by_value, our_select, same_graph

TSC = "https://w3id.org/tscgraph/ontology#"
PER_TARGET = f"""PREFIX tsc: <{TSC}>
SELECT ?target (COUNT(DISTINCT ?project) AS ?projects) WHERE {{ ?project a tsc:Project ; tsc:contributesToTarget ?target }}
GROUP BY ?target ORDER BY ?target"""
OFB = f"{BASE}id/actor/ofb"
CONSTRUCT = f"CONSTRUCT {{ <{OFB}> ?p ?o }} WHERE {{ <{OFB}> ?p ?o }}"


def wrapper(url: str, query: str, fmt: str, method: str) -> Wrapper:
    client = Wrapper(url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


@pytest.fixture(scope="module")
def expected_rows(live_server) -> list[tuple[str, str]]:
    rows = [(r["target"], r["projects"]) for r in our_select(live_server + "/sparql", PER_TARGET)]
    assert len(rows) > 5
    return rows


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_in_every_format(live_server, expected_rows, fmt, method):
    result = wrapper(live_server, PER_TARGET, fmt, method).query()
    converted = result.convert()
    if fmt == JSON:
        rows = [(b["target"]["value"], b["projects"]["value"]) for b in converted["results"]["bindings"]]
    elif fmt == XML:
        rows = [tuple(next(n.firstChild.data for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
                      for binding in result_node.getElementsByTagName("binding"))
                for result_node in converted.getElementsByTagName("result")]
    else:
        table = list(csv.reader(io.StringIO(converted.decode("utf-8")), delimiter="," if fmt == CSV else "\t"))
        assert table[0] == (["target", "projects"] if fmt == CSV else ["?target", "?projects"])
        rows = [(t.strip("<>"), n.split("^^")[0].strip('"')) for t, n in table[1:]]
    assert rows == expected_rows


def test_sparqlwrapper2_binds_rows(live_server, expected_rows):
    client = SPARQLWrapper2(live_server + "/sparql")
    client.setQuery(PER_TARGET)
    assert [(b["target"].value, b["projects"].value) for b in client.query().bindings] == expected_rows


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(live_server, fmt):
    result = wrapper(live_server, f"ASK {{ <{OFB}> a <{TSC}Actor> }}", fmt, GET).query().convert()
    assert (result["boolean"] if fmt == JSON else result.getElementsByTagName("boolean")[0].firstChild.data == "true") is True


def test_ask_in_csv_is_406_naming_what_is_offered(live_server):
    """SPARQL 1.1 defines no CSV for a boolean: an ASK answers in JSON or XML results, and says so."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        wrapper(live_server, "ASK { ?s ?p ?o }", CSV, GET).query()
    assert refused.value.code == 406 and "json, xml" in refused.value.read().decode()


@pytest.fixture(scope="module")
def expected_graph(live_server) -> Graph:
    import requests

    answer = requests.get(live_server + "/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/turtle"}, timeout=30)
    assert answer.status_code == 200
    return by_value(Graph().parse(data=answer.text, format="turtle"))


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, XML, JSONLD])
def test_construct_in_every_format(live_server, expected_graph, fmt, method):
    result = wrapper(live_server, CONSTRUCT, fmt, method).query()
    converted = result.convert()
    if isinstance(converted, bytes):  # Turtle and N3 come as text, in the syntax the answer declares
        syntax = {"text/turtle": "turtle", "application/n-triples": "nt"}[result.info()["content-type"].split(";")[0]]
        converted = Graph().parse(data=converted, format=syntax)
    assert len(expected_graph) > 3 and same_graph(by_value(converted), expected_graph)


def test_describe_in_turtle(live_server):
    converted = wrapper(live_server, f"DESCRIBE <{OFB}>", TURTLE, GET).query().convert()
    graph = Graph().parse(data=converted, format="turtle")
    assert len(graph) > 3 and (None, None, None) in graph
