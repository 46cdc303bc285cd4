"""SHACL validation, one entry for every caller (CLI, server, forms, loaders, harvest).

The shapes and the ontology with its reference vocabularies are parsed once into a
:class:`Validator`; each call validates a data graph with the vocabularies in scope and returns
a :class:`ValidationReport`:
plain data that renders as text, JSON or Turtle (``sh:ValidationReport``) in the asked language.

Inference is off: on our subclass-targeted shapes RDFS inference changed no result and cost 3–6×.
Warnings do not make a graph non-conforming; only ``sh:Violation`` does.

A report counts what SHACL counts: the results of the report (``sh:result``). The results pySHACL nests
under one of them (``sh:detail``: why an ``sh:node`` failed) are that result's :attr:`details`, shown
under it, never counted again. Where pySHACL falls short of the SHACL spec, the report adds what the spec
requires (:func:`incomparable_pairs`: ``sh:lessThan``/``sh:lessThanOrEquals`` on values that cannot be
compared are violations).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from graph.namespaces import bind_prefixes, namespace_manager

#: Where the shapes files are published: each one's ``<>`` and its ``owl:imports <common.ttl>`` resolve here, not to
#: a path on this machine.
SHAPES_DOCUMENTS = "https://w3id.org/tscgraph/shapes/"
SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result: what is wrong, where, and what to say about it in each language."""

    focus_node: Node
    path: Node | None
    value: Node | None
    severity: URIRef
    source_shape: Node | None
    constraint: URIRef | None
    messages: dict[str, str] = field(default_factory=dict)
    node: Node | None = field(default=None, compare=False)  #: the result's node in the report graph
    #: The results nested under this one (``sh:detail``): why it failed, not results of their own.
    details: tuple["ValidationResult", ...] = field(default=(), compare=False)

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES.get(self.severity, str(self.severity))

    def message(self, lang: str = "en") -> str:
        """The message in ``lang``, else English, else any message there is."""
        if lang in self.messages:
            return self.messages[lang]
        if "en" in self.messages:
            return self.messages["en"]
        return next(iter(self.messages.values()), "")

    def walk(self) -> Iterator["ValidationResult"]:
        """This result, then its details and theirs."""
        yield self
        for detail in self.details:
            yield from detail.walk()


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one validation; ``graph`` is the standard ``sh:ValidationReport``.

    ``results`` are the report's own (``sh:result``), each with its nested :attr:`ValidationResult.details`;
    the counts are theirs. A report cut for a public answer (:meth:`cut`) keeps its first results;
    ``omitted`` says how many it left out, and the counts (``violations``, ``warnings``, ``conforms``) stay
    those of the whole report.
    """

    results: tuple[ValidationResult, ...]
    graph: Graph
    omitted: int = 0
    counts: tuple[int, int] | None = None  #: (violations, warnings) of the whole report, once cut

    @property
    def conforms(self) -> bool:
        """True when nothing has severity ``sh:Violation`` (warnings and infos are allowed)."""
        return self.violations == 0

    @property
    def violations(self) -> int:
        if self.counts is not None:
            return self.counts[0]
        return sum(1 for r in self.results if r.severity == SH.Violation)

    @property
    def warnings(self) -> int:
        if self.counts is not None:
            return self.counts[1]
        return sum(1 for r in self.results if r.severity == SH.Warning)

    def all_results(self) -> Iterator[ValidationResult]:
        """Every result, the nested details included (each result node of the report graph once)."""
        for result in self.results:
            yield from result.walk()

    def cut(self, most: int) -> "ValidationReport":
        """The report with its first ``most`` results (they are sorted violations first), its graph holding
        only those, and the whole report's counts; the report itself when it is not longer."""
        if len(self.results) <= most:
            return self
        return self._keeping(self.results[:most], omitted=len(self.results) - most,
                             counts=(self.violations, self.warnings))

    def about(self, records: set[Node]) -> "ValidationReport":
        """The results on ``records`` and their blank nodes only: a write's records are validated with the types
        of what they link to, which makes the linked records focus nodes too, described by nothing but a type
        (:mod:`graph.touched`); their verdict is not the write's."""
        kept = tuple(r for r in self.results if r.focus_node in records or isinstance(r.focus_node, BNode))
        return self if len(kept) == len(self.results) else self._keeping(kept)

    def _keeping(self, kept_results: tuple[ValidationResult, ...], **extra) -> "ValidationReport":
        kept_nodes = {r.node for r in kept_results if r.node is not None}
        graph = Graph()
        for prefix, namespace in self.graph.namespaces():
            graph.bind(prefix, namespace)
        dropped = {r.node for r in self.results if r.node is not None} - kept_nodes  # their details go with them
        for s, p, o in self.graph:
            if s in dropped or o in dropped or _owned_by(self.graph, s, dropped):
                continue
            graph.add((s, p, o))
        return ValidationReport(results=kept_results, graph=graph, **extra)

    def to_text(self, lang: str = "en", label: str | None = None) -> str:
        return render_text(self, lang, label)

    def to_dict(self, lang: str = "en") -> dict:
        return render_dict(self, lang)

    def to_json(self, lang: str = "en") -> str:
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=2)

    def to_turtle(self) -> str:
        return self.graph.serialize(format="turtle")


class Validator:
    """Shapes and vocabularies parsed once; :meth:`validate` is cheap to call repeatedly."""

    def __init__(self, shapes: Graph, ontology: Graph) -> None:
        self.shapes = shapes
        self.ontology = ontology
        # What sh:class needs to see: the types of the vocabulary concepts and the class
        # hierarchy. pyshacl's own ont_graph mixing copies only RDFS/OWL axioms, not the
        # concepts' types, so a place or a modality would never be "a tsc:Place".
        self.scope = Graph()
        for triple in ontology.triples((None, RDF.type, None)):
            self.scope.add(triple)
        for triple in ontology.triples((None, RDFS.subClassOf, None)):
            self.scope.add(triple)
        self._index_scope()

    def _index_scope(self) -> None:
        """The scope as :meth:`validate` adds it: the class hierarchy whole, a concept's types only where the data
        names the concept. A shape's path starts at the data's nodes, so no other concept's type can change a
        verdict — and copying every concept's type into each validation cost more than a write's own checks."""
        self._hierarchy = list(self.scope.triples((None, RDFS.subClassOf, None)))
        self._types: dict[Node, list[Node]] = {}
        for concept, _p, cls in self.scope.triples((None, RDF.type, None)):
            self._types.setdefault(concept, []).append(cls)

    def _scoped(self, data: Graph) -> Graph:
        scoped = Graph()
        scoped += data
        named = {o for o in data.objects()} | {s for s in data.subjects()}
        scoped.addN((n, RDF.type, cls, scoped) for n in named for cls in self._types.get(n, ()))
        scoped.addN((*triple, scoped) for triple in self._hierarchy)
        return scoped

    @classmethod
    def from_paths(cls, shapes_dir: Path, ontology_dir: Path) -> "Validator":
        return cls(read_turtle_dir(shapes_dir, base=SHAPES_DOCUMENTS), read_turtle_dir(ontology_dir))

    def subset(self, shapes: Graph) -> "Validator":
        """A validator of some of the shapes (a shape set) over the same vocabularies, sharing their scope."""
        validator = Validator.__new__(Validator)
        validator.shapes, validator.ontology, validator.scope = shapes, self.ontology, self.scope
        validator._hierarchy, validator._types = self._hierarchy, self._types
        return validator

    def validate(self, data: Graph) -> ValidationReport:
        scoped = self._scoped(data)
        with warnings.catch_warnings():
            # pySHACL orders an ill-typed literal through rdflib, which warns and answers NotImplemented: the pair
            # is then dropped, and incomparable_pairs() reports it as the spec says.
            warnings.filterwarnings("ignore", "NotImplemented should not be used in a boolean context", DeprecationWarning)
            _conforms, report_graph, _text = pyshacl.validate(
                scoped,
                shacl_graph=self.shapes,
                ont_graph=None,
                inference="none",
                abort_on_first=False,
                allow_infos=True,
                allow_warnings=True,
                advanced=False,
                meta_shacl=False,
                inplace=True,  # on our own copy
            )
        add_results(report_graph, incomparable_pairs(scoped, self.shapes, report_graph))
        return report_from_graph(report_graph)


def read_turtle_dir(directory: Path, base: str | None = None) -> Graph:
    """Union of every ``*.ttl`` file of ``directory`` (sorted, so results are stable). ``base``: each file's
    relative IRIs resolve against ``base`` + its name instead of its path on this machine."""
    graph = Graph()
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise FileNotFoundError(f"no Turtle files in {directory}")
    for path in files:
        graph.parse(path, format="turtle", publicID=base + path.name if base else None)
    return graph


def report_from_graph(report_graph: Graph) -> ValidationReport:
    """Turn a SHACL report graph into :class:`ValidationResult` records: the report's results, each with the
    results nested under it (``sh:detail``) as its details. In a graph with no ``sh:ValidationReport`` (a
    quarantine, a stored report's parts) every result that is nobody's detail is the report's."""
    typed = set(report_graph.subjects(RDF.type, SH.ValidationResult))
    roots = set(report_graph.subjects(RDF.type, SH.ValidationReport))
    if roots:
        top = {r for root in roots for r in report_graph.objects(root, SH.result)}
    else:
        top = typed - set(report_graph.objects(None, SH.detail))
    results = [_result(report_graph, node, ()) for node in top]
    results.sort(key=_order)
    return ValidationReport(results=tuple(results), graph=bind_prefixes(report_graph))


def _order(r: ValidationResult) -> tuple:
    return (_SEVERITY_ORDER.get(r.severity, 3), str(r.focus_node), str(r.path), str(r.value))


def _result(report_graph: Graph, node: Node, seen: tuple[Node, ...]) -> ValidationResult:
    messages: dict[str, str] = {}
    for message in report_graph.objects(node, SH.resultMessage):
        lang = message.language if isinstance(message, Literal) and message.language else "en"
        messages.setdefault(lang, str(message))
    details = sorted((_result(report_graph, d, seen + (node,)) for d in report_graph.objects(node, SH.detail)
                      if d not in seen and d != node and (d, SH.focusNode, None) in report_graph), key=_order)
    return ValidationResult(
        focus_node=report_graph.value(node, SH.focusNode),
        path=report_graph.value(node, SH.resultPath),
        value=report_graph.value(node, SH.value),
        severity=report_graph.value(node, SH.resultSeverity) or SH.Violation,
        source_shape=report_graph.value(node, SH.sourceShape),
        constraint=report_graph.value(node, SH.sourceConstraintComponent),
        messages=messages,
        node=node,
        details=tuple(details),
    )


# ------------------------------------------------------------------ what the spec requires and pySHACL misses

_PAIR_COMPONENTS = {SH.lessThan: SH.LessThanConstraintComponent,
                    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent}


def _comparable(a: Node, b: Node) -> bool:
    """Whether SPARQL's ``<`` / ``<=`` can compare ``a`` and ``b``: two well-typed literals of one kind
    (numbers, strings, booleans, dates, date-times…) that Python can order."""
    if not (isinstance(a, Literal) and isinstance(b, Literal)) or a.ill_typed or b.ill_typed:
        return False
    x, y = a.toPython(), b.toPython()
    if isinstance(x, Literal) or isinstance(y, Literal):  # a datatype with no known value space
        return False

    def kind(v: object) -> object:
        return "number" if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else type(v)

    if kind(x) != kind(y):
        return False
    try:
        x <= y  # noqa: B015 - a date-time with a time zone and one without cannot be ordered
    except TypeError:
        return False
    return True


def _targets(data: Graph, shapes: Graph, shape: Node) -> set[Node]:
    """The focus nodes of node shape ``shape`` in ``data`` (class targets through rdfs:subClassOf)."""
    def instances(cls: Node) -> set[Node]:
        classes = set(data.transitive_subjects(RDFS.subClassOf, cls))
        return {s for c in classes for s in data.subjects(RDF.type, c)}

    found: set[Node] = set()
    for cls in shapes.objects(shape, SH.targetClass):
        found |= instances(cls)
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
        found |= instances(shape)
    found |= set(shapes.objects(shape, SH.targetNode))
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        found |= set(data.subjects(p, None))
    for p in shapes.objects(shape, SH.targetObjectsOf):
        found |= set(data.objects(None, p))
    return found


def incomparable_pairs(data: Graph, shapes: Graph, report_graph: Graph) -> list[dict]:
    """The ``sh:lessThan`` / ``sh:lessThanOrEquals`` results pySHACL misses (0.40: it compares what it can and
    drops a pair it cannot compare, such as an ill-typed ``"2021-13-01"^^xsd:date``): SHACL §4.5.3–4 make every
    pair "where the two values cannot be compared" a violation, as Jena SHACL reports it. For the property
    shapes (with an IRI path) of node shapes with targets; a pair pySHACL did report is not added twice."""
    reported = {(report_graph.value(r, SH.focusNode), report_graph.value(r, SH.sourceShape), report_graph.value(r, SH.value))
                for r in report_graph.subjects(RDF.type, SH.ValidationResult)}
    missing = []
    for predicate, component in _PAIR_COMPONENTS.items():
        for prop_shape, other in shapes.subject_objects(predicate):
            path = shapes.value(prop_shape, SH.path)
            if not isinstance(path, URIRef) or shapes.value(prop_shape, SH.deactivated) == Literal(True):
                continue
            focus_nodes = set()
            for node_shape in shapes.subjects(SH.property, prop_shape):
                focus_nodes |= _targets(data, shapes, node_shape)
            for focus in focus_nodes:
                for value in data.objects(focus, path):
                    if (focus, prop_shape, value) in reported:
                        continue
                    if any(not _comparable(value, bound) for bound in data.objects(focus, other)):
                        missing.append({"focus": focus, "path": path, "value": value, "shape": prop_shape,
                                        "component": component})
    for found in missing:
        found["severity"] = shapes.value(found["shape"], SH.severity) or SH.Violation
        found["messages"] = list(shapes.objects(found["shape"], SH.message))
    return missing


def add_results(report_graph: Graph, found: list[dict]) -> None:
    """Write results into the report graph, as the validator's own (the report no longer conforms if one is
    a violation)."""
    roots = list(report_graph.subjects(RDF.type, SH.ValidationReport))
    for item in found:
        node = BNode()
        for root in roots:
            report_graph.add((root, SH.result, node))
            if item["severity"] == SH.Violation:
                report_graph.set((root, SH.conforms, Literal(False)))
        report_graph.add((node, RDF.type, SH.ValidationResult))
        report_graph.add((node, SH.focusNode, item["focus"]))
        report_graph.add((node, SH.resultPath, item["path"]))
        report_graph.add((node, SH.value, item["value"]))
        report_graph.add((node, SH.resultSeverity, item["severity"]))
        report_graph.add((node, SH.sourceShape, item["shape"]))
        report_graph.add((node, SH.sourceConstraintComponent, item["component"]))
        for message in item["messages"]:
            report_graph.add((node, SH.resultMessage, message))


# ------------------------------------------------------------------ rendering (pure functions)

_NM = namespace_manager()


def term_text(term: Node | None, graph: Graph | None = None) -> str | None:
    """A compact, readable rendering of a term: prefixed IRIs, quoted literals, paths spelled out."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        try:
            return _NM.normalizeUri(term) if _NM.compute_qname(term, generate=False) else f"<{term}>"
        except (ValueError, KeyError):
            return f"<{term}>"
    if isinstance(term, Literal):
        text = json.dumps(str(term), ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype:
            return f"{text}^^{term_text(term.datatype)}"
        return text
    if isinstance(term, BNode) and graph is not None:
        return _path_text(term, graph)
    return f"_:{term}"


def _path_text(node: BNode, graph: Graph) -> str:
    if (node, RDF.first, None) in graph:
        return "(" + " / ".join(term_text(t, graph) or "" for t in Collection(graph, node)) + ")"
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return "^" + (term_text(inverse, graph) or "")
    return f"_:{node}"


def _owned_by(graph: Graph, node: Node, results: set) -> bool:
    """Whether blank node ``node`` hangs (through blank nodes) under one of ``results``."""
    seen = set()
    while isinstance(node, BNode) and node not in seen:
        if node in results:
            return True
        seen.add(node)
        parents = list(graph.subjects(None, node))
        if len(parents) != 1:
            return False
        node = parents[0]
    return node in results


def render_dict(report: ValidationReport, lang: str = "en") -> dict:
    return {
        "conforms": report.conforms,
        "violations": report.violations,
        "warnings": report.warnings,
        **({"omitted": report.omitted} if report.omitted else {}),
        "results": [_result_dict(r, report.graph, lang) for r in report.results],
    }


def _result_dict(r: ValidationResult, graph: Graph, lang: str) -> dict:
    return {
        "severity": r.severity_name,
        "focusNode": str(r.focus_node),
        "path": term_text(r.path, graph),
        "value": None if r.value is None else str(r.value),
        "message": r.message(lang),
        "messages": dict(r.messages),
        "sourceShape": None if r.source_shape is None else str(r.source_shape),
        "constraint": None if r.constraint is None else str(r.constraint),
        **({"details": [_result_dict(d, graph, lang) for d in r.details]} if r.details else {}),
    }


_TEXT = {
    "en": {"conforms": "conforms", "fails": "does not conform", "v": "violation(s)", "w": "warning(s)", "value": "value"},
    "fr": {"conforms": "conforme", "fails": "non conforme", "v": "violation(s)", "w": "avertissement(s)", "value": "valeur"},
}
_SEVERITY_TEXT = {
    "en": {"Violation": "Violation", "Warning": "Warning", "Info": "Info"},
    "fr": {"Violation": "Violation", "Warning": "Avertissement", "Info": "Info"},
}


def render_text(report: ValidationReport, lang: str = "en", label: str | None = None) -> str:
    words = _TEXT.get(lang, _TEXT["en"])
    head = f"{label}: " if label else ""
    verdict = words["conforms"] if report.conforms else words["fails"]
    lines = [f"{head}{verdict} — {report.violations} {words['v']}, {report.warnings} {words['w']}"]

    def add(r: ValidationResult, indent: str) -> None:
        where = term_text(r.focus_node, report.graph) or "?"
        if r.path is not None:
            where += " " + (term_text(r.path, report.graph) or "")
        line = f"{indent}[{_SEVERITY_TEXT.get(lang, _SEVERITY_TEXT['en']).get(r.severity_name, r.severity_name)}] {where}: {r.message(lang)}"
        if r.value is not None:
            line += f" ({words['value']}: {term_text(r.value, report.graph)})"
        lines.append(line)
        for detail in r.details:  # why it failed: under it, not counted
            add(detail, indent + "    ↳ ")

    for r in report.results:
        add(r, "  ")
    if report.omitted:
        lines.append(f"  … {report.omitted} more")
    return "\n".join(lines)


def merge_reports(reports: Iterable[ValidationReport]) -> ValidationReport:
    """One report for several validated graphs (e.g. the files of one load)."""
    graph = Graph()
    results: list[ValidationResult] = []
    for report in reports:
        graph += report.graph
        results.extend(report.results)
    return ValidationReport(results=tuple(results), graph=bind_prefixes(graph))
