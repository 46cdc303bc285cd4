"""Bad input for the fuzz tests (``tests/test_fuzz_*.py``): Hypothesis strategies that make it, the valid
documents they start from, and a loopback listener that records any connection the code under test makes.

Bad input here is what partners' tools, browsers and attackers really send: valid documents truncated or
with bytes flipped, random bytes, text in the wrong encoding, IRIs with spaces and control characters,
JSON nested thousands deep, SPARQL with keywords hidden where a naive scanner does not look.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

from hypothesis import strategies as st
from rdflib import Graph

from graph.settings import ROOT
from tests.conftest import BASE, TESTS

VALID_PROJECT = TESTS / "shapes" / "ProjectShape-valid-01.ttl"
#: rdflib parser name → (media type, file ending): every RDF syntax a request or a file may carry.
SYNTAXES = {
    "turtle": ("text/turtle", "ttl"), "json-ld": ("application/ld+json", "jsonld"),
    "xml": ("application/rdf+xml", "rdf"), "nt": ("application/n-triples", "nt"),
    "trig": ("application/trig", "trig"), "nquads": ("application/n-quads", "nq"),
}


def serialised(path: Path, syntax: str) -> bytes:
    """The Turtle file ``path`` in ``syntax`` (quad syntaxes: in one named graph)."""
    graph = Graph().parse(path, format="turtle", publicID=BASE)
    if syntax in ("trig", "nquads"):
        lines = [line.strip() for line in graph.serialize(format="nt").splitlines() if line.strip()]
        name = f"<{BASE}graph/upload>"
        if syntax == "nquads":
            return "\n".join(line[:-1].rstrip() + f" {name} ." for line in lines).encode()
        return (name + " {\n" + "\n".join(lines) + "\n}\n").encode()
    return graph.serialize(format=syntax, encoding="utf-8")


#: A conforming project in every syntax: what the mutations start from.
VALID_DOCUMENTS: dict[str, bytes] = {syntax: serialised(VALID_PROJECT, syntax) for syntax in SYNTAXES}

#: Fragments that break parsers in interesting ways: invalid UTF-8, latin-1, NUL, quotes and brackets of
#: every syntax, entity declarations, line and paragraph separators, a BOM in the middle.
NASTY = [
    b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xe9t\xe9", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"<", b">", b'"', b"'",
    b'"""', b"{", b"}", b"[", b"]", b"(", b")", b"@prefix x: <", b"@base <", b"\\u0000", b"\\U0010FFFF", b"\n",
    b"\r", b"#", b".", b";", b",", b"^^", b"@", b"_:", b"<!ENTITY e SYSTEM 'file:///etc/passwd'>", b"&e;",
    b"<!DOCTYPE x [", b"]]>", "\u2028".encode(), "\U0001f600".encode(), b'{"@context": "', b"\t" * 3, b"%00",
]


@st.composite
def mutated(draw: st.DrawFn, document: bytes, max_steps: int = 4) -> bytes:
    """``document`` truncated, with bytes flipped, slices deleted or duplicated, nasty fragments inserted."""
    data = bytearray(document)
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(["truncate", "flip", "delete", "duplicate", "insert", "insert"]))
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif op == "duplicate":
            data[at:at] = data[max(0, at - 60):at]
        else:
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=8))
    return bytes(data)


def bad_rdf(syntax: str) -> st.SearchStrategy[bytes]:
    """Bad (or sometimes still valid) RDF in ``syntax``: mutations of a valid document, random bytes or text."""
    return st.one_of(
        mutated(VALID_DOCUMENTS[syntax]),
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"", b" ", b"\xef\xbb\xbf", VALID_DOCUMENTS[syntax].decode().encode("latin-1", "replace"),
                         VALID_DOCUMENTS[syntax].decode().encode("utf-16")]),
    )


def nested_json(depth: int, kind: str) -> bytes:
    """JSON-LD nested ``depth`` deep, built as text (json.dumps itself would hit the recursion limit)."""
    if kind == "objects":
        return ('{"http://a/p": ' * depth + '"leaf"' + "}" * depth).encode()
    if kind == "lists":
        return ('{"@id": "https://chm.example.org/id/x", "https://schema.org/about": {"@list": '
                + "[" * depth + '"leaf"' + "]" * depth + "}}").encode()
    return ('{"@context": ' + '{"@context": ' * depth + "{}" + "}" * depth + ', "@id": "https://chm.example.org/id/x"}').encode()


def deep_jsonld() -> st.SearchStrategy[bytes]:
    return st.builds(nested_json, st.sampled_from([50, 500, 990, 1100, 3000]),
                     st.sampled_from(["objects", "lists", "contexts"]))


# ------------------------------------------------------------------ IRIs, text, SPARQL

TRICKY_IRIS = [
    "", " ", "http://a/\n", "http://a/\r\nX-Injected: 1", "http://a/ b", "http://a/<b>", 'http://a/"', "http://a/{x}",
    "http://a/\x00", "http://a/\u2028", "urn:x", "urn:", "x:", ":", "//x", "file:///etc/passwd", "javascript:alert(1)",
    "http://[::1]/", "http://0x7f000001/", "https://chm.example.org/id/project/" + "a" * 5000, "http://a/%zz",
    "HTTP://A/", "https://chm.example.org/graph/submission/x", "https://chm.example.org/graph/local",
    "mailto:a@b", "http://a/#frag", "http://a/?q=1&r=2", "../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd",
]


def iri_like() -> st.SearchStrategy[str]:
    """Strings that look like IRIs, or almost do."""
    scheme = st.sampled_from(["http", "https", "urn", "file", "ftp", "x", "HTTP", ""])
    tail = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
    return st.one_of(
        st.sampled_from(TRICKY_IRIS),
        st.builds(lambda s, t: f"{s}://{t}", scheme, tail),
        st.builds(lambda t: BASE + "id/" + t, tail),
        st.text(max_size=80),
    )


def nasty_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Form-field and parameter values: unicode, control characters, markup, very long strings."""
    return st.one_of(
        st.text(max_size=max_size),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=max_size),
        st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "\r\n", "\u202e", "{{7*7}}", "%s%s%n",
                         "../../etc/passwd", "a" * 20_000, "9" * 400, "-1", "0", "1e309", "NaN", "31/02/2024",
                         "2024-02-31", "true", "", " ", "\t"]),
        iri_like(),
    )


SPARQL_WORDS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE",
    "SILENT", "BIND", "VALUES", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET", "PREFIX", "BASE", "INSERT", "DELETE",
    "DATA", "LOAD", "CLEAR", "DROP", "COUNT(*)", "REGEX(?o, \"(a+)+$\")", "*", "?s", "?p", "?o", "$x", "{", "}",
    "(", ")", ".", ";", ",", "a", "<http://a/>", "<http://a/#>", "<http://a/'>", '"x"', "'y'", '"""z"""', "#c\n",
    "\n", "1", "1.5e3", "true", "_:b", "[]", "^^", "@en", "rdf:type", "xsd:int", "<", ">", "=", "!", "&&", "||",
    "\\u0053ERVICE",
]


def sparql_soup() -> st.SearchStrategy[str]:
    """Token soup from SPARQL's own words: mostly syntax errors, sometimes a query."""
    return st.lists(st.sampled_from(SPARQL_WORDS), max_size=25).map(" ".join)


def valid_queries() -> list[str]:
    """The catalogue's queries, as texts to mutate."""
    return [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").glob("*.rq"))]


def bad_sparql() -> st.SearchStrategy[str]:
    queries = valid_queries()
    mutated_query = st.sampled_from(queries).map(str.encode).flatmap(mutated).map(lambda b: b.decode("utf-8", "replace"))
    return st.one_of(sparql_soup(), mutated_query, st.text(max_size=200))


#: The keyword as the grammar allows it: any case, glued to what follows, a comment between, SILENT.
SERVICE_SPELLINGS = ["SERVICE ", "service ", "SERVICE", "SERVICE\t", "SERVICE SILENT ", "SERVICE SILENT", "Service\n",
                     "SERVICE #c\n", "SERVICE #c\r", "SERVICESILENT", "SERVICE  silent\n"]
#: What may stand before the SERVICE in :func:`hidden_service`, each a way to hide it from a naive scanner.
HIDING_PLACES = [
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ", "PREFIX q: <http://a/'> ", "PREFIX d: <http://a/\"> ",
    "# a comment\n", "# a comment\r", '?s ?p "a # b" . ', "?s ?p 'it''s' . ", "?s ?p <http://a/#x> . ",
    "?s ?p <http://a/'> . ", '?s ?p """x\n" SERVICE""" . ', "?s ?p ex:a\\' . ", "?s ?p ex:a\\# . ",
    "?s ?p ?o FILTER(?o<'>') ", "?s ?p ?o FILTER(?o<'>' || true) ", "?s ?p 1", "?s ?p true", "?s ?p 'x'", "?s ?p ?o.",
    "?s ?p '''a'''' . ", "?s ?p <http://a/\\u0027> . ", "?s ?p ?o FILTER(?o<#> '''\n1) ", "",
]


@st.composite
def hidden_service(draw: st.DrawFn, target: str) -> str:
    """A query that calls ``target`` with SERVICE, written to slip past a scanner that reads text naively:
    IRIs holding ``#`` or quotes before it, comments ending at a carriage return, strings, escaped quotes in
    prefixed names, a ``<`` read as "less than", the keyword glued to a number or a literal before it or to
    the IRI after it, the target as a prefixed name, in a sub-query…"""
    before = draw(st.lists(st.sampled_from(HIDING_PLACES), max_size=3))
    after = draw(st.sampled_from(["", " ?s ?p <http://b/'> .", " ?s ?p <http://b/#y> .", " # trailing", " ?s ?p 'x'"]))
    service = draw(st.sampled_from(SERVICE_SPELLINGS))
    prologue = "PREFIX ex: <http://a/> " + "".join(b for b in before if b.startswith("PREFIX"))
    body = "".join(b for b in before if not b.startswith("PREFIX"))
    if draw(st.integers(0, 5)):
        inner = f"{service}<{target}> {{ ?s ?p ?o }}"
    else:  # the target as a prefixed name
        prologue += f"PREFIX : <{target}> "
        inner = f"{service}:x {{ ?s ?p ?o }}"
    if draw(st.booleans()):
        inner = f"{{ SELECT * WHERE {{ {inner} }} }}"
    return f"{prologue}SELECT * WHERE {{ {body}{inner}{after} }}"


# ------------------------------------------------------------------ an address nobody may reach


class Listener:
    """A loopback port (IPv4 and, where the system has it, IPv6) that records every connection made to it.

    The SSRF properties point JSON-LD contexts and SERVICE calls here: the code under test must never
    connect. Each connection is accepted, recorded and closed at once, so a client that does connect fails
    fast instead of waiting. The accept loop polls a closed flag, so it ends when the test ends.
    """

    def __init__(self) -> None:
        self.connections: list[tuple] = []
        self._sockets = [socket.create_server(("127.0.0.1", 0))]
        self.port = self._sockets[0].getsockname()[1]
        try:
            self._sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        except OSError:  # no IPv6 loopback here: the [::1] variants then find nothing listening either
            pass
        self._closed = threading.Event()
        self._threads = [threading.Thread(target=self._accept, args=(s,), daemon=True) for s in self._sockets]
        for thread in self._threads:
            thread.start()

    def _accept(self, sock: socket.socket) -> None:
        sock.settimeout(0.1)
        while not self._closed.is_set():
            try:
                conn, address = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(address)
            conn.close()

    def close(self) -> None:
        self._closed.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def addresses(self, path: str = "/") -> list[str]:
        """Spellings of this listener's address that resolve to loopback, and other schemes."""
        port = self.port
        hosts = ["127.0.0.1", "localhost", "0x7f000001", "2130706433", "127.1", "0177.0.0.1", "[::1]",
                 "[::ffff:127.0.0.1]", "127.0.0.1.nip.io", "LOCALHOST", "0.0.0.0"]
        urls = [f"{scheme}://{host}:{port}{path}" for host in hosts for scheme in ("http", "https")]
        return urls + [f"http://user:pw@127.0.0.1:{port}{path}", f"//127.0.0.1:{port}{path}", "file:///etc/passwd",
                       "file:///etc/hostname", "/etc/passwd", f"http://127.0.0.1:{port}"]


def jsonld_with_context(context: object, nested: str = "top") -> bytes:
    """A small JSON-LD document whose context is ``context``, put where ``nested`` says."""
    node = {"@id": BASE + "id/project/ssrf", "@type": "https://w3id.org/tscgraph/ontology#Project",
            "http://purl.org/dc/terms/title": "x"}
    if nested == "top":
        doc: object = {"@context": context, **node}
    elif nested == "list":
        doc = {"@context": [{"@vocab": "https://schema.org/"}, context], **node}
    elif nested == "import":
        doc = {"@context": {"@version": 1.1, "@import": context}, **node}
    elif nested == "scoped":
        doc = {"@context": {"@version": 1.1, "about": {"@id": "https://schema.org/about", "@context": context}},
               **node, "about": {"@id": BASE + "id/x", "name": "y"}}
    elif nested == "type-scoped":
        doc = {"@context": {"@version": 1.1, "Thing": {"@id": "https://schema.org/Thing", "@context": context}},
               "@id": BASE + "id/x", "@type": "Thing"}
    elif nested == "inner-node":
        doc = {**node, "https://schema.org/about": {"@context": context, "@id": BASE + "id/y"}}
    elif nested == "graph":
        doc = {"@graph": [{"@context": context, **node}]}
    else:
        doc = {"@context": {"@context": context}, **node}
    return json.dumps(doc).encode()


CONTEXT_PLACES = ["top", "list", "import", "scoped", "type-scoped", "inner-node", "graph", "context-in-context"]
