"""What Virtuoso Open Source 7.2.5 (Debian ``virtuoso-opensource``) really does over the SPARQL 1.1 protocols.

Issue #8: our remote store speaks only SPARQL 1.1 Query, Update and the Graph Store HTTP Protocol, and must
work against Virtuoso. Each test pins one behaviour of a private Virtuoso (``bench.peers.virtuoso_server``:
fresh database, loopback ports, anonymous writes granted). Where Virtuoso departs from the specifications the
test is named ``test_virtuoso_differs_…`` and its docstring says how. docs/backends.md tabulates the results.
"""

from __future__ import annotations

import time

import pytest
import requests

from bench.peers import oxigraph_serving, post_file, virtuoso_server

EX = "http://ex.example/"
XSD = "http://www.w3.org/2001/XMLSchema#"
JSON = {"Accept": "application/sparql-results+json"}
VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


def update(server, text: str, timeout: float = 120) -> requests.Response:
    return requests.post(server.update_url, data={"update": text}, timeout=timeout)


def updated(server, text: str) -> None:
    answer = update(server, text)
    assert answer.status_code == 200, answer.text[:2000]


def select(server, query: str, **params) -> list[dict[str, dict]]:
    answer = requests.get(server.url, params={"query": query, **params}, headers=JSON, timeout=120)
    assert answer.status_code == 200, answer.text[:2000]
    return answer.json()["results"]["bindings"]


def values(rows: list[dict[str, dict]], var: str) -> list[str]:
    return sorted(row[var]["value"] for row in rows if var in row)


def graph_rows(server, graph: str) -> list[dict[str, dict]]:
    return select(server, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def graph_names(server) -> set[str]:
    return set(values(select(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"), "g"))


# ------------------------------------------------------------------ dataset and protocol parameters


def test_default_graph_is_the_union_of_all_graphs(virtuoso):
    """No default-graph-uri: the default graph is the union of every graph (the spec leaves this to the
    service). It includes Virtuoso's own system graphs, so unscoped patterns also see their triples."""
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}u1> {{ <{EX}a> <{EX}union> 1 }} GRAPH <{EX}u2> {{ <{EX}b> <{EX}union> 2 }} }}")
    assert values(select(virtuoso, f"SELECT ?s WHERE {{ ?s <{EX}union> ?o }}"), "s") == [EX + "a", EX + "b"]
    [system] = select(virtuoso, f"SELECT ?s ?p WHERE {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o FILTER isIRI(?s) }} }} LIMIT 1")
    seen = select(virtuoso, f"SELECT ?o WHERE {{ <{system['s']['value']}> <{system['p']['value']}> ?o }} LIMIT 1")
    assert seen, "the union default graph includes Virtuoso's system graph virtrdf:"


def test_protocol_dataset_parameters_are_honoured(virtuoso):
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}d1> {{ <{EX}a> <{EX}ds> 1 }} GRAPH <{EX}d2> {{ <{EX}b> <{EX}ds> 2 }} }}")
    rows = select(virtuoso, f"SELECT ?s WHERE {{ ?s <{EX}ds> ?o }}", **{"default-graph-uri": EX + "d1"})
    assert values(rows, "s") == [EX + "a"]
    rows = select(virtuoso, f"SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?s <{EX}ds> ?o }} }}", **{"named-graph-uri": EX + "d2"})
    assert [(r["g"]["value"], r["s"]["value"]) for r in rows] == [(EX + "d2", EX + "b")]


# ------------------------------------------------------------------ result formats


@pytest.fixture(scope="module")
def one_triple(virtuoso):
    graph = EX + "formats"
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}a> <{EX}p> 1 }} }}")
    return graph


def _get(server, query: str, accept: str) -> requests.Response:
    answer = requests.get(server.url, params={"query": query}, headers={"Accept": accept}, timeout=60)
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.headers["Content-Type"].split(";")[0] == accept
    return answer


def test_virtuoso_differs_json_results_use_typed_literal(virtuoso, one_triple):
    """SPARQL 1.1 JSON results: a datatyped literal is ``{"type": "literal", "datatype": …}``. Virtuoso
    answers ``"type": "typed-literal"`` (the 2007 draft's name); a client must accept both."""
    answer = _get(virtuoso, f"SELECT ?s ?o WHERE {{ GRAPH <{one_triple}> {{ ?s ?p ?o }} }}",
                  "application/sparql-results+json")
    [row] = answer.json()["results"]["bindings"]
    assert row["s"] == {"type": "uri", "value": EX + "a"}
    assert row["o"] == {"type": "typed-literal", "datatype": XSD + "integer", "value": "1"}


def test_xml_and_csv_results(virtuoso, one_triple):
    query = f"SELECT ?s ?o WHERE {{ GRAPH <{one_triple}> {{ ?s ?p ?o }} }}"
    xml = _get(virtuoso, query, "application/sparql-results+xml").text
    assert "<uri>" + EX + "a</uri>" in xml and f'datatype="{XSD}integer">1</literal>' in xml
    assert _get(virtuoso, query, "text/csv").text.splitlines() == ['"s","o"', f'"{EX}a",1']


def test_virtuoso_differs_tsv_results_are_csv_with_tabs(virtuoso, one_triple):
    """SPARQL 1.1 TSV: header ``?s\\t?o``, terms in Turtle syntax (``<iri>``). Virtuoso writes quoted names
    without ``?`` and IRIs as quoted strings, so TSV cannot tell an IRI from a string: do not use it."""
    answer = _get(virtuoso, f"SELECT ?s ?o WHERE {{ GRAPH <{one_triple}> {{ ?s ?p ?o }} }}",
                  "text/tab-separated-values")
    assert answer.text.splitlines() == ['"s"\t"o"', f'"{EX}a"\t1']


def test_construct_as_n_triples_and_turtle(virtuoso, one_triple):
    import rdflib

    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{one_triple}> {{ ?s ?p ?o }} }}"
    expected = {(rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "p"), rdflib.Literal(1))}
    for accept, fmt in (("application/n-triples", "nt"), ("text/turtle", "turtle")):
        graph = rdflib.Graph().parse(data=_get(virtuoso, query, accept).text, format=fmt)
        assert set(graph) == expected


def test_ask_as_json(virtuoso, one_triple):
    answer = _get(virtuoso, f"ASK {{ GRAPH <{one_triple}> {{ ?s ?p ?o }} }}", "application/sparql-results+json")
    assert answer.json()["boolean"] is True


# ------------------------------------------------------------------ updates


def test_update_answers_200_with_a_result_set(virtuoso):
    """Success is 200 with an XML result set (one ``callret-0`` message), not 204; only the status matters."""
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}ok> {{ <{EX}a> <{EX}p> 1 }} }}")
    assert answer.status_code == 200
    assert "callret-0" in answer.text and "Insert into" in answer.text


def test_virtuoso_differs_insert_data_rejects_blank_nodes(virtuoso):
    """SPARQL 1.1 allows blank nodes in INSERT DATA. Virtuoso: 400 "SP031 … Blank node '_:x' is not allowed
    in a constant clause". ``INSERT { … } WHERE {}`` takes them (fresh ``nodeID://b…`` labels)."""
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}bn> {{ _:x <{EX}p> _:y . _:y <{EX}p> 3 }} }}")
    assert answer.status_code == 400 and "SP031" in answer.text and "Blank node" in answer.text
    assert graph_rows(virtuoso, EX + "bn") == []
    updated(virtuoso, f"INSERT {{ GRAPH <{EX}bn> {{ _:x <{EX}p> _:y . _:y <{EX}p> 3 }} }} WHERE {{}}")
    rows = graph_rows(virtuoso, EX + "bn")
    assert len(rows) == 2 and all(r["s"]["type"] == "bnode" and r["s"]["value"].startswith("nodeID://") for r in rows)
    linked = [r for r in rows if r["o"]["type"] == "bnode"]
    assert len(linked) == 1 and linked[0]["o"]["value"] in {r["s"]["value"] for r in rows}


def test_syntax_error_in_second_operation_applies_nothing(virtuoso):
    """The whole request is compiled first: a syntax error anywhere means no operation ran."""
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}at1> {{ <{EX}a> <{EX}p> 1 }} }} ; INSERT DATA {{ GRAPH <{EX}at1> {{ <{EX}a> }} }}")
    assert answer.status_code == 400 and "SP030" in answer.text
    assert graph_rows(virtuoso, EX + "at1") == []


def test_virtuoso_differs_request_not_atomic_on_runtime_error(virtuoso):
    """SPARQL 1.1 Update: a request SHOULD be atomic. Virtuoso runs operations one by one: when the second
    fails at run time (here CREATE of a graph that has triples) the answer is 500 but the first INSERT
    stays. Our remote store must not rely on multi-operation requests being all-or-nothing."""
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}at-existing> {{ <{EX}a> <{EX}p> 1 }} }}")
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}at2> {{ <{EX}a> <{EX}p> 1 }} }} ; CREATE GRAPH <{EX}at-existing>")
    assert answer.status_code == 500 and "SPARUL_CREATE() failed" in answer.text
    assert len(graph_rows(virtuoso, EX + "at2")) == 1


def test_graph_management_operations(virtuoso):
    """COPY, MOVE (replacing the target), ADD, CLEAR, CREATE, DROP SILENT all work."""
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}m-src> {{ <{EX}a> <{EX}p> 1 }} GRAPH <{EX}m-dst> {{ <{EX}old> <{EX}p> 0 }} }}")
    updated(virtuoso, f"COPY <{EX}m-src> TO <{EX}m-copy>")
    assert values(graph_rows(virtuoso, EX + "m-copy"), "s") == [EX + "a"]
    updated(virtuoso, f"MOVE <{EX}m-copy> TO <{EX}m-dst>")
    assert values(graph_rows(virtuoso, EX + "m-dst"), "s") == [EX + "a"]  # replaced, not merged
    assert graph_rows(virtuoso, EX + "m-copy") == []
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}m-add> {{ <{EX}b> <{EX}p> 2 }} }}")
    updated(virtuoso, f"ADD <{EX}m-src> TO <{EX}m-add>")
    assert values(graph_rows(virtuoso, EX + "m-add"), "s") == [EX + "a", EX + "b"]
    updated(virtuoso, f"CLEAR GRAPH <{EX}m-add>")
    assert graph_rows(virtuoso, EX + "m-add") == []
    updated(virtuoso, f"DROP SILENT GRAPH <{EX}never-existed>")
    updated(virtuoso, f"CREATE GRAPH <{EX}m-created>")
    again = update(virtuoso, f"CREATE GRAPH <{EX}m-created>")
    assert again.status_code == 500 and "has been explicitly created before" in again.text
    updated(virtuoso, f"CREATE SILENT GRAPH <{EX}m-created>")
    updated(virtuoso, f"DROP GRAPH <{EX}m-created>")


def test_virtuoso_differs_drop_graph_needs_create(virtuoso):
    """SPARQL 1.1: DROP GRAPH of a graph holding triples removes it. Virtuoso answers 500 "SPARUL_DROP()
    failed: graph … has not been explicitly created before" unless the graph was made with CREATE GRAPH,
    and keeps the triples. Use DROP SILENT GRAPH (or CLEAR) instead."""
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}dr> {{ <{EX}a> <{EX}p> 1 }} }}")
    answer = update(virtuoso, f"DROP GRAPH <{EX}dr>")
    assert answer.status_code == 500 and "has not been explicitly created before" in answer.text
    assert len(graph_rows(virtuoso, EX + "dr")) == 1
    updated(virtuoso, f"DROP SILENT GRAPH <{EX}dr>")
    assert graph_rows(virtuoso, EX + "dr") == []


def test_virtuoso_differs_created_empty_graph_is_listed(virtuoso):
    """A graph with no triples does not match ``GRAPH ?g { ?s ?p ?o }`` in SPARQL. Virtuoso's
    ``SELECT DISTINCT ?g`` (answered from its graph list) includes a graph made by CREATE GRAPH that has no
    triples, while a query that needs a triple does not. A graph emptied by CLEAR, never created, is gone."""
    updated(virtuoso, f"CREATE GRAPH <{EX}empty-created>")
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}cleared> {{ <{EX}a> <{EX}p> 1 }} }}")
    updated(virtuoso, f"CLEAR GRAPH <{EX}cleared>")
    names = graph_names(virtuoso)
    assert EX + "empty-created" in names and EX + "cleared" not in names
    counted = select(virtuoso, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert EX + "empty-created" not in values(counted, "g")


def test_system_graphs_present_by_default(virtuoso):
    """Graphs our code must ignore: Virtuoso's own, present in a fresh database. Two are named after the
    instance's URIQA DefaultHost (Debian's default: ``localhost:8890``; here ``127.0.0.1:<port>``); owl: is
    there only when the recommended packages (the Conductor VAD) are installed."""
    always = {VIRTRDF, "http://www.w3.org/ns/ldp#", virtuoso.base + "/sparql", virtuoso.base + "/DAV/"}
    with_conductor = {"http://www.w3.org/2002/07/owl#"}  # the recommended virtuoso-vad-conductor adds it
    names = graph_names(virtuoso)
    assert always <= names
    assert not {g for g in names - always - with_conductor if not g.startswith(EX)}


# ------------------------------------------------------------------ literals


@pytest.fixture(scope="module")
def literals(virtuoso):
    long = "a" * 100_000
    graph = EX + "literals"
    body = (
        f'<{EX}l> <{EX}dec> "1500.00"^^<{XSD}decimal> ; <{EX}dt> "2024-05-01T10:20:30Z"^^<{XSD}dateTime> ; '
        f'<{EX}dtfrac> "2024-05-01T10:20:30.5+02:00"^^<{XSD}dateTime> ; <{EX}lang> "colour"@en-GB ; '
        f'<{EX}typedstr> "s1"^^<{XSD}string> ; <{EX}plain> "s2" ; <{EX}long> "{long}" ; '
        f'<{EX}uni> "é 中文 😀" ; <{EX}bool> true .'
    )
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{graph}> {{ {body} }} }}")
    rows = select(virtuoso, f"SELECT ?p ?o WHERE {{ GRAPH <{graph}> {{ <{EX}l> ?p ?o }} }}")
    return {row["p"]["value"][len(EX):]: row["o"] for row in rows}


def test_virtuoso_differs_decimal_and_datetime_lexical_forms_change(literals):
    """RDF keeps a literal's lexical form. Virtuoso stores values: "1500.00"^^xsd:decimal comes back as
    "1500", ".5" seconds as ".500"; a "Z" dateTime keeps its "Z". Compare such literals by value."""
    assert literals["dec"] == {"type": "typed-literal", "datatype": XSD + "decimal", "value": "1500"}
    assert literals["dt"]["value"] == "2024-05-01T10:20:30Z"
    assert literals["dtfrac"]["value"] == "2024-05-01T10:20:30.500+02:00"


def test_virtuoso_differs_boolean_is_1_in_json(literals, virtuoso):
    """``true`` comes back in JSON results as "1"^^xsd:boolean (N-Triples output says "true")."""
    assert literals["bool"] == {"type": "typed-literal", "datatype": XSD + "boolean", "value": "1"}


def test_language_tags_are_lowercased(literals, virtuoso):
    """"colour"@en-GB comes back as @en-gb (RDF 1.1 allows lower-casing; tags compare case-insensitively)."""
    assert literals["lang"] == {"type": "literal", "xml:lang": "en-gb", "value": "colour"}
    rows = select(virtuoso, f'SELECT ?p WHERE {{ GRAPH <{EX}literals> {{ ?s ?p "colour"@en-GB }} }}')
    assert values(rows, "p") == [EX + "lang"]


def test_virtuoso_differs_xsd_string_is_not_a_plain_literal(literals, virtuoso):
    """RDF 1.1: "s" and "s"^^xsd:string are the same term. Virtuoso keeps them apart: the explicit one comes
    back typed, the plain one plain, and neither matches the other's spelling in a pattern."""
    assert literals["typedstr"] == {"type": "typed-literal", "datatype": XSD + "string", "value": "s1"}
    assert literals["plain"] == {"type": "literal", "value": "s2"}
    assert select(virtuoso, f'SELECT ?p WHERE {{ GRAPH <{EX}literals> {{ ?s ?p "s1" }} }}') == []
    assert select(virtuoso, f'SELECT ?p WHERE {{ GRAPH <{EX}literals> {{ ?s ?p "s2"^^<{XSD}string> }} }}') == []


def test_long_and_non_ascii_literals_round_trip(literals):
    assert literals["long"]["value"] == "a" * 100_000
    assert literals["uni"] == {"type": "literal", "value": "é 中文 😀"}


# ------------------------------------------------------------------ query forms


@pytest.fixture(scope="module")
def three(virtuoso):
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}v> {{ <{EX}1> <{EX}p> 1 . <{EX}2> <{EX}p> 2 . <{EX}3> <{EX}p> 3 }} }}")
    return f"GRAPH <{EX}v> {{ ?x <{EX}p> ?o }}"


def test_values_inline_trailing_and_in(virtuoso, three):
    inline = select(virtuoso, f"SELECT ?x WHERE {{ VALUES ?x {{ <{EX}1> <{EX}3> }} {three} }}")
    assert values(inline, "x") == [EX + "1", EX + "3"]
    trailing = select(virtuoso, f"SELECT ?x WHERE {{ {three} }} VALUES ?x {{ <{EX}1> <{EX}2> }}")
    assert values(trailing, "x") == [EX + "1", EX + "2"]
    multi = select(virtuoso, f"SELECT ?x ?o WHERE {{ {three} }} VALUES (?x ?o) {{ (<{EX}1> 1) (<{EX}2> UNDEF) }}")
    assert values(multi, "x") == [EX + "1", EX + "2"]
    listed = select(virtuoso, f"SELECT ?x WHERE {{ {three} FILTER(?x IN (<{EX}2>, <{EX}3>)) }}")
    assert values(listed, "x") == [EX + "2", EX + "3"]


def test_syntax_error_is_400_text_plain(virtuoso):
    """400, ``text/plain``, body "Virtuoso 37000 Error SP030: SPARQL compiler, line N: syntax error at …"
    followed by the query text (prefixed with ``define sql:big-data-const 0``)."""
    answer = requests.get(virtuoso.url, params={"query": "SELEC * WHERE {"}, headers=JSON, timeout=60)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text.startswith("Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error")
    assert "SELEC * WHERE {" in answer.text


# ------------------------------------------------------------------ limits


def _ntriples(n: int, graph_tag: str) -> str:
    return "\n".join(f'<{EX}{graph_tag}/s{i}> <{EX}p> "value number {i}" .' for i in range(n))


def test_virtuoso_differs_insert_data_limits(virtuoso):
    """No size limit in SPARQL 1.1. Virtuoso compiles INSERT DATA to SQL and gives up between 1,000 and
    1,500 triples (400 "SP031 … The length of generated SQL text has exceeded 10000 lines of code"); near
    5,000 triples (~1 MB) its parser fails first (400 "SP030 … memory exhausted"); a request body over 10 MB
    fails with 500 "The requested string session is longer than 10Mb". Send INSERT DATA in chunks of
    ≤ 1,000 triples, or load through GSP POST, which took 10 MB (160,000 triples) in one request."""
    updated(virtuoso, f"INSERT DATA {{ GRAPH <{EX}big-ok> {{ {_ntriples(1000, 'ok')} }} }}")
    assert select(virtuoso, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}big-ok> {{ ?s ?p ?o }} }}")[0]["n"]["value"] == "1000"
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}big-1500> {{ {_ntriples(1500, '1500')} }} }}")
    assert answer.status_code == 400 and "exceeded 10000 lines of code" in answer.text
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}big-1mb> {{ {_ntriples(16_000, 'mb')} }} }}")
    assert answer.status_code == 400 and "memory exhausted" in answer.text
    body = _ntriples(160_000, "ten")
    assert len(body.encode()) > 10 * 1024 * 1024
    answer = update(virtuoso, f"INSERT DATA {{ GRAPH <{EX}big-10mb> {{ {body} }} }}")
    assert answer.status_code == 500 and "longer than 10Mb" in answer.text
    answer = requests.post(virtuoso.gsp_url, params={"graph-uri": EX + "big-gsp"}, data=body.encode(),
                           headers={"Content-Type": "application/n-triples"}, timeout=300)
    assert answer.status_code == 201, answer.text[:2000]
    assert select(virtuoso, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}big-gsp> {{ ?s ?p ?o }} }}")[0]["n"]["value"] == "160000"


def test_virtuoso_differs_timeout_returns_partial_results_with_200(virtuoso):
    """The ``timeout`` parameter (ms) works as an "anytime query": at the limit Virtuoso answers **200** with
    whatever it has (here an incomplete COUNT), flagged only by headers ``X-SQL-State: S1TAT``,
    ``X-SQL-Message: RC...: Returning incomplete results, query interrupted by result timeout`` and
    ``X-Exec-Milliseconds``. Our remote store must check X-SQL-State and treat S1TAT as a time-out."""
    graph = EX + "cross"
    answer = requests.post(virtuoso.gsp_url, params={"graph-uri": graph},
                           data="\n".join(f"<{EX}c{i}> <{EX}n> {i} ." for i in range(20_000)),
                           headers={"Content-Type": "application/n-triples"}, timeout=120)
    assert answer.status_code == 201
    query = (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?a <{EX}n> ?x . ?b <{EX}n> ?y }} "
             "FILTER(?x + ?y >= 0) }")
    started = time.monotonic()
    answer = requests.get(virtuoso.url, params={"query": query, "timeout": "1000"}, headers=JSON, timeout=60)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200
    assert answer.headers["X-SQL-State"] == "S1TAT"
    assert "incomplete results" in answer.headers["X-SQL-Message"]
    assert int(answer.headers["X-Exec-Milliseconds"]) >= 1000
    counted = answer.json()["results"]["bindings"]
    assert not counted or int(counted[0]["n"]["value"]) < 20_000 * 20_000
    assert elapsed < 20


# ------------------------------------------------------------------ Graph Store Protocol


def test_graph_store_protocol(virtuoso):
    """/sparql-graph-crud, graph by ``graph-uri=`` (``graph=`` works too): PUT new 201, PUT existing 200
    (replaced), POST 200 (merged), GET Turtle by default / N-Triples / RDF/XML by Accept, missing graph
    404, DELETE 200 then 404."""
    import rdflib

    gsp, graph = virtuoso.gsp_url, {"graph-uri": EX + "gsp"}
    nt = {"Content-Type": "application/n-triples"}
    assert requests.put(gsp, params=graph, data=f"<{EX}a> <{EX}p> 1 .", headers=nt, timeout=60).status_code == 201
    assert requests.put(gsp, params=graph, data=f"<{EX}b> <{EX}p> 2 .", headers=nt, timeout=60).status_code == 200
    assert requests.post(gsp, params=graph, data=f"<{EX}c> <{EX}p> 3 .", headers={"Content-Type": "text/turtle"},
                         timeout=60).status_code == 200
    expected = {(rdflib.URIRef(EX + s), rdflib.URIRef(EX + "p"), rdflib.Literal(n)) for s, n in (("b", 2), ("c", 3))}
    for accept, fmt in ((None, "turtle"), ("text/turtle", "turtle"), ("application/n-triples", "nt"),
                        ("application/rdf+xml", "xml")):
        answer = requests.get(gsp, params=graph, headers={"Accept": accept} if accept else {}, timeout=60)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].split(";")[0] == (accept or "text/turtle")
        assert set(rdflib.Graph().parse(data=answer.text, format=fmt)) == expected
    assert requests.get(gsp, params={"graph": EX + "gsp"}, timeout=60).status_code == 200
    assert requests.get(gsp, params={"graph-uri": EX + "gsp-missing"}, timeout=60).status_code == 404
    assert requests.delete(gsp, params=graph, timeout=60).status_code == 200
    assert requests.delete(gsp, params=graph, timeout=60).status_code == 404
    assert requests.get(gsp, params=graph, timeout=60).status_code == 404


def test_virtuoso_differs_gsp_default_graph_not_writable(virtuoso):
    """GSP ``?default`` names the default graph; Virtuoso's is the union of all graphs and a POST to it
    answers 500 (an HTML error page). Always address named graphs."""
    answer = requests.post(virtuoso.gsp_url, params={"default": ""}, data=f"<{EX}a> <{EX}p> 1 .",
                           headers={"Content-Type": "text/turtle"}, timeout=60)
    assert answer.status_code == 500 and "SPARQL Graph Protocol request failed" in answer.text


def test_gsp_syntax_error_is_500_html(virtuoso):
    """Malformed RDF in a GSP PUT: 500 with an HTML page (not 400), and the graph is left untouched."""
    answer = requests.put(virtuoso.gsp_url, params={"graph-uri": EX + "gsp-bad"}, data=f"<{EX}a> <{EX}p> .",
                          headers={"Content-Type": "text/turtle"}, timeout=60)
    assert answer.status_code == 500 and "<html>" in answer.text
    assert graph_rows(virtuoso, EX + "gsp-bad") == []


# ------------------------------------------------------------------ federation


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    work = tmp_path_factory.mktemp("oxigraph-for-virtuoso")
    with oxigraph_serving(work, timeout_s=60) as server:
        (work / "remote.nt").write_text(f"<{EX}remote> <{EX}p> \"42\"^^<{XSD}integer> .\n", encoding="utf-8")
        post_file(server.base + "/store?default", work / "remote.nt", None)
        yield server


def test_service_to_another_endpoint(virtuoso, oxigraph):
    """SERVICE works by default, for the anonymous SPARQL user, to any endpoint (no allow-list)."""
    rows = select(virtuoso, f"SELECT ?s ?o WHERE {{ SERVICE <{oxigraph.url}> {{ ?s <{EX}p> ?o }} }}")
    assert [(r["s"]["value"], r["o"]["value"]) for r in rows] == [(EX + "remote", "42")]


def test_virtuoso_differs_whole_decimals_become_integers(virtuoso):
    """``"450000"^^xsd:decimal`` comes back as ``"450000"^^xsd:integer`` (``"12.50"`` stays a decimal, "12.5"):
    Virtuoso keeps numbers by value, and a whole decimal loses its datatype; written "450000.0" it stays a
    decimal, which is how tscgraph's Virtuoso profile sends whole decimals (docs/backends.md)."""
    decimal = "http://www.w3.org/2001/XMLSchema#decimal"
    updated(virtuoso, f'INSERT DATA {{ GRAPH <urn:x:decimals> {{ <urn:x:a> <urn:x:whole> "450000"^^<{decimal}> ; '
                      f'<urn:x:part> "12.50"^^<{decimal}> }} }}')
    rows = {r["p"]["value"]: r["o"] for r in graph_rows(virtuoso, "urn:x:decimals")}
    assert rows["urn:x:whole"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert (rows["urn:x:part"]["datatype"], rows["urn:x:part"]["value"]) == (decimal, "12.5")
    updated(virtuoso, f'INSERT DATA {{ GRAPH <urn:x:decimals> {{ <urn:x:b> <urn:x:whole> "450000.0"^^<{decimal}> }} }}')
    kept = select(virtuoso, "SELECT ?o WHERE { GRAPH <urn:x:decimals> { <urn:x:b> ?p ?o } }")
    assert kept[0]["o"]["datatype"] == decimal
