"""Forms generated from the SHACL shapes: the form model, form data → RDF, results → fields.

Pure functions over the shapes and ontology graphs (no web, no store), so the web layer is thin and
"a property added to a shape appears in its form, its validation and the shapes documentation
without further code" holds by construction.

The rules, read from the shapes (``shapes/common.ttl`` states the conventions):

* A node shape's **fields** are its property shapes merged by ``sh:path`` (each property shape
  carries one constraint; all those on one path share name, description, group and order).
* A property is a **form field** when it has an ``sh:group`` and is neither ``sh:deactivated`` nor
  ``dash:readOnly`` (values set by the clearing-house, not by submitters). Paths that are not a
  single IRI (inverse or sequence paths) cannot be typed in a form and are skipped; the shapes
  documentation lists what each form leaves out and why.
* The **widget** follows the constraints: ``rdf:langString`` → one input per page language;
  ``xsd:date`` → date; ``xsd:decimal``/integers → number; ``xsd:boolean`` → checkbox;
  ``sh:in`` → a choice among its values (labels from the vocabularies); ``sh:class`` (or the
  ontology's ``rdfs:range`` of an IRI-valued property) → a choice among the class's instances —
  from the vocabularies, or from the directory of records when the vocabularies hold none;
  ``sh:node`` → the nested shape's fields (a budget's amount and currency, as a blank node);
  ``sh:nodeKind sh:IRI`` with nothing to choose from → a web address input. ``maxCount`` 1 → one
  value; more → several (checkboxes, a multiple select, or one value per line).
* A reference to an actor may also **propose a new actor** by name and actor type: the submission
  then also holds a minimal ``tsc:Actor`` record.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping, Sequence

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from graph.iris import slugify
from graph.namespaces import SCHEMA, TSC, compact
from graph.validation import ValidationReport, ValidationResult

DASH = Namespace("http://datashapes.org/dash#")

#: The kinds of records a person may submit: URL segment → (class, IRI path segment of new records).
KINDS: dict[str, tuple[URIRef, str]] = {
    "project": (TSC.Project, "project"),
    "organisation": (TSC.Actor, "actor"),
    "offer": (TSC.CooperationOffer, "offer"),
    "request": (TSC.CooperationRequest, "request"),
    "knowledge": (TSC.BestPractice, "resource"),
}
#: Long texts get a text area (presentation only: the shapes say nothing about input size).
LONG_TEXT = {URIRef("http://purl.org/dc/terms/description"), SCHEMA.description}
#: A choice among more options than this is a (multiple) select rather than checkboxes.
MAX_CHECKBOXES = 60
#: The key of the record-type field of a shape with several target classes (e.g. knowledge resources).
TYPE_KEY = "rdf-type"
NEW_NAME, NEW_TYPE = ".new-name", ".new-type"

Labels = dict[str, str]  # language ("" for none) → text


@dataclass(frozen=True)
class Option:
    value: Node
    labels: Labels
    group: Labels = field(default_factory=dict)  # e.g. a place's class: "Country", "Region"

    @property
    def key(self) -> str:
        """The value as the form sends it (a plain string: an rdflib term never equals a string)."""
        return "" + str.__str__(self.value)

    def label(self, lang: str) -> str:
        return pick(self.labels, lang) or compact(self.value)


@dataclass(frozen=True)
class Group:
    iri: Node | None
    labels: Labels
    comments: Labels
    order: float


@dataclass(frozen=True)
class Constraint:
    """One property shape merged into a field: what it checks, its severity, its messages (for the docs)."""

    shape: Node
    checks: tuple[str, ...]
    severity: URIRef
    messages: Labels


@dataclass(frozen=True)
class Field:
    key: str
    path: Node
    names: Labels
    descriptions: Labels
    order: float
    group: Group | None
    min_count: int
    max_count: int | None
    widget: str  # lang | text | lines | date | number | boolean | choice | reference | url | node | type
    datatype: URIRef | None = None
    cls: URIRef | None = None
    options: tuple[Option, ...] = ()
    subfields: tuple["Field", ...] = ()
    constraints: tuple[Constraint, ...] = ()
    long: bool = False
    unique_lang: bool = False
    new_actor: bool = False  # a reference that may propose a new actor by name

    @property
    def many(self) -> bool:
        return self.max_count is None or self.max_count > 1

    @property
    def required(self) -> bool:
        return self.min_count > 0

    def name(self, lang: str) -> str:
        return pick(self.names, lang) or compact(self.path)

    def description(self, lang: str) -> str:
        return pick(self.descriptions, lang) or ""

    def option_values(self) -> set[str]:
        return {o.key for o in self.options}


@dataclass(frozen=True)
class Skipped:
    path: Node
    names: Labels
    reason: str  # "no-group" | "deactivated" | "read-only" | "complex-path"


@dataclass(frozen=True)
class Form:
    shape: Node
    classes: tuple[URIRef, ...]
    labels: Labels
    comments: Labels
    fields: tuple[Field, ...]
    skipped: tuple[Skipped, ...] = ()

    def label(self, lang: str) -> str:
        return pick(self.labels, lang) or compact(self.shape)

    def groups(self) -> list[tuple[Group | None, list[Field]]]:
        """The fields in their groups, groups and fields in order."""
        out: list[tuple[Group | None, list[Field]]] = []
        for f in self.fields:
            if out and out[-1][0] == f.group:
                out[-1][1].append(f)
            else:
                out.append((f.group, [f]))
        return out

    def field(self, key: str) -> Field | None:
        return next((f for f in self.all_fields() if f.key == key), None)

    def all_fields(self) -> Iterable[Field]:
        for f in self.fields:
            yield f
            yield from f.subfields


# ------------------------------------------------------------------ reading the shapes


def pick(labels: Labels, lang: str) -> str | None:
    for choice in (lang, "en", ""):
        if choice in labels:
            return labels[choice]
    return labels[sorted(labels)[0]] if labels else None


def field_key(path: Node) -> str:
    """A form input name for a path: its compact IRI, e.g. ``dcterms-title``."""
    text = compact(path).strip("<>")
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-") or "field"


def texts(graph: Graph, node: Node, predicate: URIRef) -> Labels:
    out: Labels = {}
    for value in graph.objects(node, predicate):
        if isinstance(value, Literal):
            out.setdefault(value.language or "", str(value))
    return out


def _number(value: Node | None, default: float = 0) -> float:
    try:
        return float(value.toPython()) if isinstance(value, Literal) else default  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def node_shape_for(shapes: Graph, cls: URIRef) -> Node | None:
    return next(iter(sorted(shapes.subjects(SH.targetClass, cls), key=str)), None)


def build_form(shapes: Graph, ontology: Graph, shape: Node, languages: Sequence[str] = ("en", "fr")) -> Form:
    """The form of one node shape (see the module's docstring for the rules)."""
    by_path: dict[Node, list[Node]] = {}
    for prop in shapes.objects(shape, SH.property):
        path = shapes.value(prop, SH.path)
        if path is not None:
            by_path.setdefault(path, []).append(prop)
    fields: list[Field] = []
    skipped: list[Skipped] = []
    classes = tuple(sorted((c for c in shapes.objects(shape, SH.targetClass) if isinstance(c, URIRef)), key=str))
    for path, props in by_path.items():
        merged = _merge(shapes, props)
        names = merged["names"]
        reason = None
        if not isinstance(path, URIRef):
            reason = "complex-path"
        elif any(shapes.value(p, SH.deactivated) == Literal(True) for p in props):
            reason = "deactivated"
        elif any(shapes.value(p, DASH.readOnly) == Literal(True) for p in props):
            reason = "read-only"
        elif merged["group"] is None:
            reason = "no-group"
        if reason:
            skipped.append(Skipped(path, names, reason))
            continue
        fields.append(_field(shapes, ontology, path, merged, languages))
    if len(classes) > 1:
        fields.append(Field(
            key=TYPE_KEY, path=RDF.type, names={"en": "kind", "fr": "type"}, descriptions={}, order=0,
            group=min((f.group for f in fields if f.group), key=lambda g: g.order, default=None),
            min_count=1, max_count=1, widget="type",
            options=tuple(Option(c, texts(ontology, c, RDFS.label)) for c in classes),
            constraints=(Constraint(shape, ("targetClass",), SH.Violation, {}),),
        ))
    fields.sort(key=lambda f: (f.group.order if f.group else 1e9, f.order, f.key))
    return Form(shape, classes, texts(shapes, shape, RDFS.label), texts(shapes, shape, RDFS.comment),
                tuple(fields), tuple(sorted(skipped, key=lambda s: str(s.path))))


_CHECKS = (SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH["class"], SH["in"], SH.pattern, SH.node,
           SH.languageIn, SH.uniqueLang, SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive,
           SH.lessThan, SH.lessThanOrEquals, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.minLength, SH.maxLength,
           SH.hasValue, SH.equals, SH.disjoint)


def _merge(shapes: Graph, props: list[Node]) -> dict:
    merged: dict = {"names": {}, "descriptions": {}, "order": None, "group": None, "min": 0, "max": None,
                    "datatype": None, "nodeKind": None, "class": None, "in": None, "node": None, "uniqueLang": False,
                    "constraints": []}
    for prop in sorted(props, key=str):
        for lang, text in texts(shapes, prop, SH.name).items():
            merged["names"].setdefault(lang, text)
        for lang, text in texts(shapes, prop, SH.description).items():
            merged["descriptions"].setdefault(lang, text)
        severity = shapes.value(prop, SH.severity) or SH.Violation
        if merged["order"] is None and shapes.value(prop, SH.order) is not None:
            merged["order"] = _number(shapes.value(prop, SH.order))
        merged["group"] = merged["group"] or shapes.value(prop, SH.group)
        if severity == SH.Violation:
            if shapes.value(prop, SH.minCount) is not None:
                merged["min"] = max(merged["min"], int(_number(shapes.value(prop, SH.minCount))))
        if shapes.value(prop, SH.maxCount) is not None:
            value = int(_number(shapes.value(prop, SH.maxCount)))
            merged["max"] = value if merged["max"] is None else min(merged["max"], value)
        for key, predicate in (("datatype", SH.datatype), ("nodeKind", SH.nodeKind), ("class", SH["class"]), ("node", SH.node)):
            merged[key] = merged[key] or shapes.value(prop, predicate)
        listed = shapes.value(prop, SH["in"])
        if listed is not None and merged["in"] is None:
            merged["in"] = list(Collection(shapes, listed))
        merged["uniqueLang"] = merged["uniqueLang"] or shapes.value(prop, SH.uniqueLang) == Literal(True)
        checks = []
        for predicate in _CHECKS:
            for value in shapes.objects(prop, predicate):
                local = predicate.split("#")[-1]
                checks.append(local if predicate in (SH["in"], SH.node, SH.uniqueLang) else f"{local} {compact(value)}")
        merged["constraints"].append(Constraint(prop, tuple(checks), severity, texts(shapes, prop, SH.message)))
    return merged


def _field(shapes: Graph, ontology: Graph, path: URIRef, m: dict, languages: Sequence[str]) -> Field:
    group_node = m["group"]
    group = Group(group_node, texts(shapes, group_node, RDFS.label), texts(shapes, group_node, RDFS.comment),
                  _number(shapes.value(group_node, SH.order)))
    common = dict(key=field_key(path), path=path, names=m["names"], descriptions=m["descriptions"],
                  order=m["order"] if m["order"] is not None else 1e6, group=group, min_count=m["min"],
                  max_count=m["max"], datatype=m["datatype"], constraints=tuple(m["constraints"]),
                  long=path in LONG_TEXT, unique_lang=m["uniqueLang"])
    if m["node"] is not None:
        nested = build_form(shapes, ontology, m["node"], languages)
        key = common["key"]
        subs = tuple(replace(f, key=f"{key}.{f.key}", group=group) for f in nested.fields)
        return Field(widget="node", subfields=subs, **common)
    if m["in"] is not None:
        return Field(widget="choice", options=tuple(_option(ontology, v) for v in m["in"]), **common)
    cls = m["class"]
    if cls is None and m["nodeKind"] == SH.IRI:
        cls = ontology.value(path, RDFS.range)
    if cls is not None:
        options = _instances(ontology, cls)
        widget = "choice" if options else "reference"
        return Field(widget=widget, cls=cls, options=options, new_actor=(cls == TSC.Actor), **common)
    datatype = m["datatype"]
    if datatype == RDF.langString:
        return Field(widget="lang", **common)
    if datatype == XSD.date:
        return Field(widget="date", **common)
    if datatype in (XSD.decimal, XSD.integer, XSD.positiveInteger, XSD.nonNegativeInteger, XSD.double, XSD.float):
        return Field(widget="number", **common)
    if datatype == XSD.boolean:
        return Field(widget="boolean", **common)
    if m["nodeKind"] == SH.IRI:
        return Field(widget="url", **common)
    return Field(widget="text", **common)


def _option(ontology: Graph, value: Node) -> Option:
    return Option(value, concept_labels(ontology, value) if isinstance(value, URIRef) else {"": str(value)})


def concept_labels(ontology: Graph, term: Node) -> Labels:
    """A vocabulary term's labels per language; "Target 3 — Conserve 30 %…" when an alternative
    label names its number (skos:notation), so a target or an article is found by number or by name."""
    labels = texts(ontology, term, SKOS.prefLabel) or texts(ontology, term, RDFS.label)
    notation = ontology.value(term, SKOS.notation)
    if notation is not None:
        for alt in ontology.objects(term, SKOS.altLabel):
            lang = alt.language or "" if isinstance(alt, Literal) else None
            if lang in labels and re.fullmatch(rf"\w+ {re.escape(str(notation))}", str(alt)) and str(alt) != labels[lang]:
                labels[lang] = f"{alt} — {labels[lang]}"
    return labels


def _instances(ontology: Graph, cls: URIRef) -> tuple[Option, ...]:
    """The instances of ``cls`` or of its subclasses in the vocabularies (grouped by subclass when several)."""
    classes = {cls} | set(ontology.transitive_subjects(RDFS.subClassOf, cls))
    found: dict[Node, Option] = {}
    subclasses = len([c for c in classes if c != cls and any(ontology.subjects(RDF.type, c))]) > 1
    for c in sorted(classes, key=str):
        if c == OWL.Thing:
            continue
        for term in ontology.subjects(RDF.type, c):
            if term not in found and isinstance(term, URIRef):
                found[term] = Option(term, concept_labels(ontology, term), texts(ontology, c, RDFS.label) if subclasses else {})
    return tuple(sorted(found.values(), key=_option_order))


def _option_order(option: Option) -> tuple:
    group = pick(option.group, "en") or ""
    text = str(option.value)
    number = re.search(r"/(\d+)$", text)
    return (group, int(number.group(1)) if number else 0, option.label("en").casefold(), text)


def with_directory(form: Form, directory: Mapping[URIRef, Sequence[Option]]) -> Form:
    """The form with the choices of its references filled from the records of the store (e.g. actors)."""

    def fill(f: Field) -> Field:
        if f.widget == "reference" and f.cls in directory and directory[f.cls]:
            return replace(f, widget="choice", options=tuple(directory[f.cls]))
        if f.subfields:
            return replace(f, subfields=tuple(fill(s) for s in f.subfields))
        return f

    return replace(form, fields=tuple(fill(f) for f in form.fields))


def forms_of(shapes: Graph, ontology: Graph, languages: Sequence[str]) -> dict[str, Form]:
    """The submission form of each kind of :data:`KINDS`, by kind."""
    out = {}
    for kind, (cls, _segment) in KINDS.items():
        shape = node_shape_for(shapes, cls)
        if shape is not None:
            out[kind] = build_form(shapes, ontology, shape, languages)
    return out


def documented_shapes(shapes: Graph, ontology: Graph, languages: Sequence[str]) -> list[Form]:
    """Every node shape with a label, as a form model (for the shapes documentation), in label order."""
    nodes = {s for s in shapes.subjects(RDF.type, SH.NodeShape)}
    return sorted((build_form(shapes, ontology, s, languages) for s in nodes), key=lambda f: f.label("en"))


# ------------------------------------------------------------------ form data → RDF


FormData = Mapping[str, Sequence[str]]


@dataclass
class Built:
    """What a filled form became: the graph, its record, and which node stands for which field."""

    graph: Graph
    record: URIRef
    nodes: dict[Node, str]  # node → key of the field it was made for ("" for the record itself)


def mint(base_iri: str, segment: str, title: str) -> URIRef:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    suffix = "".join(secrets.choice(alphabet) for _ in range(6))
    return URIRef(f"{base_iri}id/{segment}/{slugify(title)}-{suffix}")


def values(data: FormData, key: str) -> list[str]:
    """The non-empty values typed for ``key`` (a text area counts one value per line)."""
    out = []
    for raw in data.get(key, ()):
        out += [v.strip() for v in str(raw).splitlines() if v.strip()]
    return out


def first_text(form: Form, data: FormData, languages: Sequence[str]) -> str:
    """The record's first text field (its title or name), in the first language typed: for its IRI."""
    for f in form.fields:
        if f.widget == "lang":
            for lang in languages:
                typed = values(data, f"{f.key}.{lang}")
                if typed:
                    return typed[0]
    return ""


def build_graph(form: Form, data: FormData, record: URIRef, base_iri: str, languages: Sequence[str],
                lang: str | None = None) -> Built:
    """The RDF of a filled form. Empty inputs are omitted; a value that does not fit its type is kept
    as plain text so that the shapes (the one judge) report it with their own message."""
    graph = Graph()
    built = Built(graph, record, {record: ""})
    classes = form.classes
    if len(classes) > 1:
        chosen = values(data, TYPE_KEY)
        classes = tuple(c for c in classes if chosen and str(c) == chosen[0])  # none: the form layer says so
    for cls in classes:
        graph.add((record, RDF.type, cls))
    for f in form.fields:
        if f.widget == "type":
            continue
        if f.widget == "node":
            node = BNode()
            typed = False
            for sub in f.subfields:
                for term in _terms(sub, data, languages):
                    graph.add((node, sub.path, term))
                    typed = True
            if typed:
                graph.add((record, f.path, node))
                if f.path == TSC.budget:
                    graph.add((node, RDF.type, SCHEMA.MonetaryAmount))
                built.nodes[node] = f.key
            continue
        for term in _terms(f, data, languages):
            graph.add((record, f.path, term))
        if f.new_actor:
            for name in values(data, f.key + NEW_NAME)[:1]:
                actor = mint(base_iri, "actor", name)
                graph.add((actor, RDF.type, TSC.Actor))
                graph.add((actor, SKOS.prefLabel, Literal(name, lang=lang or languages[0])))
                for kind in values(data, f.key + NEW_TYPE)[:1]:
                    graph.add((actor, TSC.actorType, URIRef(kind) if _iri_like(kind) else Literal(kind)))
                graph.add((record, f.path, actor))
                built.nodes[actor] = f.key
    return built


def _iri_like(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", text))


def _terms(f: Field, data: FormData, languages: Sequence[str]) -> list[Node]:
    if f.widget == "lang":
        return [Literal(v, lang=lang) for lang in languages for v in values(data, f"{f.key}.{lang}")]
    typed = values(data, f.key)
    if f.widget in ("choice", "type"):
        known = f.option_values()
        return [URIRef(v) if v in known and _iri_like(v) else Literal(v) for v in typed]
    if f.widget in ("reference", "url"):
        return [URIRef(v) if _iri_like(v) else Literal(v) for v in typed]
    if f.widget == "date":
        return [_checked(v, XSD.date, date.fromisoformat) for v in typed]
    if f.widget == "number":
        return [_checked(v.replace(" ", "").replace(",", "."), f.datatype or XSD.decimal, Decimal) for v in typed]
    if f.widget == "boolean":
        return [Literal(True) for v in typed if v in ("true", "on", "1")]
    datatype = f.datatype if f.datatype not in (None, XSD.string) else None
    return [Literal(v, datatype=datatype) for v in typed]


def _checked(text: str, datatype: URIRef, parse) -> Literal:
    try:
        parse(text)
    except (ValueError, InvalidOperation):
        return Literal(text)  # not a well-formed value: plain text, which sh:datatype reports
    return Literal(text, datatype=datatype)


# ------------------------------------------------------------------ a published record → form data (edits)


def record_data(form: Form, graph: Graph, record: URIRef, languages: Sequence[str]) -> dict[str, list[str]]:
    """The form data that shows ``record`` (its description in ``graph``) in ``form``."""
    data: dict[str, list[str]] = {}
    if len(form.classes) > 1:
        data[TYPE_KEY] = [str(c) for c in form.classes if (record, RDF.type, c) in graph][:1]
    for f in form.fields:
        if f.widget == "node":
            for node in graph.objects(record, f.path):
                for sub in f.subfields:
                    data[sub.key] = [str(v) for v in graph.objects(node, sub.path)]
            continue
        found = list(graph.objects(record, f.path))
        if f.widget == "lang":
            for lang in languages:
                data[f"{f.key}.{lang}"] = ["\n".join(str(v) for v in found if isinstance(v, Literal) and v.language == lang)]
        elif f.widget == "boolean":
            data[f.key] = ["true"] if Literal(True) in found else []
        elif f.many and f.widget not in ("choice", "type"):
            data[f.key] = ["\n".join(str(v) for v in found)]
        else:
            data[f.key] = [str(v) for v in found]
    return data


def carried_over(form: Form, published: Graph, record: URIRef, languages: Sequence[str]) -> Graph:
    """What an edit through the form keeps of the published description that the form does not show
    (properties without a field, texts in languages the site does not offer), so an edit loses nothing."""
    shown = {f.path for f in form.fields}
    out = Graph()
    for p, o in published.predicate_objects(record):
        field_of = next((f for f in form.fields if f.path == p), None)
        if p == RDF.type or (p in shown and not (field_of and field_of.widget == "lang" and isinstance(o, Literal)
                                                 and o.language not in languages)):
            continue
        out.add((record, p, o))
        if isinstance(o, BNode):
            out += published.triples((o, None, None))
    return out


# ------------------------------------------------------------------ validation results → fields


def results_by_field(form: Form, built: Built, report: ValidationReport) -> tuple[dict[str, list[ValidationResult]], list[ValidationResult]]:
    """Each result next to the field that caused it; the results that fit no field apart."""
    by_field: dict[str, list[ValidationResult]] = {}
    loose: list[ValidationResult] = []
    for result in report.results:
        key = _key_of(form, built, result)
        if key is None:
            loose.append(result)
        else:
            by_field.setdefault(key, []).append(result)
    return by_field, loose


def _key_of(form: Form, built: Built, result: ValidationResult) -> str | None:
    owner = built.nodes.get(result.focus_node)
    if owner is None:
        return None
    if owner == "":  # the record itself
        if result.path == RDF.type or result.path is None and len(form.classes) > 1:
            return TYPE_KEY if form.field(TYPE_KEY) else None
        return next((f.key for f in form.fields if f.path == result.path), None)
    field_ = form.field(owner)
    if field_ is None:
        return None
    for sub in field_.subfields:
        if sub.path == result.path:
            return sub.key
    return owner  # e.g. a proposed actor without a type: shown at the field that proposed it
