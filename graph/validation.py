"""SHACL validation, one entry for every caller (CLI, server, forms, loaders, harvest).

The shapes and the ontology with its reference vocabularies are parsed once into a
:class:`Validator`; each call validates a data graph with the vocabularies in scope and returns
a :class:`ValidationReport`:
plain data that renders as text, JSON or Turtle (``sh:ValidationReport``) in the asked language.

Inference is off: on our subclass-targeted shapes RDFS inference changed no result and cost 3–6×.
Warnings do not make a graph non-conforming; only ``sh:Violation`` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from graph.namespaces import bind_prefixes, namespace_manager

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


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one validation; ``graph`` is the standard ``sh:ValidationReport``.

    A report cut for a public answer (:meth:`cut`) keeps its first results; ``omitted`` says how many it
    left out, and the counts (``violations``, ``warnings``, ``conforms``) stay those of the whole report.
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

    def cut(self, most: int) -> "ValidationReport":
        """The report with its first ``most`` results (they are sorted violations first), its graph holding
        only those, and the whole report's counts; the report itself when it is not longer."""
        if len(self.results) <= most:
            return self
        kept_results = self.results[:most]
        kept_nodes = {r.node for r in kept_results if r.node is not None}
        graph = Graph()
        for prefix, namespace in self.graph.namespaces():
            graph.bind(prefix, namespace)
        dropped = {n for n in self.graph.subjects(RDF.type, SH.ValidationResult)} - kept_nodes
        for s, p, o in self.graph:
            if s in dropped or o in dropped or _owned_by(self.graph, s, dropped):
                continue
            graph.add((s, p, o))
        return ValidationReport(results=kept_results, graph=graph, omitted=len(self.results) - most,
                                counts=(self.violations, self.warnings))

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

    @classmethod
    def from_paths(cls, shapes_dir: Path, ontology_dir: Path) -> "Validator":
        return cls(read_turtle_dir(shapes_dir), read_turtle_dir(ontology_dir))

    def subset(self, shapes: Graph) -> "Validator":
        """A validator of some of the shapes (a shape set) over the same vocabularies, sharing their scope."""
        validator = Validator.__new__(Validator)
        validator.shapes, validator.ontology, validator.scope = shapes, self.ontology, self.scope
        return validator

    def validate(self, data: Graph) -> ValidationReport:
        scoped = Graph()
        scoped += data
        scoped += self.scope
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
        return report_from_graph(report_graph)


def read_turtle_dir(directory: Path) -> Graph:
    """Union of every ``*.ttl`` file of ``directory`` (sorted, so results are stable)."""
    graph = Graph()
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise FileNotFoundError(f"no Turtle files in {directory}")
    for path in files:
        graph.parse(path, format="turtle")
    return graph


def report_from_graph(report_graph: Graph) -> ValidationReport:
    """Turn pyshacl's results graph into plain :class:`ValidationResult` records."""
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        messages: dict[str, str] = {}
        for message in report_graph.objects(node, SH.resultMessage):
            lang = message.language if isinstance(message, Literal) and message.language else "en"
            messages.setdefault(lang, str(message))
        results.append(
            ValidationResult(
                focus_node=report_graph.value(node, SH.focusNode),
                path=report_graph.value(node, SH.resultPath),
                value=report_graph.value(node, SH.value),
                severity=report_graph.value(node, SH.resultSeverity) or SH.Violation,
                source_shape=report_graph.value(node, SH.sourceShape),
                constraint=report_graph.value(node, SH.sourceConstraintComponent),
                messages=messages,
                node=node,
            )
        )
    results.sort(key=lambda r: (_SEVERITY_ORDER.get(r.severity, 3), str(r.focus_node), str(r.path), str(r.value)))
    return ValidationReport(results=tuple(results), graph=bind_prefixes(report_graph))


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
        "results": [
            {
                "severity": r.severity_name,
                "focusNode": str(r.focus_node),
                "path": term_text(r.path, report.graph),
                "value": None if r.value is None else str(r.value),
                "message": r.message(lang),
                "messages": dict(r.messages),
                "sourceShape": None if r.source_shape is None else str(r.source_shape),
                "constraint": None if r.constraint is None else str(r.constraint),
            }
            for r in report.results
        ],
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
    for r in report.results:
        where = term_text(r.focus_node, report.graph) or "?"
        if r.path is not None:
            where += " " + (term_text(r.path, report.graph) or "")
        line = f"  [{_SEVERITY_TEXT.get(lang, _SEVERITY_TEXT['en']).get(r.severity_name, r.severity_name)}] {where}: {r.message(lang)}"
        if r.value is not None:
            line += f" ({words['value']}: {term_text(r.value, report.graph)})"
        lines.append(line)
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
