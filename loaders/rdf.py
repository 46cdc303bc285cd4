"""RDF files in any common syntax, read as they are: a partner's Turtle, RDF/XML, N-Triples, TriG…

The syntax table and the parser are :mod:`graph.rdfio`'s (one place for both files and HTTP bodies);
this module only turns its outcome into a :class:`~loaders.Loaded`: a file that cannot be read is a
:class:`~loaders.Problem` naming the line where the parser says so, not an exception, so that a
harvest of many files reports every bad one. JSON-LD is the one syntax whose reading could reach
the network (a remote ``@context``): schema.org JSON-LD goes to :mod:`loaders.schemaorg`, which maps it
onto our terms with a local context; any other remote context is refused, never fetched.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from graph.rdfio import RdfReadError, format_for
from loaders import Loaded, Problem
from loaders.reading import is_schema_org, parse_loaded, reason, remote_contexts
from loaders.schemaorg import load_schemaorg


def load_rdf(path: Path | str, base_iri: str) -> Loaded:
    """Read one RDF file; relative IRIs resolve against ``base_iri`` (as for the bundled data)."""
    path = Path(path)
    source = str(path)
    try:
        fmt = format_for(path)
        data = path.read_bytes()
    except RdfReadError as exc:
        return Loaded(Graph(), [Problem(source, "file", reason(str(exc), source))])
    except OSError as exc:
        return Loaded(Graph(), [Problem(source, "file", f"cannot read ({exc.strerror})")])
    if fmt == "json-ld":
        contexts = remote_contexts(data)
        if contexts is not None and any(is_schema_org(c) for c in contexts):
            return load_schemaorg(data, source, base_iri)
        if contexts:
            return Loaded(Graph(), [Problem(source, "@context", "remote JSON-LD context not fetched (no network "
                                            "access while loading); give the context inline", contexts[0])])
    return parse_loaded(data, fmt, base_iri, source)
