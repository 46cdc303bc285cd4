"""An external triple store, spoken to only through the standard protocols: SPARQL 1.1 Query and Update,
and the Graph Store HTTP Protocol when the store has it (Oxigraph server, Virtuoso, Fuseki, GraphDB,
QLever…; their differences are in docs/backends.md).

How the store interface's promises are kept over HTTP:

* **Atomic writes.** One update request is one transaction in every store we test. A write that fits
  in one request (``write_batch_triples``) is sent as one ``DROP``/``INSERT DATA`` request. A larger one
  is streamed in batches into **staging graphs** (``{staging}{uuid}``), then one request moves them all
  into place (``MOVE`` replaces, ``ADD`` merges): readers see the old graphs or the new ones. Should a
  batch fail, the staging graphs are dropped and nothing else was touched. Staging graphs sit outside
  the deployment's graph space and are left out of :meth:`graph_names`, so the public view (which names
  its graphs once a private graph exists) never shows them.
* **Blank nodes.** ``INSERT DATA`` makes fresh blank nodes per request, so every triple that mentions
  a blank node travels in the same batch as every other triple connected to it (:func:`batches`).
* **Pre-bound variables** (``bindings``) become a trailing ``VALUES`` clause: the variable stays
  projected and bound in every row, as the interface says; an engine that cannot push it down
  evaluates the pattern first (documented per store).
* **The union default graph.** Without ``default_graphs`` a query reads the union of the deployment's
  graphs. With ``union="store"`` (Oxigraph server ``--union-default-graph``, Fuseki
  ``unionDefaultGraph``) the store's default graph already is that union; with ``union="explicit"``
  (Virtuoso, whose default graph also holds its system graphs) every query names the deployment's
  graphs with ``default-graph-uri``/``named-graph-uri``.
* **Time limits** go to the store with the parameter it understands (``timeout_param``), and the HTTP
  client waits a little longer before it gives up.

Nothing but the deployment's data is written to the store: no marker, no bookkeeping of our own.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Iterator, Literal, Mapping, Sequence

import requests
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Identifier, Node

from graph.iris import is_iri
from graph.querytext import names_dataset
from graph.store.base import QueryResult, QuerySyntaxError, Store, StoreError
from graph.store.oxigraph import OxigraphStore

STAGING = "urn:tscgraph:staging:"
#: Triples per write request: a few MB of N-Triples, within every tested store's request limits.
WRITE_BATCH_TRIPLES = 20_000
SELECT_TYPES = "application/sparql-results+json"
GRAPH_TYPES = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_RDF_PARSERS = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
                "application/rdf+xml": "xml", "application/ld+json": "json-ld", "text/n3": "n3"}
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_IRI_OR_STRING = re.compile(r"<[^<>\"{}|^`\\\s]*>|'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|#[^\n]*",
                            re.DOTALL)


@dataclass(frozen=True)
class Profile:
    """How one kind of store behaves where the standard leaves it open (docs/backends.md)."""

    union: str                      # "store": its default graph is the union of the named graphs; "explicit"
    timeout_param: str = ""         # the query parameter of its own time limit ("" : none per request)
    timeout_unit: float = 1.0       # the parameter's unit, in seconds⁻¹ (1000: milliseconds)
    own_graphs: tuple[str, ...] = ()  # prefixes of the store's own system graphs, never ours
    auth_scheme: str = "basic"
    write_batch: int = WRITE_BATCH_TRIPLES  # triples per INSERT request the store takes
    bnodes_in_insert_data: bool = True  # False: blank nodes are sent as INSERT { … } WHERE {}
    cut_header: tuple[str, str] = ("", "")  # a header (and value) saying the store cut its answer at its limit
    own_origin: bool = False  # graphs under the store's own address (Virtuoso's /sparql, /DAV/) are its own
    too_long: str = ""  # a pattern of the store's error for a query it refuses as too long to run
    whole_decimals_lost: bool = False  # True: "450000"^^xsd:decimal would come back xsd:integer; sent as "450000.0"


PROFILES = {
    "oxigraph": Profile("store"),  # run with --union-default-graph; its time limit is the server's --timeout-s
    # Virtuoso 7.2: union default graph includes its system graphs; INSERT DATA refuses blank nodes and
    # ~1,500 triples; at its time limit it answers 200 with partial results, flagged X-SQL-State: S1TAT.
    "virtuoso": Profile("explicit", "timeout", 1000.0, ("http://www.openlinksw.com/", "http://localhost:8890/",
                                                        "http://www.w3.org/ns/ldp#", "http://www.w3.org/2002/07/owl#"),
                        "digest", 1000, False, ("X-SQL-State", "S1TAT"), True,
                        r"estimated execution time .* exceeds the limit", True),
    "fuseki": Profile("store", "timeout", 1.0),        # unionDefaultGraph true in the dataset's configuration
    "graphdb": Profile("store", "timeout", 1.0),       # its default graph is the union of all graphs
    "qlever": Profile("store", "timeout", 1.0),
    "generic": Profile("explicit"),
}


def open_remote(settings) -> "RemoteStore":
    """The RemoteStore the settings describe (``store_url``, ``store_kind``, credentials)."""
    if settings.store_kind not in PROFILES:
        raise StoreError(f"store_kind must be one of {', '.join(PROFILES)}, got {settings.store_kind!r}")
    profile = PROFILES[settings.store_kind]
    auth = (settings.store_user, settings.store_password) if settings.store_user else None
    return RemoteStore(settings.store_url, settings.store_update_url or None, profile=profile, auth=auth,
                       query_timeout=max(settings.query_time_limit, 300.0))


class StoreTimeout(StoreError):
    """The store did not answer within the time allowed."""


def query_form(sparql: str) -> str:
    """``select``, ``ask`` or ``graph``: the form of a query, read past its prologue, IRIs, strings, comments."""
    match = _FORM.search(_IRI_OR_STRING.sub(" ", sparql))
    if match is None:
        raise QuerySyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    word = match.group(1).upper()
    return {"SELECT": "select", "ASK": "ask"}.get(word, "graph")


def term_n3(term: Node) -> str:
    """A term in SPARQL/N-Triples syntax (blank nodes only where the caller allows them)."""
    if isinstance(term, (URIRef, RdfLiteral, BNode)):
        return term.n3()
    raise StoreError(f"cannot send term {term!r}")


_PROJECTION = re.compile(r"\bSELECT\b(.*?)(?=\bWHERE\b|\bFROM\b|\{)", re.IGNORECASE | re.DOTALL)
_MODIFIER = re.compile(r"\b(?:GROUP|ORDER)\s+BY\b(.*?)(?=\bHAVING\b|\bORDER\b|\bLIMIT\b|\bOFFSET\b|\bVALUES\b|\}|\Z)",
                       re.IGNORECASE | re.DOTALL)


def with_bindings(sparql: str, bindings: Mapping[str, Identifier]) -> str:
    """The query with each bound variable replaced by its term everywhere, as the interface promises
    (SEP-0007): in a SELECT projection ``?v`` becomes ``(term AS ?v)`` so the variable stays in every row;
    elsewhere the term stands in its place. IRIs, strings and comments are left untouched. A trailing
    ``VALUES`` would not do: it joins after the pattern, so a FILTER inside an OPTIONAL would not see it."""
    if not bindings:
        return sparql
    for value in bindings.values():
        if isinstance(value, BNode):
            raise StoreError("a blank node cannot be pre-bound in a query sent to another store")
    terms = {name: term_n3(value) for name, value in bindings.items()}
    variable = re.compile(r"[?$](" + "|".join(re.escape(n) for n in terms) + r")\b")

    forms = {  # how a term stands for the variable in each region of the text
        "projection": lambda m: f"({terms[m.group(1)]} AS ?{m.group(1)})",
        # a sub-SELECT projecting it would make the outer (term AS ?v) illegal (?v in scope): left out
        "inner projection": lambda m: "",
        # grouping or ordering by a constant changes nothing: left out (Virtuoso 7.2 fails to compile it)
        "modifier": lambda m: "",
        "only modifier": lambda m: f"({terms[m.group(1)]})",  # GROUP BY / ORDER BY take an expression in brackets
        "pattern": lambda m: terms[m.group(1)],
    }
    blanked = _IRI_OR_STRING.sub(lambda m: " " * len(m.group()), sparql)
    protected = [(m.start(), m.end()) for m in _IRI_OR_STRING.finditer(sparql)]
    regions = [(m.start(1), m.end(1), "projection" if i == 0 or not variable.sub("", m.group(1)).strip()
                else "inner projection") for i, m in enumerate(_PROJECTION.finditer(blanked))]
    regions += [(m.start(1), m.end(1), "modifier" if variable.sub("", m.group(1)).strip() else "only modifier")
                for m in _MODIFIER.finditer(blanked)]
    cuts = sorted({0, len(sparql), *(p for a, b in protected for p in (a, b)), *(p for a, b, _k in regions for p in (a, b))})
    out = []
    for begin, stop in zip(cuts, cuts[1:]):
        piece = sparql[begin:stop]
        if any(a <= begin and stop <= b for a, b in protected):
            out.append(piece)
            continue
        kind = next((k for a, b, k in regions if a <= begin and stop <= b), "pattern")
        out.append(variable.sub(forms[kind], piece))
    return "".join(out)


_WHOLE_DECIMAL = re.compile(r'(?<!\\)"(-?[0-9]+)"\^\^(<http://www\.w3\.org/2001/XMLSchema#decimal>|xsd:decimal)')


def keep_whole_decimals(sparql: str) -> str:
    """``"450000"^^xsd:decimal`` written ``"450000.0"^^xsd:decimal``: the same value, which a store that keeps
    numbers by value (Virtuoso) then still types xsd:decimal instead of xsd:integer."""
    return _WHOLE_DECIMAL.sub(lambda m: f'"{m.group(1)}.0"^^{m.group(2)}', sparql)


_INSERT_DATA = re.compile(r"\bINSERT\s+DATA\s*\{", re.IGNORECASE)


def insert_data_as_template(sparql: str) -> str:
    """``INSERT DATA { … }`` rewritten ``INSERT { … } WHERE {}`` (same triples; blank nodes allowed by stores
    that refuse them in INSERT DATA). Braces inside IRIs, strings and comments are skipped."""
    blanked = _IRI_OR_STRING.sub(lambda m: " " * len(m.group()), sparql)
    out, position = [], 0
    for match in _INSERT_DATA.finditer(blanked):
        depth, end = 1, match.end()
        while depth and end < len(blanked):
            depth += {"{": 1, "}": -1}.get(blanked[end], 0)
            end += 1
        if depth:
            raise QuerySyntaxError("INSERT DATA without its closing brace")
        out.append(sparql[position:match.start()] + "INSERT {" + sparql[match.end():end] + " WHERE {}")
        position = end
    return "".join(out) + sparql[position:]


def from_json_term(value: dict) -> Node:
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        lang, datatype = value.get("xml:lang"), value.get("datatype")
        if lang:
            return RdfLiteral(value["value"], lang=lang)
        if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
            # as the store spells it (rdflib would re-spell "2100"^^xsd:double as 2100.0): answers pass it on
            return RdfLiteral(value["value"], datatype=URIRef(datatype), normalize=False)
        return RdfLiteral(value["value"])
    raise StoreError(f"unknown term in results: {value!r}")


def batches(graph: Graph, size: int) -> Iterator[list[tuple[Node, Node, Node]]]:
    """The triples of ``graph`` in batches of about ``size``, every blank node's triples in one batch."""
    parent: dict[BNode, BNode] = {}

    def root(node: BNode) -> BNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for s, _p, o in graph:
        if isinstance(s, BNode) and isinstance(o, BNode):
            a, b = root(s), root(o)
            if a != b:
                parent[a] = b
    groups: dict[BNode | None, list] = {}
    for triple in graph:
        bnode = next((t for t in (triple[0], triple[2]) if isinstance(t, BNode)), None)
        groups.setdefault(root(bnode) if bnode is not None else None, []).append(triple)
    batch: list = []
    for key, triples in groups.items():
        if key is None:
            for triple in triples:
                batch.append(triple)
                if len(batch) >= size:
                    yield batch
                    batch = []
            continue
        if batch and len(batch) + len(triples) > size:
            yield batch
            batch = []
        batch.extend(triples)
    if batch:
        yield batch


def ntriples(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    return "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)


class RemoteStore(Store):
    """A SPARQL 1.1 store at ``query_url`` / ``update_url`` (see the module docstring)."""

    def __init__(self, query_url: str, update_url: str | None = None, *, profile: Profile = Profile("store"),
                 auth: tuple[str, str] | None = None, query_timeout: float = 300.0) -> None:
        if profile.union not in ("store", "explicit"):
            raise StoreError("union must be 'store' or 'explicit'")
        self.query_url, self.update_url, self.profile = query_url, update_url or query_url, profile
        self.query_timeout = query_timeout
        origin = re.match(r"https?://[^/]+/", self.query_url)
        self.own_graphs = tuple(profile.own_graphs) + ((origin.group(0),) if profile.own_origin and origin else ())
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "tscgraph"
        if auth is not None:
            self.session.auth = requests.auth.HTTPDigestAuth(*auth) if profile.auth_scheme == "digest" else auth
        self._names: list[URIRef] | None = None
        self._names_key: object = None
        #: What names the data's state for a process that does not write (a reader): its graph names are read
        #: again when it changes. None: the cache lasts until this store writes.
        self.state: Callable[[], object] | None = None

    # ------------------------------------------------------------------ HTTP

    def _post(self, url: str, data: dict, accept: str, timeout: float) -> requests.Response:
        try:
            answer = self.session.post(url, data=data, headers={"Accept": accept}, timeout=timeout)
        except requests.Timeout:
            raise StoreTimeout(f"the store at {url} did not answer within {timeout:g} s") from None
        except requests.RequestException as exc:
            raise StoreError(f"the store at {url} cannot be reached: {exc}") from None
        header, value = self.profile.cut_header
        if header and answer.headers.get(header, "").strip() == value:  # partial results: not an answer
            raise StoreTimeout(f"the store stopped the query at its time limit ({answer.headers.get('X-SQL-Message', value)})")
        if answer.status_code >= 500 and self.profile.too_long and re.search(self.profile.too_long, answer.text):
            raise StoreTimeout(f"the store refused to run it: {answer.text.strip().splitlines()[0][:300]}")
        if answer.status_code == 400:
            raise QuerySyntaxError(f"the store refused the request: {answer.text.strip()[:2000]}")
        if answer.status_code >= 300:
            raise StoreError(f"the store answered {answer.status_code}: {answer.text.strip()[:2000]}")
        return answer

    def query(self, sparql: str, *, bindings: Mapping[str, Identifier] | None = None,
              default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None,
              base_iri: str | None = None, time_limit: float | None = None) -> QueryResult:
        form = query_form(sparql)
        text = with_bindings(sparql, bindings or {})
        # The protocol carries no base IRI: a BASE first (on the first line: the store's error positions keep
        # their line, and a column on the first line is given back) resolves what the query's own BASE does not.
        head = f"BASE <{base_iri}> " if base_iri else ""
        data: dict = {"query": head + text}
        if default_graphs is not None or named_graphs is not None:
            every = None if default_graphs is not None and named_graphs is not None else [str(g) for g in self.graph_names()]
            for key, graphs in (("default-graph-uri", default_graphs), ("named-graph-uri", named_graphs)):
                data[key] = (list(graphs) if graphs is not None else every) or [STAGING + "none"]  # none: empty
        elif self.profile.union == "explicit" and not names_dataset(sparql):
            names = [str(g) for g in self.graph_names()] or [STAGING + "none"]  # no graph: an empty dataset
            data["default-graph-uri"] = data["named-graph-uri"] = names
        limit = time_limit or self.query_timeout
        if self.profile.timeout_param:
            data[self.profile.timeout_param] = str(int(limit * self.profile.timeout_unit))
        try:
            answer = self._post(self.query_url, data, SELECT_TYPES if form != "graph" else GRAPH_TYPES, limit)
        except QuerySyntaxError as exc:
            if not head:
                raise
            raise QuerySyntaxError(re.sub(r"error at 1:(\d+)", lambda m: f"error at 1:{max(1, int(m.group(1)) - len(head))}",
                                          str(exc))) from None
        if form == "graph":
            return QueryResult(kind="graph", triples=iter(self._parse_graph(answer)))
        try:
            body = answer.json()
        except ValueError:
            raise StoreError(f"the store's answer is not SPARQL JSON results: {answer.text[:300]!r}") from None
        if "boolean" in body:
            return QueryResult(kind="ask", boolean=bool(body["boolean"]))
        variables = list(body.get("head", {}).get("vars", []))
        rows = (tuple(from_json_term(b[v]) if v in b else None for v in variables)
                for b in body.get("results", {}).get("bindings", []))
        return QueryResult(kind="select", variables=variables, rows=rows)

    def _parse_graph(self, answer: requests.Response) -> Graph:
        media = answer.headers.get("Content-Type", "application/n-triples").split(";")[0].strip().lower()
        parser = _RDF_PARSERS.get(media)
        if parser is None:
            raise StoreError(f"the store answered a graph as {media}, which tscgraph does not read")
        try:
            return Graph().parse(data=answer.content, format=parser)
        except Exception as exc:  # noqa: BLE001 - a parser error of any kind is the store's answer being wrong
            raise StoreError(f"the store's {media} answer does not parse: {exc}") from None

    def update(self, sparql: str, *, changes: Iterable[str] | Mapping[str, Iterable[str] | None] | None = None) -> None:
        self._update([sparql if self.profile.bnodes_in_insert_data else insert_data_as_template(sparql)])

    def _send(self, text: str) -> str:
        """An update's text as this store needs it (see the profile)."""
        return keep_whole_decimals(text) if self.profile.whole_decimals_lost else text

    def _insert(self, graph_iri: str, triples: Iterable[tuple[Node, Node, Node]]) -> str:
        body = ntriples(triples)
        if self.profile.bnodes_in_insert_data:
            return f"INSERT DATA {{ GRAPH <{_iri(graph_iri)}> {{\n{body}\n}} }}"
        return f"INSERT {{ GRAPH <{_iri(graph_iri)}> {{\n{body}\n}} }} WHERE {{}}"

    def _update(self, operations: list[str]) -> None:
        self._names = None
        self._post(self.update_url, {"update": self._send(" ;\n".join(operations))}, "*/*", self.query_timeout)

    # ------------------------------------------------------------------ reads

    def graph_names(self) -> list[URIRef]:
        """The graphs holding triples, but the store's own (``own_graphs`` prefixes) and staging graphs;
        cached until this store writes, or (a reader's) until :attr:`state` names another state."""
        key = self.state() if self.state is not None else None
        if self._names is None or key != self._names_key:
            self._names_key = key
            answer = self._post(self.query_url, {"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                                SELECT_TYPES, self.query_timeout)
            names = [from_json_term(b["g"]) for b in answer.json()["results"]["bindings"] if "g" in b]
            self._names = sorted(URIRef(str(n)) for n in names if isinstance(n, URIRef)
                                 and not str(n).startswith((STAGING, *self.own_graphs)))
        return list(self._names)

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is not None:
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_iri(graph_iri)}> {{ ?s ?p ?o }} }}",
                               default_graphs=[graph_iri], named_graphs=[graph_iri])
            return int(rows[0]["n"]) if rows else 0
        return sum(self.count(str(g)) for g in self.graph_names())

    def read_graph(self, graph_iri: str) -> Graph:
        result = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{_iri(graph_iri)}> {{ ?s ?p ?o }} }}",
                            default_graphs=[graph_iri], named_graphs=[graph_iri])
        return result.graph()

    def export(self, out: BinaryIO, fmt: Literal["nquads", "trig", "turtle"] = "nquads",
               graphs: Iterable[str] | None = None) -> None:
        if fmt not in ("nquads", "trig", "turtle"):
            raise StoreError(f"unknown dump format {fmt!r}; use nquads, trig or turtle")
        names = list(graphs) if graphs is not None else [str(g) for g in self.graph_names()]
        if fmt == "turtle":
            union = Graph()
            for name in names:
                union += self.read_graph(name)
            out.write(union.serialize(format="turtle").encode("utf-8"))
            return
        for name in names:  # one graph at a time in memory
            quad_graph = "" if fmt == "trig" else f" <{name}>"  # TriG names the graph once, around its block
            lines = "".join(f"{s.n3()} {p.n3()} {o.n3()}{quad_graph} .\n" for s, p, o in self.read_graph(name))
            out.write((f"<{name}> {{\n{lines}}}\n" if fmt == "trig" else lines).encode("utf-8"))

    def scratch_copy(self, keep: Callable[[str], bool] | None = None) -> Store:
        """An in-memory embedded store with every graph of this one, or those ``keep`` accepts (writes are
        tried there first)."""
        scratch = OxigraphStore(None)
        scratch.add_graphs({str(g): self.read_graph(str(g)) for g in self.graph_names() if keep is None or keep(str(g))})
        return scratch

    def fingerprints(self) -> dict[str, tuple[int, int]]:
        prints = {}
        for name in self.graph_names():
            graph = self.read_graph(str(name))
            digest = 0
            for s, p, o in graph:
                digest ^= hash((_plain(s), _plain(p), _plain(o)))
            prints[str(name)] = (len(graph), digest)
        return prints

    # ------------------------------------------------------------------ writes

    def add_graphs(self, graphs: Mapping[str, Graph]) -> int:
        self._write(graphs, "ADD")
        return sum(len(g) for g in graphs.values())

    def replace_graphs(self, graphs: Mapping[str, Graph]) -> int:
        self._write(graphs, "MOVE")
        return sum(len(g) for g in graphs.values())

    def _write(self, graphs: Mapping[str, Graph], verb: str) -> None:
        """Small writes in one request; large ones staged, then moved in by one request (see module)."""
        if sum(len(g) for g in graphs.values()) <= self.profile.write_batch:
            operations = []
            for iri, graph in graphs.items():
                if verb == "MOVE":
                    operations.append(f"DROP SILENT GRAPH <{_iri(iri)}>")
                if len(graph):
                    operations.append(self._insert(iri, graph))
            if operations:
                self._update(operations)
            return
        staged: dict[str, str] = {}
        try:
            for iri, graph in graphs.items():
                staging = staged[iri] = f"{STAGING}{uuid.uuid4().hex}"
                for batch in batches(graph, self.profile.write_batch):
                    self._post(self.update_url, {"update": self._send(self._insert(staging, batch))}, "*/*",
                               self.query_timeout)
            moves = []
            for iri, staging in staged.items():
                if len(graphs[iri]):
                    moves.append(f"{verb} SILENT GRAPH <{staging}> TO GRAPH <{_iri(iri)}>")
                elif verb == "MOVE":
                    moves.append(f"DROP SILENT GRAPH <{_iri(iri)}>")
            self._update(moves + [f"DROP SILENT GRAPH <{s}>" for s in staged.values()])
            staged = {}
        finally:
            for staging in staged.values():  # a batch failed: nothing but the staging graphs was written
                try:
                    self._post(self.update_url, {"update": f"DROP SILENT GRAPH <{staging}>"}, "*/*", self.query_timeout)
                except StoreError:
                    pass

    def drop_graph(self, graph_iri: str) -> None:
        self._update([f"DROP SILENT GRAPH <{_iri(graph_iri)}>"])

    def close(self) -> None:
        self.session.close()


def _iri(text: str) -> str:
    if not is_iri(text):
        raise StoreError(f"not an absolute IRI: {text!r}")
    return text


def _plain(term: Node) -> str:
    return "_:" if isinstance(term, BNode) else term.n3()


__all__ = ["PROFILES", "RemoteStore", "StoreTimeout", "batches", "open_remote", "query_form", "with_bindings"]
