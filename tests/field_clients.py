"""The clients of the field the suite runs against our server (tests/test_client_*.py): their runtimes, installed
idempotently when missing, and small runners.

* **Apache Jena** — Debian's ``libapache-jena-java`` (4.5.0) and a JDK (``default-jdk-headless``: our helper
  ``tests/clients/JenaClient.java`` is compiled once per session), driven with ``java -cp``.
* **Comunica** — ``@comunica/query-sparql`` pinned in ``tests/clients/package.json`` and its lock, installed with
  ``npm ci`` (Node from Debian when missing), driven by ``tests/clients/comunica.mjs``.

A runtime that cannot be installed (no root, no apt-get, no registry) skips its tests with the reason, shown in
the summary (``-ra``); ``TSCGRAPH_REQUIRE_CLIENTS=1`` (set by ``.ci/run``) makes that a failure instead, so CI
never skips them silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from bench.peers import exclusive
from tests.system_packages import install_debian_packages

CLIENTS = Path(__file__).resolve().parent / "clients"
JAVA_DIR = Path("/usr/share/java")
JENA_PACKAGES = {str(JAVA_DIR / "jena-shacl.jar"): "libapache-jena-java", "/usr/bin/javac": "default-jdk-headless"}
#: Jena's jars and the libraries they need, as Debian names them (apt-cache depends libapache-jena-java).
JENA_JARS = (
    "jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-iri", "jena-shacl", "jena-dboe-base", "jena-rdfconnection",
    "commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3", "dexx.collection",
    "gson", "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind", "jackson-annotations", "jsonld-java",
    "jakarta.json-api", "titanium-json-ld", "thrift", "protobuf", "slf4j-api", "slf4j-simple", "commons-logging",
)
NODE_PACKAGES = {"/usr/bin/node": "nodejs", "/usr/bin/npm": "npm"}


def unavailable(reason: str) -> None:
    """Skip (the reason shows in the summary), or fail where the clients are required (CI)."""
    if os.environ.get("TSCGRAPH_REQUIRE_CLIENTS") == "1":
        pytest.fail(f"{reason} (TSCGRAPH_REQUIRE_CLIENTS=1: CI runs every client)")
    pytest.skip(reason)


# ------------------------------------------------------------------ Apache Jena


@dataclass(frozen=True)
class Jena:
    classpath: str
    version: str

    def run(self, main: str, *args: str, timeout: float = 120) -> str:
        """``java -cp … main args``; its standard output (stderr goes with the failure)."""
        proc = subprocess.run(["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", self.classpath, main, *args],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"{main} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return proc.stdout

    def sections(self, output: str) -> dict[str, str]:
        """JenaClient's output ("# NAME" then its text, for each name) as {name: text}."""
        found: dict[str, list[str]] = {}
        current = None
        for line in output.splitlines():
            if line.startswith("# "):
                current = line[2:]
                found[current] = []
            elif current is not None:
                found[current].append(line)
        return {name: "\n".join(lines) + "\n" for name, lines in found.items()}


def _xerces_resources(work: Path) -> Path:
    """Debian's jena-core moves Jena's shaded Xerces classes to ``xerces.*`` but leaves their message files under
    ``org/apache/jena/ext/xerces/``: the first XSD datatype then fails ("internal error"). Put them where the classes
    look."""
    out = work / "xerces-resources"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        relocated = "xerces/impl/dv/xs/XSSimpleTypeDecl.class" in jar.namelist()
        for name in jar.namelist():
            if relocated and name.startswith("org/apache/jena/ext/xerces/") and not name.endswith(("/", ".class")):
                target = out / name[len("org/apache/jena/ext/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return out


@pytest.fixture(scope="session")
def jena(tmp_path_factory) -> Jena:
    reason = install_debian_packages(JENA_PACKAGES)
    if reason:
        unavailable(f"Apache Jena: {reason}")
    jars = [JAVA_DIR / f"{name}.jar" for name in JENA_JARS]
    missing = [str(j) for j in jars if not j.exists()]
    if missing:
        unavailable(f"Apache Jena: missing {', '.join(missing)}")
    work = tmp_path_factory.mktemp("jena")
    classpath = os.pathsep.join([str(work / "classes"), str(_xerces_resources(work)), *map(str, jars)])
    subprocess.run(["javac", "-nowarn", "-d", str(work / "classes"), "-cp", classpath, str(CLIENTS / "JenaClient.java")],
                   check=True, capture_output=True, timeout=300)
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libapache-jena-java"], capture_output=True,
                             text=True).stdout.strip()
    return Jena(classpath, version)


# ------------------------------------------------------------------ Comunica


@dataclass(frozen=True)
class Comunica:
    version: str
    node: str

    def run(self, tasks: list[dict], work: Path, timeout: float = 180) -> list[dict]:
        """Each task (a query and its sources) run by one Comunica engine in one Node process; the answers in order."""
        path = work / "comunica-tasks.json"
        path.write_text(json.dumps(tasks), encoding="utf-8")
        proc = subprocess.run([self.node, str(CLIENTS / "comunica.mjs"), str(path)], capture_output=True, text=True,
                              timeout=timeout, cwd=CLIENTS)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)


def _npm_ci() -> str | None:
    """``npm ci`` in tests/clients when its node_modules is not the lock's (a stamp of the lock's digest says so)."""
    stamp = CLIENTS / "node_modules" / ".tscgraph-lock"
    wanted = hashlib.sha256((CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    with exclusive("npm-clients"):  # npm ci from two workers at once would tear node_modules apart
        if stamp.exists() and stamp.read_text() == wanted:
            return None
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENTS,
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            return f"npm ci failed in tests/clients: {proc.stderr.strip()[-500:]}"
        stamp.write_text(wanted)
    return None


@pytest.fixture(scope="session")
def comunica() -> Comunica:
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = install_debian_packages(NODE_PACKAGES)
        if reason:
            unavailable(f"Comunica needs Node.js: {reason}")
    reason = _npm_ci()
    if reason:
        unavailable(f"Comunica: {reason}")
    package = json.loads((CLIENTS / "node_modules" / "@comunica" / "query-sparql" / "package.json").read_text())
    node = shutil.which("node") or "node"
    return Comunica(package["version"], node)


# ------------------------------------------------------------------ comparing what clients read with what we serve


def by_value(triples) -> Graph:
    """The triples with literals by value: canonical lexical forms (8E+8, 800000000 and 800000000.0 are one
    decimal), xsd:string as a simple literal (RDF 1.1), so two readers of one graph compare equal."""
    graph = Graph()
    for s, p, o in triples:
        if isinstance(o, Literal) and o.datatype is not None:
            if o.datatype == XSD.string:
                o = Literal(str(o))
            elif isinstance(o.value, Decimal):
                o = Literal(format(o.value.normalize(), "f"), datatype=o.datatype)
            elif o.value is not None and not o.ill_typed:
                o = Literal(o.value, datatype=o.datatype)
        graph.add((s, p, o))
    return graph


def same_graph(a: Graph, b: Graph) -> bool:
    """Whether two graphs are isomorphic: their RDFC-1.0 canonical forms (pyoxigraph's, in Rust: rdflib's own
    comparison takes seconds on the shapes' lists of blank nodes) are equal."""
    return len(a) == len(b) and _canonical(a) == _canonical(b)


def _canonical(graph: Graph) -> frozenset[str]:
    blank: dict = {}

    def term(t):
        if isinstance(t, BNode):
            return blank.setdefault(t, ox.BlankNode())
        if isinstance(t, URIRef):
            return ox.NamedNode(str(t))
        if t.language:
            return ox.Literal(str(t), language=t.language)
        return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype or XSD.string)))

    dataset = ox.Dataset(ox.Quad(term(s), term(p), term(o)) for s, p, o in graph)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return frozenset(str(q) for q in dataset)


def our_turtle(url: str) -> Graph:
    """What we serve at ``url`` as Turtle, by value."""
    answer = requests.get(url, headers={"Accept": "text/turtle"}, timeout=60)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/turtle"), answer.text[:500]
    return by_value(Graph().parse(data=answer.text, format="turtle", publicID=url))


def our_select(endpoint: str, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT asked of our /sparql, as {variable: value}."""
    answer = requests.post(endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.status_code == 200, answer.text[:1000]
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]
