"""Validation results are data: every report (of a load, a submission, an approval, a harvest) is kept
as RDF, linked with PROV to what it judged, so conformance can be queried, faceted and shown as a badge.

What :func:`record_report` writes, in one SPARQL Update (one transaction)::

    <{base}id/validation/{id}> a prov:Activity ;          # the act of validating
        dcterms:type <https://w3id.org/tscgraph/vocab/validation/load> ;   # load|submission|harvest|approval
        prov:used <record1>, <record2>, … ;                # every judged record
        prov:generated <{base}id/report/{id}> ;
        prov:endedAtTime "…"^^xsd:dateTime ;
        dcterms:source "projects.ttl" .                  # optional: file names, a submission graph…
    <{base}id/report/{id}> a sh:ValidationReport ;       # the standard SHACL report, results included
        sh:conforms true|false ; sh:result _:r … ;
        prov:wasGeneratedBy <…activity> ; dcterms:created "…"^^xsd:dateTime .
    _:r … sh:focusNode … ; dcterms:subject <record> .     # the judged record a result is about
    <record> tsc:conformance <https://w3id.org/tscgraph/vocab/conformance/conforms|warnings|violations> .

* **Where**: a public report goes to ``{base}graph/validation`` (public, readable through SPARQL and
  the pages). A report about something not yet public (a pending submission: ``public=False``) goes to
  the private moderation graph (``settings.moderation_graph``), so a submission's content does not leak
  through its report; it carries no ``tsc:conformance`` (the badge and facet are about published records).
* **Latest report wins**: the public ``tsc:conformance`` of a record is replaced, in the same
  transaction, by the newest report's verdict (``warnings``: conforms with warnings). Older reports
  and activities are kept (history); the badge picks the newest by ``prov:endedAtTime``.
* **Cost**: a conforming load writes two triples per judged record (``prov:used`` and
  ``tsc:conformance``) plus the results. Measured on pyoxigraph for 45,000 records (the records of the
  1M-triple generated data): 90k triples, 2.3 s the first time; 6.3 s on a reload (the old verdicts
  are deleted through a VALUES block of the 45k IRIs, and the history grows by 45k ``prov:used``).
  Small beside validating 1M triples (minutes), so every record gets its verdict: the facet and the
  badge are then plain lookups (badge: 7 ms), with no "conforms = no result" reasoning.

Callers: :mod:`graph.loading` (after a checked load, ``activity="load"``, ``public=True``),
:mod:`graph.submissions` (``"submission"``: ``public=False``; ``"approval"``: ``public=True``), the
harvesters (``"harvest"``). :func:`report_update` gives the SPARQL Update text instead of running it,
for a caller that wants the report in its own single transaction (``store.update(a + " ;\\n" + b)``).

Fix hints (:func:`fix_hint`) say how to correct each result, derived from the constraint component
and the shape (its ``sh:name``, counts, datatype, ``sh:in`` list, class); they take a ``translate``
function (gettext-like) so the server (the request's language) and the CLI can both use them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from graph.iris import is_iri
from graph.namespaces import TSC, VOCAB, sparql_prologue
from graph.settings import Settings
from graph.store import Store
from graph.validation import ValidationReport, ValidationResult

CONFORMANCE = Namespace(VOCAB + "conformance/")
ACTIVITY = Namespace(VOCAB + "validation/")
ACTIVITIES = ("load", "submission", "harvest", "approval")
#: The three verdicts on a record: concepts of ``…/vocab/conformance`` (ontology/concepts.ttl).
VERDICTS = ("conforms", "warnings", "violations")


def validation_graph(settings: Settings) -> str:
    """The public named graph of the validation reports."""
    return settings.graph_base + "validation"


def report_iri(settings: Settings, report_id: str) -> URIRef:
    return URIRef(settings.base_iri + "id/report/" + report_id)


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_report` wrote: the report and activity IRIs, the graph, the per-record verdicts."""

    report: URIRef
    activity: URIRef
    graph: str
    verdicts: Mapping[URIRef, str]
    triples: int


def judged_records(content: Graph) -> list[URIRef]:
    """The records of ``content``: its IRIs typed with a tsc: class."""
    return sorted({s for s, o in content.subject_objects(RDF.type) if isinstance(s, URIRef) and str(o).startswith(str(TSC))},
                  key=str)


def owner_map(content: Graph | None, judged: Iterable[URIRef]) -> dict[Node, URIRef]:
    """Focus node → the judged record it belongs to (a record itself, or a blank node it holds)."""
    owners: dict[Node, URIRef] = {}
    for record in judged:
        owners[record] = record
        if content is None:
            continue
        todo = [o for o in content.objects(record, None) if isinstance(o, BNode)]
        while todo:
            node = todo.pop()
            if node in owners:
                continue
            owners[node] = record
            todo.extend(o for o in content.objects(node, None) if isinstance(o, BNode))
    return owners


def verdicts(report: ValidationReport, judged: Iterable[URIRef], owners: Mapping[Node, URIRef]) -> dict[URIRef, str]:
    """Each judged record's verdict: ``violations``, ``warnings`` or ``conforms``."""
    found = {record: "conforms" for record in judged}
    for result in report.results:
        record = owners.get(result.focus_node)
        if record is None:
            continue
        if result.severity == SH.Violation:
            found[record] = "violations"
        elif found[record] == "conforms" and result.severity == SH.Warning:
            found[record] = "warnings"
    return found


def report_graph(settings: Settings, report: ValidationReport, judged: list[URIRef], *, activity: str,
                 source: str | None, public: bool, at: datetime, report_id: str,
                 owners: Mapping[Node, URIRef], hints: Callable[[ValidationResult], Mapping[str, str]] | None = None
                 ) -> tuple[Graph, URIRef, URIRef, dict[URIRef, str]]:
    """The RDF of one stored report (pure): the SHACL report under its IRI, the PROV activity, the verdicts."""
    if activity not in ACTIVITIES:
        raise ValueError(f"activity must be one of {', '.join(ACTIVITIES)}, got {activity!r}")
    out = Graph()
    node = report_iri(settings, report_id)
    act = URIRef(settings.base_iri + "id/validation/" + report_id)
    old_roots = set(report.graph.subjects(RDF.type, SH.ValidationReport))
    result_nodes: dict[Node, ValidationResult] = {}
    for s, p, o in report.graph:
        out.add((node if s in old_roots else s, p, node if o in old_roots else o))
    result_nodes.update(results_by_node(report))
    out.add((node, RDF.type, SH.ValidationReport))
    out.set((node, SH.conforms, Literal(report.conforms)))
    stamp = Literal(at.isoformat(), datatype=XSD.dateTime)
    out.add((node, PROV.wasGeneratedBy, act))
    out.add((node, DCTERMS.created, stamp))
    out.add((act, RDF.type, PROV.Activity))
    out.add((act, DCTERMS.type, ACTIVITY[activity]))
    out.add((act, PROV.generated, node))
    out.add((act, PROV.endedAtTime, stamp))
    if source:
        out.add((act, DCTERMS.source, Literal(source)))
    for record in judged:
        out.add((act, PROV.used, record))
    for r_node, result in result_nodes.items():
        record = owners.get(result.focus_node)
        if record is not None:
            out.add((r_node, DCTERMS.subject, record))
        if hints is not None:
            for lang, text in hints(result).items():
                out.add((r_node, RDFS.comment, Literal(text, lang=lang)))
    found = verdicts(report, judged, owners)
    if public:
        for record, verdict in found.items():
            out.add((record, TSC.conformance, CONFORMANCE[verdict]))
    return out, node, act, found


def results_by_node(report: ValidationReport) -> dict[Node, ValidationResult]:
    """Each result node of the report graph → its result (one pass; looking each up was quadratic)."""
    found = {r.node: r for r in report.all_results() if r.node is not None}  # nested details too
    for r_node in report.graph.subjects(RDF.type, SH.ValidationResult):
        if r_node not in found:
            found[r_node] = _result_of(report, r_node)
    return found


def _result_of(report: ValidationReport, r_node: Node) -> ValidationResult:
    g = report.graph
    focus, path, value = g.value(r_node, SH.focusNode), g.value(r_node, SH.resultPath), g.value(r_node, SH.value)
    for result in report.all_results():
        if result.focus_node == focus and result.path == path and result.value == value \
                and result.source_shape == g.value(r_node, SH.sourceShape):
            return result
    raise LookupError(r_node)


def report_update(store: Store, settings: Settings, report: ValidationReport, judged: Iterable[URIRef], *,
                  activity: str, source: str | None, public: bool, content: Graph | None = None,
                  hints: Callable[[ValidationResult], Mapping[str, str]] | None = None,
                  at: datetime | None = None) -> tuple[str, Recorded]:
    """The SPARQL Update that records ``report`` (see the module's docstring), not yet run, and what it writes."""
    judged = list(dict.fromkeys(judged))
    at = at or datetime.now(timezone.utc)
    graph_iri = validation_graph(settings) if public else settings.moderation_graph
    data, node, act, found = report_graph(settings, report, judged, activity=activity, source=source, public=public,
                                          at=at, report_id=secrets.token_urlsafe(12), owners=owner_map(content, judged),
                                          hints=hints)
    parts = []
    if public and judged:
        parts.append(_delete_verdicts(graph_iri, judged))
    parts.append(f"INSERT DATA {{ GRAPH <{graph_iri}> {{\n{_ntriples(data)}}} }}")
    return " ;\n".join(parts), Recorded(node, act, graph_iri, found, len(data))


def record_report(store: Store, settings: Settings, report: ValidationReport, judged: Iterable[URIRef], *,
                  activity: str, source: str | None = None, public: bool, content: Graph | None = None,
                  hints: Callable[[ValidationResult], Mapping[str, str]] | None = None,
                  at: datetime | None = None) -> Recorded:
    """Store ``report`` about the ``judged`` records (RAW store), in one transaction; see the module docstring.

    ``activity``: ``"load"`` | ``"submission"`` | ``"harvest"`` | ``"approval"``. ``source``: a short
    public text naming where the data came from (file names, a harvest source), or None. ``public``:
    False for reports about data the public may not see (a pending submission): they go to the private
    moderation graph. ``content``: the validated graph, if at hand, so results about a record's blank
    nodes (its budget…) count for the record. ``hints``: result → {lang: hint} (see :func:`hints_in`),
    stored as ``rdfs:comment`` of each result. Web callers refresh the snapshots afterwards
    (``context.snapshots().refresh()``).
    """
    update, recorded = report_update(store, settings, report, judged, activity=activity, source=source,
                                     public=public, content=content, hints=hints, at=at)
    store.update(update)
    return recorded


def _delete_verdicts(graph_iri: str, judged: list[URIRef]) -> str:
    block = " ".join(r.n3() for r in judged)
    return (f"DELETE {{ GRAPH <{graph_iri}> {{ ?r <{TSC.conformance}> ?c }} }} "
            f"WHERE {{ GRAPH <{graph_iri}> {{ VALUES ?r {{ {block} }} ?r <{TSC.conformance}> ?c }} }}")


def _ntriples(graph: Graph) -> str:
    # Blank nodes in INSERT DATA are fresh per request: the report's results keep their structure.
    return graph.serialize(format="nt")


# ------------------------------------------------------------------ reading them back

PROLOGUE = sparql_prologue()
LATEST = PROLOGUE + """SELECT ?report ?at ?conformance WHERE { VALUES ?record { %(record)s }
  ?activity prov:used ?record ; prov:generated ?report ; prov:endedAtTime ?at .
  OPTIONAL { ?record tsc:conformance ?conformance }
} ORDER BY DESC(?at) LIMIT 1"""
COUNTS = PROLOGUE + """SELECT ?severity (COUNT(DISTINCT ?result) AS ?n) WHERE {
  VALUES (?record ?report) { (%(record)s %(report)s) }
  ?report sh:result ?result . ?result sh:resultSeverity ?severity .
  { ?result dcterms:subject ?record } UNION { ?result sh:focusNode ?record }
} GROUP BY ?severity"""


@dataclass(frozen=True)
class Badge:
    """The newest report about one record: its verdict, counts, date and report IRI."""

    verdict: str
    violations: int
    warnings: int
    at: datetime
    report: URIRef


def latest_badge(store, settings: Settings, record: URIRef) -> Badge | None:
    """The newest public report about ``record`` (``store``: the public view), or None if never judged."""
    graph = [validation_graph(settings)]
    if not isinstance(record, URIRef) or not is_iri(str(record)):
        return None
    try:
        rows = store.select(LATEST % {"record": record.n3()}, default_graphs=graph)
    except Exception:  # noqa: BLE001 - no validation graph yet (the public view refuses an unknown graph)
        return None
    if not rows:
        return None
    row = rows[0]
    counts = {r["severity"]: int(r["n"].toPython()) for r in store.select(
        COUNTS % {"record": record.n3(), "report": row["report"].n3()}, default_graphs=graph)}
    violations, warnings = counts.get(SH.Violation, 0), counts.get(SH.Warning, 0)
    verdict = "violations" if violations else "warnings" if warnings else "conforms"
    return Badge(verdict, violations, warnings, row["at"].toPython(), row["report"])


# ------------------------------------------------------------------ fix hints


def N_(message: str) -> str:
    """Marks a message for translation where it is declared (translated where it is shown)."""
    return message


HINTS = {
    SH.MinCountConstraintComponent: N_("Add at least %(count)s value(s) for “%(name)s”."),
    SH.MaxCountConstraintComponent: N_("Keep at most %(count)s value(s) for “%(name)s”: remove the others."),
    SH.ClassConstraintComponent: N_("Use one of the %(cls)s IRIs for “%(name)s”, e.g. %(example)s."),
    SH.DatatypeConstraintComponent: N_("Write “%(name)s” as %(datatype)s (e.g. %(example)s)."),
    SH.InConstraintComponent: N_("Use one of: %(values)s."),
    SH.PatternConstraintComponent: N_("Write “%(name)s” so that it matches the pattern %(pattern)s."),
    SH.NodeKindConstraintComponent: N_("Give “%(name)s” as %(kind)s."),
    SH.LanguageInConstraintComponent: N_("Tag each “%(name)s” with one of the languages %(languages)s (e.g. \"…\"@en)."),
    SH.UniqueLangConstraintComponent: N_("Give at most one “%(name)s” per language."),
    SH.MinExclusiveConstraintComponent: N_("Give “%(name)s” a value greater than %(limit)s."),
    SH.MinInclusiveConstraintComponent: N_("Give “%(name)s” a value of at least %(limit)s."),
    SH.MaxExclusiveConstraintComponent: N_("Give “%(name)s” a value less than %(limit)s."),
    SH.MaxInclusiveConstraintComponent: N_("Give “%(name)s” a value of at most %(limit)s."),
    SH.LessThanConstraintComponent: N_("Make “%(name)s” earlier than (less than) “%(other)s”."),
    SH.LessThanOrEqualsConstraintComponent: N_("Make “%(name)s” no later than (at most) “%(other)s”."),
    SH.MinLengthConstraintComponent: N_("Make “%(name)s” at least %(count)s characters long."),
    SH.MaxLengthConstraintComponent: N_("Shorten “%(name)s” to at most %(count)s characters."),
    SH.QualifiedMinCountConstraintComponent: N_("Add at least %(count)s “%(name)s” of the kind the message asks for."),
    SH.NodeConstraintComponent: N_("Complete “%(name)s” as its own form describes (see the other messages)."),
    SH.HasValueConstraintComponent: N_("Include the value %(value)s in “%(name)s”."),
}
GENERIC_HINT = N_("Correct “%(name)s” as the message says.")
NODE_KINDS = {
    SH.IRI: N_("an IRI (a link such as <https://…>)"),
    SH.Literal: N_("a text or a value (a literal)"),
    SH.BlankNode: N_("a nested description (a blank node)"),
    SH.BlankNodeOrIRI: N_("an IRI or a nested description"),
    SH.IRIOrLiteral: N_("an IRI or a literal"),
    SH.BlankNodeOrLiteral: N_("a nested description or a literal"),
}
DATATYPE_EXAMPLES = {
    XSD.date: "2024-05-31", XSD.dateTime: "2024-05-31T12:00:00Z", XSD.gYear: "2024", XSD.decimal: "1500.00",
    XSD.integer: "12", XSD.boolean: "true", XSD.anyURI: "https://example.org/", XSD.string: "\"…\"",
    XSD.language: "fr",
}
LIMITS = {SH.MinExclusiveConstraintComponent: SH.minExclusive, SH.MinInclusiveConstraintComponent: SH.minInclusive,
          SH.MaxExclusiveConstraintComponent: SH.maxExclusive, SH.MaxInclusiveConstraintComponent: SH.maxInclusive}
#: Where a hint's words come from: the shapes (names, counts, lists) and the vocabularies (labels).
Translate = Callable[[str], str]


class HintMaker:
    """Fix hints for results, from the shapes and the ontology graph (both parsed once, e.g. a Validator's)."""

    def __init__(self, shapes: Graph, ontology: Graph) -> None:
        self.shapes, self.ontology = shapes, ontology

    def text(self, graph: Graph, subject: Node | None, predicates, lang: str) -> str | None:
        if subject is None:
            return None
        found = [o for p in predicates for o in graph.objects(subject, p) if isinstance(o, Literal)]
        for wanted in (lang, "en", None):
            for o in found:
                if wanted is None or o.language == wanted:
                    return str(o)
        return None

    def field_name(self, result: ValidationResult, lang: str) -> str:
        """The field's name in ``lang`` (the shape's sh:name), else the property's compact IRI."""
        name = self.text(self.shapes, result.source_shape, (SH.name,), lang)
        if name:
            return name
        from graph.validation import term_text

        return term_text(result.path, self.shapes) or "?"

    def term_label(self, term: Node, lang: str) -> str:
        from graph.validation import term_text

        return self.text(self.ontology, term, (SKOS.prefLabel, RDFS.label), lang) or term_text(term) or str(term)

    def parameters(self, result: ValidationResult, lang: str, translate: Translate) -> dict[str, str]:
        from graph.validation import term_text

        shape, g = result.source_shape, self.shapes
        name = self.field_name(result, lang)
        values: dict[str, str] = {"name": name}
        if shape is None:
            return values
        count = g.value(shape, SH.minCount) if result.constraint == SH.MinCountConstraintComponent else \
            g.value(shape, SH.maxCount) if result.constraint == SH.MaxCountConstraintComponent else \
            g.value(shape, SH.minLength) if result.constraint == SH.MinLengthConstraintComponent else \
            g.value(shape, SH.qualifiedMinCount) if result.constraint == SH.QualifiedMinCountConstraintComponent else \
            g.value(shape, SH.maxLength)
        values["count"] = str(count) if count is not None else "1"
        cls = g.value(shape, SH["class"])
        if cls is not None:
            values["cls"] = self.term_label(cls, lang)
            examples = sorted(s for s in self.ontology.subjects(RDF.type, cls) if isinstance(s, URIRef))
            values["example"] = (term_text(examples[0]) or "") if examples else f"<{cls}>"
        datatype = g.value(shape, SH.datatype)
        if datatype is not None:
            values["datatype"] = term_text(datatype) or str(datatype)
            values["example"] = DATATYPE_EXAMPLES.get(datatype, "…")
        listed = g.value(shape, SH["in"])
        if listed is not None:
            items = list(Collection(g, listed))
            shown = [f"{self.term_label(i, lang)} ({term_text(i)})" if isinstance(i, URIRef) else (term_text(i) or "")
                     for i in items[:12]]
            values["values"] = ", ".join(shown) + (", …" if len(items) > 12 else "")
        pattern = g.value(shape, SH.pattern)
        if pattern is not None:
            values["pattern"] = str(pattern)
        kind = g.value(shape, SH.nodeKind)
        if kind is not None:
            values["kind"] = translate(NODE_KINDS.get(kind, str(kind)))
        languages = g.value(shape, SH.languageIn)
        if languages is not None:
            values["languages"] = ", ".join(str(x) for x in Collection(g, languages))
        limit = LIMITS.get(result.constraint) if result.constraint is not None else None
        if limit is not None and g.value(shape, limit) is not None:
            values["limit"] = str(g.value(shape, limit))
        other = g.value(shape, SH.lessThan) or g.value(shape, SH.lessThanOrEquals)
        if other is not None:
            values["other"] = self.text(self.shapes, next(iter(_shapes_on(g, other)), None), (SH.name,), lang) \
                or term_text(other) or str(other)
        has = g.value(shape, SH.hasValue)
        if has is not None:
            values["value"] = term_text(has) or str(has)
        return values

    def hint(self, result: ValidationResult, lang: str = "en", translate: Translate = lambda m: m) -> str:
        """How to fix ``result``, in ``lang`` (``translate``: that language's gettext)."""
        message = HINTS.get(result.constraint, GENERIC_HINT) if result.constraint is not None else GENERIC_HINT
        values = self.parameters(result, lang, translate)
        try:
            return translate(message) % values
        except (KeyError, ValueError, TypeError):
            return translate(GENERIC_HINT) % {"name": values["name"]}

    def hints_in(self, translations: Mapping[str, Translate]) -> Callable[[ValidationResult], dict[str, str]]:
        """result → {lang: hint} for every language of ``translations`` (to store with a report)."""
        return lambda result: {lang: self.hint(result, lang, t) for lang, t in translations.items()}


def _shapes_on(shapes: Graph, path: Node) -> list[Node]:
    return sorted(shapes.subjects(SH.path, path), key=str)


# ------------------------------------------------------------------ shape sets

#: A shape set's name → the classes its node shapes target (the sets are read from the shapes by target).
SHAPE_SETS: dict[str, tuple[URIRef, ...]] = {
    "project": (TSC.Project,),
    "actor": (TSC.Actor,),
    "offer": (TSC.CooperationOffer,),
    "request": (TSC.CooperationRequest,),
    "knowledge": (TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy),
    "commitment": (TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment),
}


def shape_subset(shapes: Graph, classes: Iterable[URIRef]) -> Graph:
    """The node shapes targeting ``classes`` and everything they reach (property shapes, lists, nested shapes)."""
    out = Graph()
    todo: list[Node] = [s for c in classes for s in shapes.subjects(SH.targetClass, c)]
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            out.add((node, p, o))
            if isinstance(o, BNode) or (isinstance(o, URIRef) and (o, RDF.type, None) in shapes
                                        and p in (SH.property, SH.node, SH.qualifiedValueShape, RDF.first, RDF.rest,
                                                  SH["or"], SH["and"], SH["xone"], SH["not"])):
                todo.append(o)
    return out
