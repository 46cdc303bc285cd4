"""Running the W3C tests: over HTTP against a real tscgraph server, and in process against a raw pyoxigraph
store (the engine alone, which tells the engine's own failures from ours).

Both sides see the same data the same way. Every RDF file of the query tests' folders is loaded once into
its own named graph, named by the file's IRI (:func:`load_query_data`); each query evaluation test names its
dataset: through the protocol (``default-graph-uri``: its ``qt:data`` files, or a graph that does not exist
when it has none; ``named-graph-uri``: its ``qt:graphData`` files), or — when its query has its own ``FROM`` /
``FROM NAMED`` — by that alone. Its query is sent with ``BASE <the query file's IRI>`` first, as the suite's
README says (relative IRIs in it name the suite's files). An update evaluation test loads its data first (the
default graph is the update's default graph: tscgraph's local graph), runs, reads every graph back and drops
them. Syntax tests send the file as it is (a relative IRI then resolves against the request's IRI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import requests

from tests.w3c.answers import (
    RDF_FILES,
    RDF_MEDIA,
    RESULT_MEDIA,
    Answer,
    AnswerMismatch,
    Boolean,
    Solutions,
    Triples,
    compare,
    csv_compare,
    csv_rows,
    expected_answer,
    graph_answer,
    results_answer,
)
from tests.w3c.manifest import W3CTest, all_tests, data_files, iri_of

#: A graph no test loads: the default graph of a query test that has no data.
EMPTY_GRAPH = "urn:x-w3c-runner:empty"
SOLUTION_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/tab-separated-values",
                  "text/csv")
BOOLEAN_TYPES = SOLUTION_TYPES[:2]
GRAPH_TYPES = ("application/n-triples", "text/turtle", "application/ld+json", "application/rdf+xml",
               "application/trig", "application/n-quads")
#: What a syntax test accepts: results for SELECT and ASK, Turtle for CONSTRUCT and DESCRIBE.
ANY_ANSWER = "application/sparql-results+json, text/turtle;q=0.9"


class FormatMismatch(AssertionError):
    """One of tscgraph's formats does not say what its first format says (never an engine's doing)."""


# ------------------------------------------------------------------ the queries' text


def _code(text: str) -> str:
    """The text with each IRI written ``<>``, strings ``""`` and comments blanked: keywords and variables stay."""
    blank = {"iri": "<>", "string": '""', "comment": " "}
    return re.sub(r"(?P<iri><[^<>\s]*>)|(?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")"
                  r"|(?P<comment>#[^\n]*)", lambda m: blank[m.lastgroup], text, flags=re.DOTALL)


def has_from(text: str) -> bool:
    return re.search(r"\bFROM\s+(?:NAMED\s+)?(?:<|[A-Za-z_]*:)", _code(text), re.IGNORECASE) is not None


def order_keys(text: str) -> list[str] | None:
    """The outer ORDER BY's keys (variable names; ``[]`` when one is an expression), or None without one."""
    code = _code(text)
    code = re.sub(r"\bVALUES\b[^{}]*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\s*$", "", code.rstrip(), flags=re.IGNORECASE)
    tail = code[code.rfind("}") + 1:]
    found = re.search(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|$)", tail, re.IGNORECASE | re.DOTALL)
    if not found:
        return None
    keys = []
    for part in re.findall(r"(?:ASC|DESC)?\s*\([^()]*(?:\([^()]*\)[^()]*)*\)|[?$]\w+|\S+", found.group(1), re.IGNORECASE):
        plain = re.fullmatch(r"(?:(?:ASC|DESC)\s*\(\s*)?[?$](\w+)\s*\)?", part.strip(), re.IGNORECASE)
        if not plain:
            return []
        keys.append(plain.group(1))
    return keys


def with_base(test: W3CTest) -> str:
    return f"BASE <{iri_of(test.action)}>\n" + test.action.read_text("utf-8")


def protocol_dataset(test: W3CTest) -> dict[str, list[str]]:
    """The test's dataset named by the protocol; nothing when its query names its own."""
    if has_from(test.action.read_text("utf-8")):
        return {}
    dataset = {"default-graph-uri": [iri_of(p) for p in test.data] or ([] if test.graph_data else [EMPTY_GRAPH])}
    if test.graph_data:
        dataset["named-graph-uri"] = [g.graph for g in test.graph_data]
    return {k: v for k, v in dataset.items() if v}


def expected_of(test: W3CTest) -> Answer:
    return expected_answer(test.result, iri_of(test.result))


def check_evaluation(ours: Answer, test: W3CTest) -> None:
    compare(ours, expected_of(test), order=order_keys(test.action.read_text("utf-8")), lax=test.lax_cardinality)


# ------------------------------------------------------------------ over HTTP, against tscgraph


@dataclass
class Endpoint:
    url: str
    session: requests.Session
    auth: dict | None = None
    base_iri: str = ""  #: the server's base_iri (its own graphs are left out when graphs are compared)

    @property
    def local_graph(self) -> str:
        return self.base_iri + "graph/local"

    def ask(self, text: str, accept: str, **dataset) -> requests.Response:
        return self.session.post(self.url + "/sparql", data={"query": text, **dataset}, headers={"Accept": accept},
                                 timeout=60)

    def update(self, text: str) -> requests.Response:
        return self.session.post(self.url + "/update", data=text.encode("utf-8"), timeout=60,
                                 headers={"Content-Type": "application/sparql-update", **(self.auth or {})})


def _read(response: requests.Response, media_type: str, *, first: bool = False) -> Answer | str:
    """The answer in ``media_type``. A 5xx is never an answer (a plain failure, whatever the engine does); another
    status where an answer was expected is a wrong answer (the first format) or a format that fails (the others)."""
    if response.status_code >= 500:
        raise AssertionError(f"{media_type}: {response.status_code} {response.text[:600]}")
    if response.status_code != 200:
        raise (AnswerMismatch if first else FormatMismatch)(f"{media_type}: {response.status_code} {response.text[:600]}")
    got = response.headers.get("Content-Type", "").split(";")[0].strip()
    if got != media_type:
        raise FormatMismatch(f"asked for {media_type}, got {got}")
    if media_type == "text/csv":
        return response.content.decode("utf-8")
    if media_type in RESULT_MEDIA:
        return results_answer(response.content, RESULT_MEDIA[media_type])
    return graph_answer(response.content, RDF_MEDIA[media_type])


def evaluate_over_http(endpoint: Endpoint, test: W3CTest, *, every_format: bool = True) -> None:
    """Run a query evaluation test in every format (or only the first): each format must say what the first one
    says (else :class:`FormatMismatch`), and the first must be the expected answer (else :class:`AnswerMismatch`)."""
    expected = expected_of(test)
    text, dataset = with_base(test), protocol_dataset(test)
    media = (SOLUTION_TYPES if isinstance(expected, Solutions) else BOOLEAN_TYPES if isinstance(expected, Boolean)
             else GRAPH_TYPES)
    media = media if every_format else media[:1]
    first = _read(endpoint.ask(text, media[0], **dataset), media[0], first=True)
    ordered = order_keys(test.action.read_text("utf-8")) is not None
    for media_type in media[1:]:
        answer = _read(endpoint.ask(text, media_type, **dataset), media_type)
        if isinstance(answer, str):
            csv_compare(answer, first, ordered=ordered, error=FormatMismatch)  # type: ignore[arg-type]
        else:
            compare(answer, first, order=[] if ordered else None, error=FormatMismatch)
    check_evaluation(first, test)  # type: ignore[arg-type]


def csv_test_over_http(endpoint: Endpoint, test: W3CTest) -> None:
    """A CSV result format test: the CSV answer against the suite's CSV file."""
    text, dataset = with_base(test), protocol_dataset(test)
    answer = _read(endpoint.ask(text, "text/csv", **dataset), "text/csv", first=True)
    csv_compare(answer, csv_rows(test.result.read_text("utf-8")), ordered=False)  # type: ignore[arg-type]


def syntax_over_http(endpoint: Endpoint, test: W3CTest) -> None:
    """A positive test must be read: answered (200), or refused for what it asks, not for its syntax (a 400 naming
    why, e.g. a function the engine does not know); a negative one refused as the client's error (400); a 5xx is
    never right. A wrong verdict raises :class:`AnswerMismatch` (what an engine that misreads the grammar gives)."""
    text = test.action.read_text("utf-8")
    if "Update" in test.kind:
        response = endpoint.update(text)
    else:
        response = endpoint.ask(text, ANY_ANSWER, **{"default-graph-uri": EMPTY_GRAPH})
    said = f"{response.status_code} {response.text[:400]}"
    if response.status_code >= 500:
        raise AssertionError(f"a server error: {said}")
    read = response.status_code == 200 or (response.status_code == 400 and "syntax" not in response.text.lower())
    if test.kind.startswith("Positive") and not read:  # a 400 that names no syntax error: read, then not evaluable
        raise AnswerMismatch(f"valid SPARQL, answered {said}")
    if test.kind.startswith("Negative") and response.status_code != 400:
        raise AnswerMismatch(f"invalid SPARQL, answered {said}")


def _ntriples(path: Path) -> bytes:
    """A data file as N-Triples (what every Graph Store accepts), read by the engine with its own IRI as base."""
    quads = ox.parse(path=str(path), format=RDF_FILES[path.suffix], base_iri=iri_of(path))
    return ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)


def graphs_over_http(endpoint: Endpoint) -> dict[str, list[ox.Triple]]:
    """Every graph the server shows but its own (the local graph as ``""``, the update's default graph)."""
    response = endpoint.ask("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", "application/sparql-results+json")
    if response.status_code != 200:
        raise AssertionError(f"reading the graphs back: {response.status_code} {response.text[:300]}")
    answer = results_answer(response.content, ox.QueryResultsFormat.JSON)
    graphs: dict[str, list[ox.Triple]] = {}
    for row in answer.rows:  # type: ignore[union-attr]
        name = row["g"].value
        if name == endpoint.local_graph:
            name = ""
        elif name.startswith(endpoint.base_iri + "graph/"):
            continue  # the server's own graphs (record log, change feeds, validation reports)
        graphs.setdefault(name, []).append(ox.Triple(row["s"], row["p"], row["o"]))
    return graphs


def update_over_http(endpoint: Endpoint, test: W3CTest) -> None:
    """Load the test's graphs, run its update, compare every graph with the expected ones, drop them all."""
    try:
        for index, path in enumerate(test.data):
            sent = endpoint.session.request("PUT" if index == 0 else "POST", endpoint.url + "/data",
                                            params={"graph": endpoint.local_graph}, data=_ntriples(path), timeout=60,
                                            headers={"Content-Type": "application/n-triples", **(endpoint.auth or {})})
            assert sent.status_code in (200, 201, 204), f"loading {path.name}: {sent.status_code} {sent.text[:300]}"
        for graph in test.graph_data:
            sent = endpoint.session.post(endpoint.url + "/data", params={"graph": graph.graph}, data=_ntriples(graph.path),
                                         timeout=60, headers={"Content-Type": "application/n-triples", **(endpoint.auth or {})})
            assert sent.status_code in (200, 201, 204), f"loading {graph.path.name}: {sent.status_code} {sent.text[:300]}"
        done = endpoint.update(with_base(test))
        if done.status_code != 200:
            raise AnswerMismatch(f"the update answered {done.status_code}: {done.text[:600]}")
        compare_graphs(graphs_over_http(endpoint), test)
    finally:
        clear_over_http(endpoint)


def clear_over_http(endpoint: Endpoint) -> None:
    for name in graphs_over_http(endpoint):
        gone = endpoint.session.delete(endpoint.url + "/data", params={"graph": name or endpoint.local_graph},
                                       headers=endpoint.auth or {}, timeout=60)
        assert gone.status_code in (200, 204, 404), f"dropping <{name}>: {gone.status_code} {gone.text[:300]}"


def expected_graphs(test: W3CTest) -> dict[str, list[ox.Triple]]:
    graphs: dict[str, list[ox.Triple]] = {}
    for path in test.result_data:
        graphs.setdefault("", []).extend(q.triple for q in ox.parse(path=str(path), format=RDF_FILES[path.suffix],
                                                                     base_iri=iri_of(path)))
    for graph in test.result_graph_data:
        graphs.setdefault(graph.graph, []).extend(
            q.triple for q in ox.parse(path=str(graph.path), format=RDF_FILES[graph.path.suffix], base_iri=iri_of(graph.path)))
    return {name: triples for name, triples in graphs.items() if triples}


def compare_graphs(ours: dict[str, list[ox.Triple]], test: W3CTest) -> None:
    """Graph by graph (each one's blank nodes up to renaming), and no graph more or less."""
    expected = expected_graphs(test)
    ours = {name: triples for name, triples in ours.items() if triples}
    if set(ours) != set(expected):
        shown = lambda names: sorted(n or "(default)" for n in names)  # noqa: E731
        raise AnswerMismatch(f"expected the graphs {shown(expected)}, the store holds {shown(ours)}")
    for name, triples in expected.items():
        try:
            compare(Triples(ours[name]), Triples(triples))
        except AnswerMismatch as exc:
            raise AnswerMismatch(f"graph {name or '(default)'}: {exc}") from None


# ------------------------------------------------------------------ in process, against the engine alone


class Engine:
    """A raw pyoxigraph store with the query tests' data, loaded as the server's is (one graph per file)."""

    def __init__(self) -> None:
        self.store = ox.Store()
        load_query_data(self.store)

    def evaluate(self, test: W3CTest) -> None:
        text = with_base(test)
        dataset = protocol_dataset(test)
        options = {}
        if dataset:
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.get("default-graph-uri", [])]
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.get("named-graph-uri", [])]
        result = self.store.query(text, **options)
        if test.kind == "CSVResultFormatTest":  # the engine's own CSV writer
            csv_compare(result.serialize(format=ox.QueryResultsFormat.CSV).decode("utf-8"),
                        csv_rows(test.result.read_text("utf-8")), ordered=False)
            return
        if isinstance(result, ox.QueryBoolean):
            answer: Answer = Boolean(bool(result))
        elif isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            answer = Solutions(variables, [{v: s[v] for v in variables if s[v] is not None} for s in result])
        else:
            answer = Triples(list(result))
        check_evaluation(answer, test)

    @staticmethod
    def syntax_error(test: W3CTest) -> str | None:
        """The engine's syntax error for the test's text (None when it parses), as the server would read it."""
        text = test.action.read_text("utf-8")
        try:
            if "Update" in test.kind:
                ox.Store().update(text, base_iri="http://127.0.0.1/update")
            else:
                ox.Store().query(text, base_iri="http://127.0.0.1/sparql")
        except SyntaxError as exc:
            return str(exc)
        except (OSError, ValueError, RuntimeError):
            return None  # parsed, then failed to evaluate: not a syntax matter
        return None

    @staticmethod
    def update(test: W3CTest) -> None:
        store = ox.Store()
        for path in test.data:
            store.load(path=str(path), format=RDF_FILES[path.suffix], base_iri=iri_of(path), to_graph=ox.DefaultGraph())
        for graph in test.graph_data:
            store.load(path=str(graph.path), format=RDF_FILES[graph.path.suffix], base_iri=iri_of(graph.path),
                       to_graph=ox.NamedNode(graph.graph))
        try:
            store.update(with_base(test))
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            raise AnswerMismatch(f"the engine refused the update: {exc}") from None
        graphs: dict[str, list[ox.Triple]] = {}
        for quad in store:
            name = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
            graphs.setdefault(name, []).append(quad.triple)
        compare_graphs(graphs, test)


def write_query_data(endpoint: Endpoint) -> int:
    """Every data file of the query tests' folders written through the server's Graph Store Protocol (a PUT of
    N-Triples each, the admin token) into the graph named by its IRI; returns how many files."""
    count = 0
    for path in data_files():
        try:
            body = _ntriples(path)
        except (SyntaxError, ValueError):
            continue
        sent = endpoint.session.put(endpoint.url + "/data", params={"graph": iri_of(path)}, data=body, timeout=60,
                                    headers={"Content-Type": "application/n-triples", **(endpoint.auth or {})})
        assert sent.status_code in (200, 201, 204), f"writing {path.name}: {sent.status_code} {sent.text[:300]}"
        count += 1
    return count


def load_query_data(store: ox.Store) -> int:
    """Every data file of the query tests' folders into the graph named by its IRI, by the engine's own parser (no
    other layer between the file and the store); returns how many files. A file the engine cannot read is left out (a test
    that needs it then fails, naming the missing graph's data)."""
    count = 0
    for path in data_files():
        try:
            store.load(path=str(path), format=RDF_FILES[path.suffix], base_iri=iri_of(path),
                       to_graph=ox.NamedNode(iri_of(path)))
            count += 1
        except (SyntaxError, ValueError):
            continue
    return count


def run_in_process(engine: Engine, test: W3CTest) -> None:
    """A test against the engine alone; raises when the engine fails it."""
    if test.kind in ("QueryEvaluationTest", "CSVResultFormatTest"):
        engine.evaluate(test)
    elif test.kind == "UpdateEvaluationTest":
        engine.update(test)
    else:
        error = engine.syntax_error(test)
        if test.kind.startswith("Positive") and error:
            raise AnswerMismatch(f"valid SPARQL, refused: {error}")
        if test.kind.startswith("Negative") and not error:
            raise AnswerMismatch("invalid SPARQL, read as valid")


def engine_failures_in_process() -> dict[str, str]:
    """Test id → why the raw engine fails it, over every test the runner runs (LOAD tests are left out: the engine
    would fetch their addresses)."""
    engine, failures = Engine(), {}
    for test in all_tests():
        if test.uses_load:
            continue
        try:
            run_in_process(engine, test)
        except Exception as exc:  # noqa: BLE001 - any failure of the engine is what is being listed
            failures[test.id] = f"{type(exc).__name__}: {exc}"
    return failures
