"""Harvesting partner nodes: each source into its own named graph, replaced whole or not at all.

A run of one source (:func:`harvest_source`):

1. **fetch** the source (a file path the sources file names, or http(s) through the guarded client of
   :mod:`loaders.net` under the source's policy — http(s) only, the source's origin and its
   ``allow_origins``, no loopback/private/link-local address unless ``allow_private_addresses``, every
   redirect checked — with bounded retries and back-off: :data:`ATTEMPTS` attempts, waiting
   :data:`BACKOFF` seconds between them, each with a timeout, the body capped at :data:`MAX_BYTES`);
2. **load** it with its kind's loader (``rdf``, ``schemaorg``, ``iati``; ``sparql``: a partner's
   endpoint, :mod:`loaders.sparql`; ``changes``: a tscgraph partner's change feed applied to what the
   source holds here, :mod:`loaders.feed`), dropping the partner's own bookkeeping (:data:`BOOKKEEPING`)
   — a loader problem fails the run;
3. **validate** it; records (tsc:-typed subjects, with their blank nodes) that violate the shapes go
   to the private quarantine graph ``{base}graph/quarantine/{name}`` with the SHACL report about them,
   the others to the public ``settings.harvest_graph(name)``;
4. **write** both graphs and the run's provenance in ONE ``replace_graphs`` (one transaction: readers, and
   a process killed half-way, see the previous harvest or the new one, never a mix), then bring what every
   write keeps up to date for the records the run added, changed or removed — the summaries the canned
   queries read and the harvest graph's change feed (:func:`graph.changes.after_write`). When the new
   content is the content of the last successful run (same canonical digest, same triple counts in
   the store) only the run record is written: re-harvesting unchanged data changes nothing else.

A run that fails (source down, slow, malformed, a link refused) writes only its run record (outcome
``failed`` with the error); the previous harvest is not touched. The error and the problems stored with
a run are public (the harvest log, the /harvest pages), so they are **classified** (:func:`public_problem`,
:class:`loaders.net.FetchError`): "HTTP 404", "too large (over N bytes)", "refused address (loopback)",
"line 5: not valid turtle: syntax error at line 5, column 3" — never an excerpt of what was read.

Provenance, in the public graph ``{base}graph/harvest-log`` (PROV-O, DCTERMS and VoID terms only)::

    <{base}id/harvest-run/{name}/{stamp}> a prov:Activity ;
        dcterms:type "ok" | "unchanged" | "failed" ;        # the outcome
        prov:used <{base}id/harvest-source/{name}> ;
        prov:wasAssociatedWith <{base}id/agent/tscgraph-harvester> ;
        prov:startedAtTime … ; prov:endedAtTime … ;
        rdfs:comment "the error", "a problem" ;             # failed runs only; classified
        prov:generated <…run…#harvest>, <…run…#quarantine>, <…run…#added>, <…run…#removed>, <…run…#changed> .
    <…#harvest>    a void:Dataset ; void:triples n ; void:entities records ; dcterms:identifier "digest" ;
                   dcterms:isPartOf <harvest graph> .
    <…#quarantine> a void:Dataset ; void:triples n ; void:entities quarantined records ; dcterms:isPartOf <quarantine graph> .
    <…#added>      a void:Dataset ; dcterms:title "added" ; void:entities n .   # likewise removed, changed
    <{base}id/harvest-source/{name}> a prov:Entity ; rdfs:label name ; dcterms:source <url> ;
        dcterms:accrualPeriodicity "24h" ; dcterms:type "rdf" .
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import tomllib
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SH, XSD
from rdflib.term import Node

from graph.changes import after_write, canonical, record_digests
from graph.namespaces import TSC
from graph.reports import judged_records, owner_map, report_graph, verdicts
from graph.settings import Settings
from graph.store import Store
from graph.validation import Validator, read_turtle_dir
from graph.workers.pool import PoolError
from graph.writelock import WRITE_LOCK
from loaders import Loaded, Problem, net
from loaders.feed import FeedError
from loaders.net import FetchError, Policy

VOID = Namespace("http://rdfs.org/ns/void#")
Progress = Callable[[str], None]

#: Fetch attempts per run, and the waits (seconds) between them.
ATTEMPTS = 3
BACKOFF = (0.5, 1.0, 2.0)
#: Seconds one HTTP attempt may take to connect and between bytes read.
TIMEOUT = net.TIMEOUT
#: Seconds one document may take in all (a body that trickles in ends there).
DEADLINE = net.DEADLINE
#: Largest body a source may send (bytes): 100 MiB, ten times the default request limit.
MAX_BYTES = net.MAX_BYTES
KINDS = ("rdf", "schemaorg", "iati", "sparql", "changes")
#: Predicates of a tscgraph node's own bookkeeping about its records (graph.recordlog, graph.reports).
BOOKKEEPING = (DCTERMS.dateAccepted, TSC.conformance)
_NAME = re.compile(r"[A-Za-z0-9-]+")
_KEYS = {"name", "kind", "url", "schedule", "lang", "allow_origins", "allow_private_addresses"}
logger = logging.getLogger("tscgraph.harvest")


class HarvestError(Exception):
    """A source could not be read; the message says why in classified words (it is stored with the failed
    run, and published)."""


@dataclass(frozen=True)
class Source:
    """One partner node of the sources file."""

    name: str
    kind: str
    url: str
    schedule: str = ""
    lang: str = "en"
    #: Origins (``https://mirror.example``) the partner's links and redirects may lead to besides the url's own.
    allow_origins: tuple[str, ...] = ()
    #: Whether the source may be on loopback, private or link-local addresses (the operator's own network).
    allow_private_addresses: bool = False

    def policy(self) -> Policy:
        """Who a harvest of this source may contact (:mod:`loaders.net`)."""
        return Policy.for_source(self.url, self.allow_origins, self.allow_private_addresses)


@dataclass
class Run:
    """What one run did (also what the CLI and the status page show)."""

    source: Source
    outcome: str = "failed"          # ok | unchanged | failed
    error: str = ""
    records: int = 0
    triples: int = 0
    quarantined: int = 0
    quarantine_triples: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    attempts: int = 0
    problems: list[str] = field(default_factory=list)
    iri: URIRef | None = None
    position: int | None = None  # kind "changes": the partner's newest change number this run reflects


def read_sources(path: Path | str) -> list[Source]:
    """Read the sources file (TOML, ``[[source]]`` tables); raises ValueError saying what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the sources file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the sources file {path} is not valid TOML: {exc}") from None
    sources, seen = [], set()
    for index, entry in enumerate(data.get("source", []), 1):
        where = f"{path}: source {index}"
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name, kind, url = str(entry.get("name", "")), str(entry.get("kind", "")), str(entry.get("url", ""))
        if not _NAME.fullmatch(name):
            raise ValueError(f"{where}: name must be letters, digits and '-', got {name!r}")
        if name in seen:
            raise ValueError(f"{where}: name {name!r} is used twice")
        if kind not in KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not url:
            raise ValueError(f"{where}: url is missing")
        origins = entry.get("allow_origins", [])
        if not isinstance(origins, list) or not all(isinstance(o, str) and _is_origin(o) for o in origins):
            raise ValueError(f"{where}: allow_origins must be a list of origins such as \"https://mirror.example\" "
                             "(http(s), a host, an optional port, no path)")
        private = entry.get("allow_private_addresses", False)
        if not isinstance(private, bool):
            raise ValueError(f"{where}: allow_private_addresses must be true or false")
        seen.add(name)
        sources.append(Source(name, kind, url, str(entry.get("schedule", "")), str(entry.get("lang", "en")),
                              tuple(origins), private))
    return sources


def _is_origin(text: str) -> bool:
    """``scheme://host[:port]``, nothing more (a trailing ``/`` is allowed)."""
    return net.is_http(text) and re.fullmatch(r"https?://[^/?#@]+/?", text, re.I) is not None


def quarantine_graph(settings: Settings, name: str) -> str:
    """The private graph of a source's records that violate the shapes, with their report."""
    return settings.graph_base + "quarantine/" + name


def log_graph(settings: Settings) -> str:
    """The public graph of the harvest runs (PROV-O)."""
    return settings.graph_base + "harvest-log"


def source_iri(settings: Settings, name: str) -> URIRef:
    return URIRef(settings.base_iri + "id/harvest-source/" + name)


def agent_iri(settings: Settings) -> URIRef:
    return URIRef(settings.base_iri + "id/agent/tscgraph-harvester")


# ------------------------------------------------------------------ fetching


def fetch(url: str, *, policy: Policy | None = None, attempts: int = ATTEMPTS,
          backoff: tuple[float, ...] = BACKOFF, timeout: float = TIMEOUT, deadline: float = DEADLINE,
          max_bytes: int = MAX_BYTES, progress: Progress = lambda _m: None, sleep=time.sleep) -> tuple[bytes, int]:
    """The body of ``url`` and the attempts it took; FetchError (classified) after the last.

    ``policy`` (default: ``url`` is the source itself, :meth:`Policy.for_source`) says what may be read: a
    local path only where it is the file the sources file names as the source (``policy.own_file``), never
    one a partner's document names; http(s) through :func:`loaders.net.fetch_body`. Only a transient failure
    (a timeout, a refused connection, HTTP 5xx) is tried again; a refusal or a 404 is final."""
    policy = policy or Policy.for_source(url)
    if not net.is_http(url):
        if not policy.own_file or url != policy.own_file:
            raise FetchError(net.NOT_HTTP)
        path = Path(url[7:] if url.startswith("file://") else url)
        try:
            with path.open("rb") as file:  # read with the cap: a /dev/zero named here ends at max_bytes
                data = file.read(max_bytes + 1)
        except OSError:
            raise FetchError("the source's file is not readable") from None
        if len(data) > max_bytes:
            raise FetchError(f"too large (over {max_bytes} bytes)")
        return data, 1
    for attempt in range(1, attempts + 1):
        try:
            return net.fetch_body(url, policy, timeout=timeout, deadline=deadline, max_bytes=max_bytes), attempt
        except FetchError as exc:
            if not exc.transient:
                raise
            if attempt == attempts:
                raise FetchError(f"{exc.reason} (after {attempts} attempts)", transient=True) from None
            wait = backoff[min(attempt - 1, len(backoff) - 1)]
            progress(f"  attempt {attempt}/{attempts} failed ({exc.reason}); retrying in {wait:g} s")
            sleep(wait)
    raise FetchError("no attempt made")  # attempts < 1


# ------------------------------------------------------------------ loading


def gunzip(data: bytes, url: str, max_bytes: int = MAX_BYTES) -> bytes:
    """Decompress a gzip document, refusing one that grows past ``max_bytes`` (a compression bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        raise HarvestError("not a readable gzip file") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise HarvestError(f"too large (over {max_bytes} bytes once decompressed)")
    return out


def load_source(source: Source, data: bytes, settings: Settings, ontology: Graph | None = None) -> Loaded:
    """Turn the fetched bytes into RDF with the loader of the source's kind."""
    if source.kind == "rdf":
        from graph.rdfio import RdfReadError, format_for
        from loaders.reading import is_schema_org, parse_loaded, remote_contexts

        path = Path(re.sub(r"[?#].*$", "", source.url))
        if path.suffix == ".gz":  # a dump such as another node's /dumps/tscgraph.nq.gz
            data, path = gunzip(data, source.url), path.with_suffix("")
        try:
            fmt = format_for(path)
        except RdfReadError as exc:
            raise HarvestError(str(exc)) from None
        if fmt == "json-ld":
            contexts = remote_contexts(data)
            if contexts and any(is_schema_org(c) for c in contexts):
                from loaders.schemaorg import load_schemaorg

                return load_schemaorg(data, source.url, settings.base_iri, source.lang)
            if contexts:
                raise HarvestError("remote JSON-LD context not fetched (give the context inline)")
        return parse_loaded(data, fmt, settings.base_iri, source.url)
    if source.kind == "schemaorg":
        from loaders.schemaorg import load_schemaorg

        return load_schemaorg(data, source.url, settings.base_iri, source.lang)
    if source.kind == "iati":
        from loaders.iati import load_iati

        return load_iati(data, source.url, base_iri=settings.base_iri,
                         ontology_graph=ontology if ontology is not None else read_turtle_dir(settings.ontology_dir))
    raise HarvestError(f"kind {source.kind!r} is not fetched as a document")


#: Where a problem is, published only when it names a position in fixed words and numbers; anything else
#: (a node's name or IRI, an element the partner named) is published as "document".
_PUBLIC_WHERE = re.compile(
    r"line \d+(, column \d+)?|byte \d+|activity \d+|document|file|answer|endpoint|class|@context"
    r"|a node without @id|class <" + re.escape(str(TSC)) + r"[A-Za-z]+>, offset \d+"
    r"|iati-activity\[\d+\](/@?[a-z][a-z-]*(\[\d+\])?)*")


def public_problem(problem: Problem) -> str:
    """A loader's problem as a run stores and publishes it: where (a position) and what (the loader's
    classified message) — never the value, which may quote what was read."""
    where = problem.where if _PUBLIC_WHERE.fullmatch(problem.where) else "document"
    message = " ".join(problem.message.split())
    return f"{where}: {message[:300]}"


def strip_bookkeeping(graph: Graph) -> int:
    """Remove the statements a tscgraph node keeps about its own records (record log dates, conformance
    verdicts): read through a partner's SPARQL endpoint or pages they come with the records, but they are
    the partner's bookkeeping — this node dates and judges what it harvests itself. Returns how many."""
    dropped = [t for p in BOOKKEEPING for t in graph.triples((None, p, None))]
    for triple in dropped:
        graph.remove(triple)
    return len(dropped)


# ------------------------------------------------------------------ splitting and comparing


def split_quarantine(content: Graph, report, settings: Settings, source: Source, at: datetime
                     ) -> tuple[Graph, Graph, list[URIRef]]:
    """(public content, quarantine graph = violating records + their report, the violating records)."""
    judged = judged_records(content)
    owners = owner_map(content, judged)
    bad = sorted((r for r, v in verdicts(report, judged, owners).items() if v == "violations"), key=str)
    if not bad:
        return content, Graph(), []
    bad_set = set(bad)
    good, quarantine = Graph(), Graph()
    for s, p, o in content:
        (quarantine if owners.get(s) in bad_set else good).add((s, p, o))
    data, _node, _act, _found = report_graph(
        settings, report, bad, activity="harvest", source=source.name, public=False, at=at,
        report_id=f"harvest-{source.name}-{at.strftime('%Y%m%dT%H%M%S%f')}", owners=owners)
    keep = {n for n, r in owners.items() if r in bad_set}
    for result in list(data.subjects(RDF.type, SH.ValidationResult)):
        if data.value(result, SH.focusNode) not in keep:  # results about published records are not quarantined
            _remove_tree(data, result)
    quarantine += data
    return good, quarantine, bad


def _remove_tree(graph: Graph, node: Node) -> None:
    for s, p, o in list(graph.triples((None, None, node))):
        graph.remove((s, p, o))
    todo = [node]
    while todo:
        n = todo.pop()
        for _s, p, o in list(graph.triples((n, None, None))):
            graph.remove((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)


def content_digest(*parts: tuple[Graph, dict[URIRef, str]]) -> str:
    """Order- and blank-label-independent digest of the data harvested (reports excluded by the caller), from
    each part's graph and its :func:`record_digests`: each record's digest, and the triples about no record.
    Linear in the triples — rdflib's canonical graph digest took 23 s for 40k triples — and it tells apart
    what the feed and the counts tell apart (blank-node structures outside records are compared by their
    triples' shapes only)."""
    h = hashlib.sha256()
    for graph, digests in parts:
        owners = owner_map(graph, digests)
        lines = sorted(f"{record.n3()} {digest}" for record, digest in digests.items())
        lines += sorted(" ".join(canonical(t) for t in triple) for triple in graph if triple[0] not in owners)
        h.update("\n".join(lines).encode() + b"|")
    return h.hexdigest()


def _records_only(quarantine: Graph) -> Graph:
    records = judged_records(quarantine)
    owners = owner_map(quarantine, records)
    out = Graph()
    for s, p, o in quarantine:
        if s in owners:
            out.add((s, p, o))
    return out


def last_position(store: Store, settings: Settings, name: str) -> int:
    """The partner's change number the last successful run of ``name`` reflects (0: none yet)."""
    rows = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        f"PREFIX tsc: <{TSC}> "
        "SELECT ?position ?src ?log WHERE { GRAPH ?log { ?run prov:used ?src ; prov:endedAtTime ?end ; "
        "dcterms:type ?outcome ; prov:generated ?h . ?h tsc:changeNumber ?position . "
        "FILTER(?outcome IN (\"ok\", \"unchanged\")) } } ORDER BY DESC(?end) LIMIT 1",
        bindings={"src": source_iri(settings, name), "log": URIRef(log_graph(settings))})
    return int(rows[0]["position"]) if rows else 0


def last_digest(store: Store, settings: Settings, name: str) -> str | None:
    """The content digest of the last run of ``name`` that wrote or confirmed content."""
    rows = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?digest ?src ?log WHERE { GRAPH ?log { ?run prov:used ?src ; prov:endedAtTime ?end ; dcterms:type ?outcome ; "
        "prov:generated ?h . ?h dcterms:identifier ?digest . FILTER(?outcome IN (\"ok\", \"unchanged\")) } } "
        "ORDER BY DESC(?end) LIMIT 1",
        bindings={"src": source_iri(settings, name), "log": URIRef(log_graph(settings))})
    return str(rows[0]["digest"]) if rows else None


# ------------------------------------------------------------------ provenance


def run_graph(settings: Settings, run: Run, started: datetime, ended: datetime, digest: str | None) -> Graph:
    """The run's PROV-O record (see the module docstring)."""
    g = Graph()
    src = source_iri(settings, run.source.name)
    act = URIRef(f"{settings.base_iri}id/harvest-run/{run.source.name}/{started.strftime('%Y%m%dT%H%M%S%fZ')}")
    run.iri = act
    agent = agent_iri(settings)
    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, RDFS.label, Literal("tscgraph harvester")))
    g.add((src, RDF.type, PROV.Entity))
    g.add((src, RDFS.label, Literal(run.source.name)))
    g.add((src, DCTERMS.source, URIRef(run.source.url) if re.match(r"https?://", run.source.url)
           else Literal(run.source.url)))
    g.add((src, DCTERMS.type, Literal(run.source.kind)))
    if run.source.schedule:
        g.add((src, DCTERMS.accrualPeriodicity, Literal(run.source.schedule)))
    g.add((act, RDF.type, PROV.Activity))
    g.add((act, DCTERMS.type, Literal(run.outcome)))
    g.add((act, PROV.used, src))
    g.add((act, PROV.wasAssociatedWith, agent))
    g.add((act, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    g.add((act, PROV.endedAtTime, Literal(ended.isoformat(), datatype=XSD.dateTime)))
    if run.error:
        g.add((act, RDFS.comment, Literal(run.error)))
    for problem in run.problems[:50]:
        g.add((act, RDFS.comment, Literal(problem)))
    if run.outcome == "failed":
        return g
    part = URIRef(str(act) + "#harvest")
    g.add((act, PROV.generated, part))
    g.add((part, RDF.type, VOID.Dataset))
    g.add((part, VOID.triples, Literal(run.triples)))
    g.add((part, VOID.entities, Literal(run.records)))
    g.add((part, DCTERMS.isPartOf, URIRef(settings.harvest_graph(run.source.name))))
    if digest:
        g.add((part, DCTERMS.identifier, Literal(digest)))
    if run.position is not None:  # a change feed: where the partner's feed stood
        g.add((part, TSC.changeNumber, Literal(run.position)))
    quarantine = URIRef(str(act) + "#quarantine")
    g.add((act, PROV.generated, quarantine))
    g.add((quarantine, RDF.type, VOID.Dataset))
    g.add((quarantine, VOID.triples, Literal(run.quarantine_triples)))
    g.add((quarantine, VOID.entities, Literal(run.quarantined)))
    g.add((quarantine, DCTERMS.isPartOf, URIRef(quarantine_graph(settings, run.source.name))))
    for label in ("added", "removed", "changed"):
        node = URIRef(f"{act}#{label}")
        g.add((act, PROV.generated, node))
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, DCTERMS.title, Literal(label)))
        g.add((node, VOID.entities, Literal(getattr(run, label))))
    return g


# ------------------------------------------------------------------ one run


def harvest_source(store: Store, settings: Settings, source: Source, validator: Validator, *,
                   progress: Progress = lambda _m: None, ontology: Graph | None = None,
                   fetcher: Callable[..., tuple[bytes, int]] = fetch) -> Run:
    """Harvest one source (see the module docstring); never raises for a bad source: the run says why."""
    run = Run(source)
    started = datetime.now(timezone.utc)
    harvest_iri, quarantine_iri = settings.harvest_graph(source.name), quarantine_graph(settings, source.name)
    digest = None
    touched: list[URIRef] = []
    policy = source.policy()
    try:
        progress(f"{source.name}: fetching {source.url}")
        if source.kind == "sparql":
            from loaders.sparql import harvest_sparql

            loaded, run.attempts = harvest_sparql(source.url, policy=policy), 1
        elif source.kind == "changes":
            from loaders.feed import apply_feed

            def get(url: str) -> bytes:
                data, attempts = fetcher(url, policy=policy, progress=progress)
                run.attempts = max(run.attempts, attempts)
                return data

            cursor = last_position(store, settings, source.name)
            progress(f"{source.name}: reading the changes after number {cursor}")
            held = store.read_graph(harvest_iri) + _records_only(store.read_graph(quarantine_iri))
            loaded, run.position = apply_feed(source.url, held, cursor, get, source.url)
        else:
            data, run.attempts = fetcher(source.url, policy=policy, progress=progress)
            progress(f"{source.name}: {len(data)} bytes in {run.attempts} attempt(s); reading ({source.kind})")
            loaded = load_source(source, data, settings, ontology)
        strip_bookkeeping(loaded.graph)
        run.problems = [public_problem(p) for p in loaded.problems]
        if loaded.problems:
            raise HarvestError(f"{len(loaded.problems)} problem(s) reading the source; first: {run.problems[0]}")
        progress(f"{source.name}: {len(loaded.graph)} triples, {loaded.records} record(s); validating")
        report = validator.validate(loaded.graph)
        good, quarantine, bad = split_quarantine(loaded.graph, report, settings, source, started)
        held = _records_only(quarantine)
        good_digests, held_digests = record_digests(good), record_digests(held)
        run.triples, run.records = len(good), len(good_digests)
        run.quarantine_triples, run.quarantined = len(quarantine), len(bad)
        progress(f"{source.name}: {run.records} record(s) conform, {run.quarantined} quarantined")
        digest = content_digest((good, good_digests), (held, held_digests))
        before = record_digests(store.read_graph(harvest_iri))
        previous = before | record_digests(_records_only(store.read_graph(quarantine_iri)))  # one part or the other
        new = good_digests | held_digests  # a record is in one part or the other
        # the records of the public graph this run adds, changes or removes: what the write's after_write brings
        # the summaries and the feed up to date for (the cost of the change, not of the graph)
        touched = sorted((r for r in before.keys() | good_digests.keys() if before.get(r) != good_digests.get(r)), key=str)
        run.added = len(new.keys() - previous.keys())
        run.removed = len(previous.keys() - new.keys())
        run.changed = sum(1 for r in new.keys() & previous.keys() if new[r] != previous[r])
        unchanged = (last_digest(store, settings, source.name) == digest and store.count(harvest_iri) == len(good)
                     and store.count(quarantine_iri) == len(quarantine))
        run.outcome = "unchanged" if unchanged else "ok"
    except PoolError as exc:  # validation in a worker: over its time limit, or the workers busy
        run.outcome, run.error = "failed", f"validation stopped ({type(exc).__name__.removeprefix('Pool').lower()})"
    except (HarvestError, FetchError, FeedError) as exc:  # classified words, safe to publish
        run.outcome, run.error = "failed", str(exc)
    except Exception as exc:  # a loader or endpoint failing in an unforeseen way still fails only this source
        logger.exception("harvest of %s failed unexpectedly", source.name)  # the details: the operator's log only
        run.outcome, run.error = "failed", f"unexpected error ({type(exc).__name__})"
    log = run_graph(settings, run, started, datetime.now(timezone.utc), digest)
    with WRITE_LOCK:
        if run.outcome == "ok":
            # The harvest, its quarantine and the run log in one replace_graphs: one transaction in the embedded
            # store, staged then moved in by one request in an external one (which may cap a request's size).
            progress(f"{source.name}: writing {run.triples} + {run.quarantine_triples} triples in one transaction")
            store.replace_graphs({harvest_iri: good, quarantine_iri: quarantine,
                                  log_graph(settings): store.read_graph(log_graph(settings)) + log})
            after_write(store, [harvest_iri], records=touched)
        else:
            store.add_graphs({log_graph(settings): log})
    progress(f"{source.name}: {run.outcome}" + (f": {run.error}" if run.error else
             f" (+{run.added} -{run.removed} ~{run.changed} records)"))
    return run


def harvest(store: Store, settings: Settings, sources: list[Source], validator: Validator, *,
            progress: Progress = lambda _m: None) -> list[Run]:
    """Harvest each source in turn; one failing source does not stop the others."""
    ontology = read_turtle_dir(settings.ontology_dir) if any(s.kind == "iati" for s in sources) else None
    runs = []
    for number, source in enumerate(sources, 1):
        progress(f"[{number}/{len(sources)}] {source.name} ({source.kind})")
        runs.append(harvest_source(store, settings, source, validator, progress=progress, ontology=ontology))
    return runs
