"""The record log: when each record entered the clearing-house's public local graph.

Every write into the local graph (checked loads, ``setup``, SPARQL Update, Graph Store Protocol) ends
with :func:`stamp_new_records`: each typed record of the graph (the subject of ``a tsc:…``) that the log
does not know yet gets ``dcterms:dateAccepted "…"^^xsd:dateTime`` in the log graph, a named graph of its
own beside the local graph (``{base}graph/local`` → ``{base}graph/log``, settings ``log_graph``).
Records already logged keep their date, so reloading the same data re-stamps nothing. The home page's
"latest additions" read the log (:data:`LATEST_QUERY`).

The log is written outside validation on purpose: it holds no records, only dates about them, and no
shape targets ``dcterms:dateAccepted``. A record removed from the local graph keeps its log line (a
record that comes back keeps its first date); listings join the log with the records that exist.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

from graph.changekeys import predicate_key
from graph.iris import is_iri
from graph.namespaces import TSC
from graph.querytext import values_clause
from graph.store import Store

#: The local graph's name within a deployment's graph space, and its log's (see graph.settings).
LOCAL_SUFFIX = "graph/local"
LOG_SUFFIX = "graph/log"

#: One update for a whole graph, whatever its size. MINUS (not FILTER NOT EXISTS): the engine runs it
#: as one anti-join over the log instead of one probe per record.
STAMP_UPDATE = """
PREFIX dcterms: <http://purl.org/dc/terms/>
INSERT {{ GRAPH <{log}> {{ ?record dcterms:dateAccepted {now} }} }}
WHERE {{
  {{ SELECT DISTINCT ?record WHERE {{
      {only}
      GRAPH <{graph}> {{ ?record a ?class }}
      FILTER(STRSTARTS(STR(?class), "{tsc}"))
  }} }}
  MINUS {{ {only} GRAPH <{log}> {{ ?record dcterms:dateAccepted ?accepted }} }}
}}
"""

#: The most recent records of any tsc class that still exist, newest first (``{limit}`` filled in code).
LATEST_QUERY = """
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?record ?accepted ?class WHERE {{
  {{ SELECT ?record ?accepted WHERE {{ GRAPH <{log}> {{ ?record dcterms:dateAccepted ?accepted }} }}
     ORDER BY DESC(?accepted) LIMIT {window} }}
  ?record a ?class .
  FILTER(STRSTARTS(STR(?class), "{tsc}"))
}}
"""


def log_graph_for(graph_iri: str) -> str | None:
    """The log graph of a local graph (``{base}graph/local`` → ``{base}graph/log``); None for any other
    graph (ontology, submissions, harvests: their records are not, or not yet, the clearing-house's)."""
    if graph_iri.endswith("/" + LOCAL_SUFFIX):
        return graph_iri[: -len(LOCAL_SUFFIX)] + LOG_SUFFIX
    return None


def stamp_new_records(store: Store, graphs: Iterable[str], now: datetime | None = None,
                      records: Iterable[URIRef] | None = None) -> None:
    """Log, with the date ``now`` (default: this instant, UTC), the records of the local graph among
    ``graphs`` that the log does not hold yet — only among ``records`` when the writer knows which it wrote
    (the cost of the change, not of the graph). Other graphs are ignored."""
    stamp = Literal((now or datetime.now(timezone.utc)).isoformat(timespec="microseconds"), datatype=XSD.dateTime)
    only = ""
    if records is not None:
        iris = [r for r in records if isinstance(r, URIRef)]
        if not iris:
            return
        only = values_clause("record", iris)
    for graph_iri in sorted(set(graphs)):
        log = log_graph_for(graph_iri)
        if log is None:
            continue
        _check_iri(graph_iri)
        key = predicate_key(str(DCTERMS.dateAccepted))  # all it inserts: on ``records`` when they are named
        store.update(STAMP_UPDATE.format(log=log, graph=graph_iri, now=stamp.n3(), tsc=str(TSC), only=only),
                     changes=[key] if records is None else {key: [str(iri) for iri in iris]})


def latest_records(store: Store, log_graph: str, limit: int = 10) -> list[dict]:
    """The ``limit`` records most recently accepted: ``{"record", "accepted", "classes"}``, newest first."""
    _check_iri(log_graph)
    rows = store.select(LATEST_QUERY.format(log=log_graph, window=limit * 3, tsc=str(TSC)))
    found: dict = {}
    for row in rows:
        entry = found.setdefault(row["record"], {"record": row["record"], "accepted": row["accepted"], "classes": []})
        entry["classes"].append(row["class"])
    newest = sorted(found.values(), key=lambda e: (_when(e["accepted"]), str(e["record"])), reverse=True)
    return newest[:limit]


def _when(value) -> datetime:
    moment = value.toPython() if isinstance(value, Literal) else None
    return moment if isinstance(moment, datetime) else datetime.min.replace(tzinfo=timezone.utc)


def _check_iri(iri: str) -> None:
    if "://" not in iri or not is_iri(iri):
        raise ValueError(f"not an absolute IRI: {iri!r}")
