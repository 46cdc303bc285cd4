"""tscgraph core: namespaces, settings, store interface and engines, validation, queries, CLI.

Nothing outside :mod:`graph.store` knows which SPARQL engine runs: callers use the
:class:`graph.store.Store` interface and rdflib terms.
"""

__version__ = "0.1.0"


def _quiet_ill_typed_literals() -> None:
    """rdflib logs a warning with a traceback for every literal whose datatype refuses its lexical form
    (``"2021-13-01"^^xsd:date``). Such a literal is data, which the shapes judge (``sh:datatype`` makes it a
    violation, named with its value); the traceback is not ours to print, so rdflib's record is dropped."""
    import logging

    class IllTypedLiteral(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not str(record.msg).startswith("Failed to convert Literal lexical form to value")

    logging.getLogger("rdflib.term").addFilter(IllTypedLiteral())


_quiet_ill_typed_literals()
