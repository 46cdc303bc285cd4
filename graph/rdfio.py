"""Reading RDF files: the syntax comes from the file name, relative IRIs resolve against the base.

Bundled and test data use relative IRIs (``<id/actor/ofb>``) so the same files serve any
deployment; a partner's file with absolute IRIs reads unchanged.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from rdflib import Dataset, Graph

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


def parse_rdf(data: bytes | str, fmt: str, base_iri: str, source: str = "input") -> Graph:
    """Parse RDF text in syntax ``fmt``; pure apart from the parser, shared by files and HTTP bodies."""
    try:
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
    except Exception as exc:  # rdflib raises many kinds (BadSyntax, SAXParseException, ValueError, …)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise RdfReadError(f"{source}: not valid {fmt}: {reason}") from None
