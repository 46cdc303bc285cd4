"""Importers, one module per source kind, each turning a source into RDF in our ontology.

Every loader answers a :class:`Loaded`: the RDF it made and the problems it met, each with where it
was (row and column, line, element path) — a cell it could not resolve is reported, never dropped
silently. What to do with the graph (validate, then write atomically, or quarantine) is the caller's:
:func:`graph.loading` and the harvester.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph


@dataclass(frozen=True)
class Problem:
    """Something in a source that could not be turned into RDF as it stands."""

    source: str         # the file or URL
    where: str          # "row 4, column 'GBF targets'", "line 12", "iati-activity[3]/budget"
    message: str        # what is wrong, in English, for a person who can fix the source
    value: str = ""     # the offending value, as found

    def __str__(self) -> str:
        value = f" ({self.value!r})" if self.value else ""
        return f"{self.source}: {self.where}: {self.message}{value}"


@dataclass
class Loaded:
    """The RDF a loader made from one source, and the problems it met."""

    graph: Graph
    problems: list[Problem] = field(default_factory=list)
    records: int = 0    # the records (typed subjects) made
