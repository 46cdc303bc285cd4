"""One test per cause of issue #24 fixed on the read side: answers the engine gets right that tscgraph got wrong.
Each runs against a real server on an empty store (tests/w3c/conftest.py) holding two public graphs, a private
one (a pending submission) and literals that rdflib would re-spell; "what the engine says" is a raw pyoxigraph
store with the same data, queried in process."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

from graph.querytext import describe_syntax_error, from_clauses
from tests.conftest import BASE, stop_server
from tests.w3c.answers import results_answer
from tests.w3c.conftest import w3c_server

EX = "http://example.org/"
G1, G2 = EX + "g1", EX + "g2"
PRIVATE = BASE + "graph/submission/pending-0001"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Literals the engine keeps as written and rdflib re-spelt: a double, a dayTimeDuration, a UTC dateTime, a date in UTC.
SPELT = [("2100", "double"), ("PT0S", "dayTimeDuration"), ("2006-08-23T09:00:00Z", "dateTime"), ("2006-08-23Z", "date")]
JSON = {"Accept": "application/sparql-results+json"}


def quads() -> list[ox.Quad]:
    s, p = ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p")
    out = [ox.Quad(s, p, ox.Literal("in g1"), ox.NamedNode(G1)), ox.Quad(s, p, ox.Literal("in g2"), ox.NamedNode(G2)),
           ox.Quad(s, p, ox.Literal("secret"), ox.NamedNode(PRIVATE))]
    for value, datatype in SPELT:
        out.append(ox.Quad(s, ox.NamedNode(EX + datatype), ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)),
                           ox.NamedNode(G1)))
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = w3c_server(tmp_path_factory.mktemp("w3c-regressions"), query_data=False,
                         extra=lambda store: store.extend(quads()))
    yield running
    stop_server(running)


def ask(server, query: str, accept: str = JSON["Accept"], **params) -> requests.Response:
    return requests.post(server.url + "/sparql", data={"query": query, **params}, headers={"Accept": accept}, timeout=30)


def values(server, query: str, **params) -> list[str]:
    answer = ask(server, query, **params)
    assert answer.status_code == 200, answer.text
    return sorted(row["o"].value for row in results_answer(answer.content, ox.QueryResultsFormat.JSON).rows)


def test_from_and_from_named_are_the_querys_dataset(server):
    """(1) FROM / FROM NAMED were overridden by the union default graph; private graphs stay out of them."""
    assert values(server, f"SELECT ?o FROM <{G1}> WHERE {{ <{EX}s> <{EX}p> ?o }}") == ["in g1"]
    assert values(server, f"PREFIX ex: <{EX}> SELECT ?o FROM ex:g2 WHERE {{ ex:s ex:p ?o }}") == ["in g2"]
    assert values(server, f"BASE <{EX}> SELECT ?o FROM <g1> FROM <g2> WHERE {{ <s> <p> ?o }}") == ["in g1", "in g2"]
    # FROM NAMED alone: the default graph is empty, GRAPH sees only the graphs named
    assert values(server, f"SELECT ?o FROM NAMED <{G1}> WHERE {{ <{EX}s> <{EX}p> ?o }}") == []
    assert values(server, f"SELECT ?o FROM NAMED <{G2}> WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}") == ["in g2"]
    # private graphs: filtered out of the dataset, never read
    assert values(server, f"SELECT ?o FROM <{G1}> FROM <{PRIVATE}> WHERE {{ <{EX}s> <{EX}p> ?o }}") == ["in g1"]
    assert values(server, f"SELECT ?o FROM NAMED <{G1}> FROM NAMED <{PRIVATE}> WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}") == ["in g1"]
    refused = ask(server, f"SELECT ?o FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}")
    assert refused.status_code == 400 and "no public graph" in refused.text and "secret" not in refused.text
    assert values(server, f"SELECT ?o WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}") == ["in g1", "in g2"]


def test_a_protocol_dataset_is_exactly_the_graphs_named(server):
    """(2) With only named-graph-uri the default graph stayed the union; with only default-graph-uri GRAPH ?g still
    saw every graph (SPARQL 1.1 Protocol §2.1.4). The protocol's graphs replace the query's FROM."""
    query = f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }}"
    in_graphs = f"SELECT ?o WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}"
    assert values(server, query, **{"named-graph-uri": G1}) == []
    assert values(server, in_graphs, **{"named-graph-uri": G1}) == ["in g1"]
    assert values(server, in_graphs, **{"default-graph-uri": G1}) == []
    assert values(server, query, **{"default-graph-uri": G2}) == ["in g2"]
    assert values(server, f"SELECT ?o FROM <{G1}> WHERE {{ <{EX}s> <{EX}p> ?o }}", **{"default-graph-uri": G2}) == ["in g2"]
    assert values(server, query, **{"default-graph-uri": [G1, PRIVATE]}) == ["in g1"]


def test_answers_spell_each_literal_as_the_engine_does(server):
    """(4) Every term went through rdflib, which re-spells literals: "2100"^^xsd:double answered "2100.0", "PT0S" as
    "P0D", "…Z" as "…+00:00". Now each format writes the engine's own lexical form."""
    engine = ox.Store()
    engine.extend(quads())
    query = f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ <{EX}s> ?p ?o FILTER(isLiteral(?o) && DATATYPE(?o) != <{XSD}string>) }} }}"
    terms = [s["o"] for s in engine.query(query)]
    expected = sorted(str(t) for t in terms)
    assert len(expected) == len(SPELT)
    for accept, fmt in (("application/sparql-results+json", ox.QueryResultsFormat.JSON),
                        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
                        ("text/tab-separated-values", ox.QueryResultsFormat.TSV)):
        answer = ask(server, query, accept)
        assert sorted(str(row["o"]) for row in results_answer(answer.content, fmt).rows) == expected, accept
    csv_cells = ask(server, query, "text/csv").text.split("\r\n")[1:-1]
    assert sorted(csv_cells) == sorted(t.value for t in terms)
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o FILTER(DATATYPE(?o) != <{XSD}string>) }} }}"
    wanted = sorted(str(t.object) for t in engine.query(construct))
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/ld+json", ox.RdfFormat.JSON_LD),
                        ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/n-quads", ox.RdfFormat.N_QUADS)):
        body = ask(server, construct, accept).content
        assert sorted(str(q.object) for q in ox.parse(body, format=fmt)) == wanted, accept
    for value, datatype in SPELT:
        assert f'"{value}"^^<{XSD}{datatype}>' in wanted


def test_tsv_escapes_a_line_break_inside_a_value(server):
    """(5) TSV wrote terms with rdflib's n3(): a value with a line break became a Turtle long string spanning two
    lines, splitting the row."""
    answer = ask(server, 'SELECT ?x ?y WHERE { BIND("a\\nb\\tc\\\\" AS ?x) BIND("d" AS ?y) }', "text/tab-separated-values")
    lines = answer.text.split("\n")
    assert answer.status_code == 200 and lines[0] == "?x\t?y" and lines[2:] == [""], answer.text
    row = results_answer(answer.content, ox.QueryResultsFormat.TSV).rows[0]
    assert row["x"].value == "a\nb\tc\\" and row["y"].value == "d"


def test_json_ld_keeps_blank_nodes_that_point_at_each_other(server):
    """(6) rdflib's JSON-LD writer answered [] for two blank nodes that only point at each other."""
    answer = ask(server, f"CONSTRUCT {{ _:a <{EX}knows> _:b . _:b <{EX}knows> _:a }} WHERE {{}}", "application/ld+json")
    triples = [q.triple for q in ox.parse(answer.content, format=ox.RdfFormat.JSON_LD)]
    assert len(triples) == 2 and {t.subject for t in triples} == {t.object for t in triples}
    assert triples[0].subject != triples[0].object


def test_relative_iris_resolve_against_the_request_and_syntax_errors_say_what_is_wrong(server):
    """(9) A query with a relative IRI and no BASE was a 400 "expected [_]"; Oxigraph server resolves it against the
    request's IRI, and so do we. A syntax error names what is wrong, and keeps the "error at L:C" the workbench reads."""
    answer = ask(server, "SELECT (<a> AS ?x) (<../b#c> AS ?y) WHERE {}")
    row = results_answer(answer.content, ox.QueryResultsFormat.JSON).rows[0]
    assert (row["x"].value, row["y"].value) == (server.url + "/a", server.url + "/b#c")
    undeclared = ask(server, "SELECT ?o WHERE { ?s ex:p ?o }")
    assert undeclared.status_code == 400 and "error at 1:" in undeclared.text and "prefix 'ex:'" in undeclared.text
    unclosed = ask(server, "SELECT ?o WHERE {\n  ?s ?p ?o\n  FILTER(?o > 3\n}")
    assert unclosed.status_code == 400 and "'(' is never closed" in unclosed.text
    typo = ask(server, "SELEC ?o WHERE { ?s ?p ?o }")
    assert typo.status_code == 400 and "not 'SELEC'" in typo.text


def test_a_function_the_engine_does_not_know_is_the_clients_error(server):
    """Found by the runner (sparql10 syntax-expr-05): the engine refuses to evaluate an unknown extension function,
    which answered 500; it is the query's to change: 400, naming it."""
    answer = ask(server, "SELECT * WHERE { FILTER(<http://example.org/ns#myFunc>(1)) }")
    assert answer.status_code == 400 and "myFunc" in answer.text


def test_from_clauses_are_read_as_the_engine_reads_them():
    """What graph.querytext reads of a query's text: keywords only where the grammar has them, IRIs resolved by
    the engine (prefixes, BASE, the request's IRI, escapes)."""
    text = ('PREFIX ex: <http://e/> PREFIX from: <http://f/>\n'
            'SELECT ?from ("FROM <http://no/>" AS ?x) # FROM <http://no/>\n'
            'FROM NAMED ex:g\\-1 FROM from:z FROM <rel> WHERE { ?s ex:from ?from }')
    dataset = from_clauses(text, base_iri="http://h/sparql")
    assert dataset.default_graphs == ("http://f/z", "http://h/rel") and dataset.named_graphs == ("http://e/g-1",)
    assert from_clauses("SELECT * WHERE { ?s <http://e/from> ?o }") is None
    assert from_clauses("SELECT * FROM ex:g WHERE {}") is None  # undeclared prefix: the engine will say so
    said = describe_syntax_error("SELECT (<a> AS ?x) {}", "error at 1:22: expected [_]", has_base=False)
    assert said == "error at 1:22: the IRI <a> is relative and there is no BASE to resolve it against"
