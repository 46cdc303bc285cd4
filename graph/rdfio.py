"""Reading RDF files: the syntax comes from the file name, relative IRIs resolve against the base.

Bundled and test data use relative IRIs (``<id/actor/ofb>``) so the same files serve any
deployment; a partner's file with absolute IRIs reads unchanged.

Reading never reaches the network: a JSON-LD document naming a remote ``@context`` (anywhere: at the
top, in a list, by ``@import``, scoped in a term definition) is refused before rdflib, which would
fetch it — from any address, ``file:`` included — sees it. And what is read can be stored: rdflib
accepts, with a warning, IRIs that are not IRIs (a space, a bracket) and the store refuses them at
write time, which would be a server error instead of the client's; they are refused here, as bad input.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef, Variable
from rdflib.parser import PythonInputSource

from graph.store.oxigraph import ENGINE_FORMATS, to_ox

#: File name ending → rdflib parser name. Quad syntaxes are read into one graph (graph names dropped).
FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".n3": "n3",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
QUAD_FORMATS = {"nquads", "trig"}
#: Media type (of an HTTP body) → rdflib parser name: the RDF a request may carry.
MEDIA_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
    "text/n3": "n3",
}

#: The formats of a body the engine reads itself (N3 is read by rdflib, which refuses what N3 adds to RDF).
BODY_FORMATS = {**{k: v for k, v in ENGINE_FORMATS.items() if k != "n3"},
                "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}


@dataclass(frozen=True)
class RdfBody:
    """RDF as a client sent it, read where it is needed: by the engine into quads with its own terms, exactly as
    written (a write to the embedded store: ``OxigraphStore.as_quads``), or by rdflib into a graph (validation,
    an external store). The checks every door makes come first either way (:meth:`check`)."""

    data: bytes
    fmt: str  #: rdflib's parser name
    base_iri: str
    source: str = "request body"

    def check(self) -> None:
        """Refuse what no door reads: a DOCTYPE in XML, a remote JSON-LD context (:class:`RdfReadError`)."""
        if self.fmt == "xml":
            refuse_doctype(self.data, self.source)
        elif self.fmt == "json-ld":
            _json_ld(self.data, self.source)

    def graph(self) -> Graph:
        return parse_rdf(self.data, self.fmt, self.base_iri, source=self.source)

    def engine_triples(self) -> list[tuple]:
        """The body's triples as the engine's terms (after :meth:`check`): parsed by the engine where it reads the
        format, else by rdflib (N3, whose additions to RDF :func:`parse_rdf` refuses). Each blank node label is the
        document's own (RDF 1.1 §3.5): it becomes a fresh blank node, so two bodies that both say ``_:x`` never
        share one."""
        self.check()
        if self.fmt not in BODY_FORMATS:
            return [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in self.graph()]
        try:
            parsed = list(ox.parse(self.data, format=BODY_FORMATS[self.fmt], base_iri=self.base_iri))
        except (SyntaxError, ValueError) as exc:
            raise RdfReadError(f"{self.source}: not valid {self.fmt}: {exc}") from None
        fresh: dict[str, ox.BlankNode] = {}

        def term(t):
            if isinstance(t, ox.Triple):
                raise RdfReadError(f"{self.source}: not valid {self.fmt}: a quoted triple is not RDF 1.1")
            return fresh.setdefault(t.value, ox.BlankNode()) if isinstance(t, ox.BlankNode) else t

        return [(term(q.subject), q.predicate, term(q.object)) for q in parsed]


class RdfReadError(Exception):
    """A file cannot be read as RDF; the message names the file and the parser's reason."""


def format_for(path: Path) -> str:
    name = path.name.lower()
    for ending, fmt in FORMATS.items():
        if name.endswith(ending):
            return fmt
    known = ", ".join(sorted(FORMATS))
    raise RdfReadError(f"{path}: unknown RDF syntax for this file name (known endings: {known})")


def read_rdf(path: Path | str, base_iri: str) -> Graph:
    """Parse one file into a new graph; raises :class:`RdfReadError` with the reason."""
    path = Path(path)
    fmt = format_for(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RdfReadError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_rdf(data, fmt, base_iri, source=str(path))


def context_references(doc: object) -> list[str]:
    """Every remote context a JSON-LD document names, in document order: an ``@context`` string (alone or in a
    list), an ``@import``, a scoped context inside a term definition, at any depth. Walked with a stack, not
    recursion, so that a document nested thousands deep is read rather than a RecursionError."""
    found: list[str] = []
    stack: list[tuple[object, bool]] = [(doc, False)]  # (node, whether it stands where a context goes)
    while stack:
        node, is_context = stack.pop()
        if isinstance(node, str):
            if is_context:
                found.append(node)
        elif isinstance(node, list):
            stack.extend((item, is_context) for item in reversed(node))
        elif isinstance(node, dict):
            for key, value in reversed(node.items()):
                stack.append((value, key == "@context" or (is_context and key == "@import")))
    return found


def _json_ld(data: bytes | str, source: str) -> PythonInputSource:
    """The JSON of a JSON-LD text, refused if it names a remote context (see the module docstring)."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise RdfReadError(f"{source}: not valid json-ld: nested too deeply to read") from None
    except ValueError as exc:
        raise RdfReadError(f"{source}: not valid json-ld: {exc}") from None
    remote = context_references(doc)
    if remote:
        raise RdfReadError(f"{source}: remote JSON-LD context {remote[0][:200]!r} not fetched (reading data never "
                           "reaches the network): give the context inline")
    return PythonInputSource(doc)


def check_storable(graph: Graph, source: str, fmt: str) -> None:
    """Refuse a term the store cannot hold (an IRI with a space, a bad language tag): it is the input's fault.

    So is what N3 says beyond RDF, which rdflib reads into a graph all the same: formulas (``{ :a :b :c }``
    as a term), variables (``?x``, ``@forAll``), literals as subjects, literals or blank nodes as predicates.
    Every door that reads RDF comes through here (uploads, validation, submissions, the Graph Store Protocol,
    loaders, harvests), so each answers such input as bad input, with this message."""
    seen: set = set()
    for triple in graph:
        s, p, _o = triple
        for term in triple:
            if isinstance(term, Graph):  # rdflib's QuotedGraph
                raise RdfReadError(f"{source}: not RDF: an N3 formula {{ … }} is not an RDF term (formulas and rules "
                                   "are N3 only); send plain triples")
            if isinstance(term, Variable):
                raise RdfReadError(f"{source}: not RDF: an N3 variable (?x, @forAll, @forSome) is not an RDF term; "
                                   "send plain triples")
        if isinstance(s, Literal) or not isinstance(p, URIRef):
            raise RdfReadError(f"{source}: not RDF: a literal as a subject, or a literal or blank node as a predicate "
                               "(N3 allows them, RDF does not); send plain triples")
        for term in triple:
            if term in seen:
                continue
            seen.add(term)
            try:
                to_ox(term)
            except ValueError as exc:
                raise RdfReadError(f"{source}: not valid {fmt}: {str(term)[:200]!r} is not an RDF term ({exc})") from None


def refuse_doctype(data: bytes | str, source: str) -> None:
    """Refuse an XML document that declares a DOCTYPE, before any parser that would expand it sees it.

    rdflib reads RDF/XML with the standard library's expat, which expands internal entities: a 567-byte
    document of nested entities ("billion laughs") cost minutes of CPU. No RDF/XML needs a DTD, so a
    DOCTYPE is refused outright, whatever its content; defusedxml's reader checks that (and the XML's
    well-formedness) in one linear pass, in any encoding the document declares.
    """
    from xml.sax import SAXException

    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import create_parser

    parser = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.parse(io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data))
    except DefusedXmlException:
        raise RdfReadError(f"{source}: not valid xml: a DOCTYPE or entity declaration is not accepted "
                           "(RDF/XML needs none)") from None
    except SAXException:
        pass  # not well-formed: rdflib's own parser says where


def parse_rdf(data: bytes | str, fmt: str, base_iri: str, source: str = "input") -> Graph:
    """Parse RDF text in syntax ``fmt``; pure apart from the parser, shared by files and HTTP bodies."""
    if fmt == "xml":
        refuse_doctype(data, source)
    readable = _json_ld(data, source) if fmt == "json-ld" else data
    graph = _parse(readable, fmt, base_iri, source)
    check_storable(graph, source, fmt)
    return graph


def _parse(data: bytes | str | PythonInputSource, fmt: str, base_iri: str, source: str) -> Graph:
    try:
        if isinstance(data, PythonInputSource):
            return Graph().parse(source=data, format=fmt, publicID=base_iri)
        if fmt in QUAD_FORMATS:
            dataset = Dataset()
            with warnings.catch_warnings():  # rdflib 7 warns about its own Dataset internals here
                warnings.simplefilter("ignore", DeprecationWarning)
                dataset.parse(data=data, format=fmt, publicID=base_iri)
            graph = Graph()
            for s, p, o, _g in dataset.quads((None, None, None, None)):
                graph.add((s, p, o))
            return graph
        graph = Graph()
        graph.parse(data=data, format=fmt, publicID=base_iri)
        return graph
    except RecursionError:
        raise RdfReadError(f"{source}: not valid {fmt}: nested too deeply to read") from None
    except Exception as exc:  # rdflib raises many kinds (BadSyntax, SAXParseException, ValueError, …)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise RdfReadError(f"{source}: not valid {fmt}: {reason}") from None


def error_line(message: str, data: bytes | str, fmt: str) -> int | None:
    """The line of ``data`` a parser's ``message`` is about: the line it names, the line of the text it quotes,
    or, in a line-based syntax (N-Triples, N-Quads), the first line that does not parse on its own."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    found = re.search(r"\bline (\d+)", message) or re.search(r"<unknown>:(\d+):", message)
    if found:
        return int(found.group(1))
    quoted = re.search(r"Invalid line(?: \(.*?\))?: '?(.*?)'?$", message)
    if quoted:
        wanted = quoted.group(1).strip()
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and line.strip() == wanted:
                return number
    if fmt in ("nt", "nquads"):
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                try:
                    parse_rdf(line, fmt, "http://localhost/")
                except RdfReadError:
                    return number
    return None
