"""Reading the W3C SPARQL test manifests (``../shared/w3c-sparql/``, never copied into the project).

A manifest (vocabulary ``mf:``, ``qt:``, ``ut:``) lists its tests (``mf:entries``) and the manifests it includes
(``mf:include``); each file is named relative to the manifest, which is parsed with its published IRI as base
(``https://w3c.github.io/rdf-tests/sparql/`` + its path), so every file has one IRI: the name of the graph its
data is loaded into, and the base of its query (a query's ``FROM <data-g1.ttl>`` resolves against its own IRI).
Pure: the manifests in, :class:`W3CTest` records out.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.settings import ROOT

PUBLISHED = "https://w3c.github.io/rdf-tests/sparql/"
#: The manifests the runner reads: SPARQL 1.0, and SPARQL 1.1 query, update and result formats.
TOP_MANIFESTS = ("sparql10/manifest.ttl", "sparql11/manifest.ttl")


def find_suites() -> Path:
    """Where the suites are: ``TSCGRAPH_W3C_SPARQL``, else ``shared/w3c-sparql`` beside the project or beside one
    of its parent folders (a checkout one level deeper than ``main`` still finds them); the first candidate when
    none holds them (its absence is then said)."""
    if os.environ.get("TSCGRAPH_W3C_SPARQL"):
        return Path(os.environ["TSCGRAPH_W3C_SPARQL"])
    candidates = [folder / "shared" / "w3c-sparql" for folder in ROOT.parents]
    return next((c for c in candidates if (c / TOP_MANIFESTS[0]).exists()), candidates[0])


SUITES = find_suites()

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: The folders of the suites the runner leaves out, and why (printed as skipped tests).
LEFT_OUT = {
    "sparql11/entailment": "entailment regimes (RDFS, OWL, D-entailment): tscgraph's endpoint does simple entailment only",
    "sparql11/service": "SERVICE to remote hosts: refused by design outside service_allowlist (graph/guard.py), "
                        "and the suite's endpoints are not reachable",
    "sparql11/syntax-fed": "SERVICE syntax: every SERVICE outside service_allowlist is refused (400) by design, "
                           "whatever its syntax (graph/guard.py)",
    "sparql11/protocol": "SPARQL Protocol tests are prose for a person to run, not machine-readable (the protocol is "
                         "exercised by tests/test_sparql.py)",
    "sparql11/http-rdf-update": "Graph Store Protocol tests are prose for a person to run (tests/test_writes.py)",
    "sparql11/graph-store-protocol": "Graph Store Protocol tests are prose for a person to run (tests/test_writes.py)",
    "sparql11/service-description": "service description tests are prose for a person to run (tests/test_sparql.py)",
}
#: Why a test that LOADs is left out: the server refuses LOAD by design.
LOAD_LEFT_OUT = "LOAD fetches a remote address: refused by design on every door (graph/guard.py; upload with /data)"


@dataclass(frozen=True)
class GraphFile:
    """A data file and the graph it is loaded into (None: the default graph of an update test)."""

    path: Path
    graph: str | None


@dataclass(frozen=True)
class W3CTest:
    iri: str
    kind: str  #: the manifest's type, e.g. QueryEvaluationTest, PositiveUpdateSyntaxTest11
    folder: str  #: e.g. sparql11/add
    name: str
    comment: str
    action: Path | None  #: the query or update file
    data: tuple[Path, ...] = ()  #: the default graph's files (qt:data, ut:data)
    graph_data: tuple[GraphFile, ...] = ()  #: named graphs (qt:graphData: named by their file's IRI; ut:graphData: by label)
    result: Path | None = None  #: a query's expected results
    result_data: tuple[Path, ...] = ()  #: an update's expected default graph
    result_graph_data: tuple[GraphFile, ...] = ()  #: an update's expected named graphs
    lax_cardinality: bool = False  #: REDUCED: duplicates may or may not be removed

    @property
    def id(self) -> str:
        """``folder/local-name``: the pytest id, and the key of the expected-failure lists."""
        return f"{self.folder}/{self.iri.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}"

    @property
    def suite(self) -> str:
        return self.folder.split("/", 1)[0]

    @property
    def uses_load(self) -> bool:
        return self.action is not None and self.action.suffix == ".ru" and "LOAD" in self.action.read_text("utf-8").upper()


def iri_of(path: Path) -> str:
    """The published IRI of a file of the suites."""
    return PUBLISHED + path.resolve().relative_to(SUITES.resolve()).as_posix()


def path_of(iri: str) -> Path:
    if not iri.startswith(PUBLISHED):
        raise ValueError(f"{iri} is not a file of the suites")
    return SUITES / iri[len(PUBLISHED):]


class _Triples:
    """A parsed manifest, indexed by subject and predicate."""

    def __init__(self, path: Path):
        self.index: dict[tuple, list] = defaultdict(list)
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=iri_of(path)):
            self.index[(quad.subject, quad.predicate.value)].append(quad.object)

    def objects(self, subject, predicate: str) -> list:
        return self.index.get((subject, predicate), [])

    def value(self, subject, predicate: str):
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def collection(self, head) -> list:
        items = []
        while head is not None and not (isinstance(head, ox.NamedNode) and head.value == RDF + "nil"):
            items.append(self.value(head, RDF + "first"))
            head = self.value(head, RDF + "rest")
        return items


def _file(term) -> Path | None:
    return path_of(term.value) if isinstance(term, ox.NamedNode) else None


def _graph_files(g: _Triples, node, predicate: str, labelled: bool) -> tuple[GraphFile, ...]:
    out = []
    for item in g.objects(node, predicate):
        if isinstance(item, ox.NamedNode):  # qt:graphData <file>: the graph is named by the file's IRI
            out.append(GraphFile(path_of(item.value), item.value))
        elif labelled:  # ut:graphData [ ut:graph <file> ; rdfs:label "graph IRI" ]
            out.append(GraphFile(path_of(g.value(item, UT + "graph").value), g.value(item, RDFS + "label").value))
    return tuple(out)


def _test(g: _Triples, node, folder: str) -> W3CTest:
    kind = g.value(node, RDF + "type").value.rsplit("#", 1)[-1]
    action = g.value(node, MF + "action")
    result = g.value(node, MF + "result")
    common = dict(iri=node.value, kind=kind, folder=folder, name=getattr(g.value(node, MF + "name"), "value", ""),
                  comment=getattr(g.value(node, RDFS + "comment"), "value", ""),
                  lax_cardinality=any(c.value == MF + "LaxCardinality" for c in g.objects(node, MF + "resultCardinality")))
    if isinstance(action, ox.NamedNode):  # a syntax test: the action is the file
        return W3CTest(action=path_of(action.value), **common)
    if kind == "UpdateEvaluationTest":
        return W3CTest(
            action=_file(g.value(action, UT + "request")),
            data=tuple(path_of(d.value) for d in g.objects(action, UT + "data")),
            graph_data=_graph_files(g, action, UT + "graphData", labelled=True),
            result_data=tuple(path_of(d.value) for d in g.objects(result, UT + "data")),
            result_graph_data=_graph_files(g, result, UT + "graphData", labelled=True),
            **common)
    return W3CTest(
        action=_file(g.value(action, QT + "query")),
        data=tuple(path_of(d.value) for d in g.objects(action, QT + "data")),
        graph_data=_graph_files(g, action, QT + "graphData", labelled=False),
        result=_file(result),
        **common)


def _walk(path: Path, out: list[W3CTest]) -> None:
    g = _Triples(path)
    manifest = ox.NamedNode(iri_of(path))
    folder = path.parent.resolve().relative_to(SUITES.resolve()).as_posix()
    for listed in g.objects(manifest, MF + "include"):
        for included in g.collection(listed):
            _walk(path_of(included.value), out)
    for listed in g.objects(manifest, MF + "entries"):
        for entry in g.collection(listed):
            out.append(_test(g, entry, folder))


@cache
def all_tests() -> tuple[W3CTest, ...]:
    """Every test the top manifests list, in their order."""
    if not (SUITES / TOP_MANIFESTS[0]).exists():
        missing = (f"the W3C SPARQL test suites are not at {SUITES} (expected shared/w3c-sparql beside the project "
                   "or one of its parent folders, or TSCGRAPH_W3C_SPARQL): the W3C tests are skipped")
        if os.environ.get("TSCGRAPH_REQUIRE_W3C"):
            raise FileNotFoundError(missing)
        pytest.skip(missing, allow_module_level=True)
    out: list[W3CTest] = []
    for top in TOP_MANIFESTS:
        _walk(SUITES / top, out)
    return tuple(out)


def tests_of(*kinds: str) -> list[W3CTest]:
    return [t for t in all_tests() if t.kind in kinds]


def data_files() -> list[Path]:
    """Every RDF file of the folders that hold query evaluation tests (their data, and what their queries' own
    FROM name), each to be loaded into the graph named by its IRI."""
    folders = {SUITES / t.folder for t in all_tests() if t.kind in ("QueryEvaluationTest", "CSVResultFormatTest")}
    files = []
    for folder in sorted(folders):
        files += [p for p in sorted(folder.iterdir()) if p.suffix in (".ttl", ".rdf", ".nt") and not p.name.startswith("manifest")]
    return files
