"""tscgraph core: namespaces, settings, store interface and engines, validation, queries, CLI.

Nothing outside :mod:`graph.store` knows which SPARQL engine runs: callers use the
:class:`graph.store.Store` interface and rdflib terms.
"""

__version__ = "0.1.0"
