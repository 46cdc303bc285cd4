"""A validation report as SARIF 2.1.0, so partners can check their RDF in their own CI (code-scanning
tools read SARIF): one run whose tool is tscgraph, whose rules are the shapes' property constraints,
and one result per SHACL result.

* ``rule.id`` is the property shape's IRI (the ``sh:sourceShape``; a result from a node shape with no
  property shape gets that node shape's IRI); ``rule.name`` its local name, ``shortDescription`` its
  ``sh:name`` and ``fullDescription`` its ``sh:description`` in the asked language.
* ``level``: ``sh:Violation`` → ``error``, ``sh:Warning`` → ``warning``, ``sh:Info`` → ``note``.
* ``message.text``: the shape's message then the fix hint.
* ``locations``: the input as artifact; for Turtle/TriG/N-Triples/N-Quads input, the line where the
  focus node is first written as a subject (best effort: a full IRI, an IRI relative to the base, or a
  prefixed name declared in the text); ``logicalLocations``: the focus node's IRI.
"""

from __future__ import annotations

import re
from typing import Callable

from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from graph.reports import HintMaker
from graph.validation import ValidationReport, ValidationResult, term_text

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {SH.Violation: "error", SH.Warning: "warning", SH.Info: "note"}
INFORMATION_URI = "https://w3id.org/tscgraph"
_PREFIX = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def rules_of(shapes: Graph) -> list[URIRef]:
    """Every property shape (named by an IRI) of ``shapes``, sorted: the SARIF rules."""
    found = {s for s in shapes.subjects(SH.path, None) if isinstance(s, URIRef)}
    return sorted(found, key=str)


_NAME_TOKEN = re.compile(r"<[^<>\s]*>|[A-Za-z_][\w.-]*:[\w.-]*|:[\w.-]+")


def find_lines(text: str, base: str) -> Callable[[Node], int | None]:
    """focus node → the 1-based line where the input first writes it as a subject (else first mention).

    The text is read once: every IRI and prefixed name is indexed by the first line that starts with it and
    the first line that holds it, so each focus node is a few dictionary lookups (scanning every line for
    every focus node was quadratic: a large document made a SARIF answer cost minutes)."""
    prefixes = {m.group(1) or "": m.group(2) for m in _PREFIX.finditer(text)}
    as_subject: dict[str, int] = {}
    mentioned: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        for match in _NAME_TOKEN.finditer(line):
            token = match.group(0)
            mentioned.setdefault(token, number)
            if not line[:match.start()].strip():
                as_subject.setdefault(token, number)

    def spellings(node: URIRef) -> list[str]:
        iri = str(node)
        found = [f"<{iri}>"]
        if iri.startswith(base):
            found.append(f"<{iri[len(base):]}>")
        for prefix, namespace in prefixes.items():
            if namespace and iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", iri[len(namespace):]):
                found.append(f"{prefix}:{iri[len(namespace):]}")
        return found

    def line_of(node: Node) -> int | None:
        if not isinstance(node, URIRef):
            return None
        names = spellings(node)
        for index in (as_subject, mentioned):
            hits = [index[n] for n in names if n in index]
            if hits:
                return min(hits)
        return None

    return line_of


def to_sarif(report: ValidationReport, hints: HintMaker, shapes: Graph, *, lang: str = "en",
             translate: Callable[[str], str] = lambda m: m, artifact: str = "input.ttl",
             line_of: Callable[[Node], int | None] = lambda _node: None, version: str = "") -> dict:
    """The SARIF log (a dict ready for ``json.dumps``) of ``report``."""
    rules = rules_of(shapes)
    extra = sorted({r.source_shape for r in report.results
                    if isinstance(r.source_shape, URIRef) and r.source_shape not in set(rules)}, key=str)
    rules += extra
    index = {rule: i for i, rule in enumerate(rules)}
    driver: dict = {
        "name": "tscgraph",
        "informationUri": INFORMATION_URI,
        "rules": [_rule(rule, shapes, hints, lang) for rule in rules],
    }
    if version:
        driver["version"] = version
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "artifacts": [{"location": {"uri": artifact}}],
            "results": [_result(r, index, hints, lang, translate, artifact, line_of) for r in report.results],
            "properties": {"conforms": report.conforms, "violations": report.violations, "warnings": report.warnings,
                           **({"omitted": report.omitted} if report.omitted else {})},
        }],
    }


def _rule(rule: URIRef, shapes: Graph, hints: HintMaker, lang: str) -> dict:
    name = hints.text(shapes, rule, (SH.name,), lang) or term_text(rule) or str(rule)
    found: dict = {
        "id": str(rule),
        "name": re.sub(r"[^A-Za-z0-9]+", "_", str(rule).rsplit("#", 1)[-1]).strip("_") or "shape",
        "shortDescription": {"text": name},
        "properties": {"path": term_text(shapes.value(rule, SH.path), shapes)},
    }
    description = hints.text(shapes, rule, (SH.description,), lang)
    if description:
        found["fullDescription"] = {"text": description}
    severity = shapes.value(rule, SH.severity)
    found["defaultConfiguration"] = {"level": LEVELS.get(severity, "error")}
    return found


def _result(result: ValidationResult, index: dict, hints: HintMaker, lang: str, translate, artifact: str,
            line_of) -> dict:
    hint = hints.hint(result, lang, translate)
    physical: dict = {"artifactLocation": {"uri": artifact, "index": 0}}
    line = line_of(result.focus_node)
    if line is not None:
        physical["region"] = {"startLine": line}
    location: dict = {"physicalLocation": physical}
    if isinstance(result.focus_node, URIRef):
        location["logicalLocations"] = [{"fullyQualifiedName": str(result.focus_node), "kind": "object"}]
    found: dict = {
        "level": LEVELS.get(result.severity, "error"),
        "message": {"text": f"{result.message(lang)} {hint}".strip()},
        "locations": [location],
        "properties": {
            "focusNode": str(result.focus_node),
            "path": term_text(result.path),
            "value": None if result.value is None else str(result.value),
            "constraint": None if result.constraint is None else str(result.constraint),
            "hint": hint,
        },
    }
    if result.source_shape in index:
        found["ruleId"] = str(result.source_shape)
        found["ruleIndex"] = index[result.source_shape]
    else:
        found["ruleId"] = str(result.constraint or "tscgraph")
    return found
