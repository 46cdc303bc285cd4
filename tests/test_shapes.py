"""The SHACL shapes, exercised by example files.

Each file of ``tests/shapes`` is named ``<NodeShape>-valid-NN.ttl`` or ``<NodeShape>-invalid-NN.ttl``.
Its first line, ``# why: …``, says what it shows. An invalid file then lists, one per line, the
property shapes that must fire — ``# expect: tscsh:<shape> Violation|Warning`` — and exactly those
fire (``sh:sourceShape`` and severity), so a file that fails for the wrong reason fails the test.
A valid file produces no result at all, not even a warning.

Records in the files use relative IRIs (``<id/project/p1>``) resolved against the test base, as the
bundled data does. The shapes and vocabularies are loaded once, through the project's validator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from graph.namespaces import TSC, TSCSH, VOCAB
from graph.validation import Validator, read_turtle_dir

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"
EXAMPLES_DIR = Path(__file__).resolve().parent / "shapes"
BASE = "https://chm.example.org/"
LANGUAGES = ("en", "fr")
SEVERITIES = {"Violation": SH.Violation, "Warning": SH.Warning, "Info": SH.Info}
NAME = re.compile(r"^(?P<shape>[A-Za-z]+Shape)-(?P<kind>valid|invalid)-(?P<n>\d{2})\.ttl$")
EXPECT = re.compile(r"^# expect: (?P<shape>\S+) (?P<severity>Violation|Warning|Info)\s*$")

EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*.ttl"))


@dataclass(frozen=True)
class Example:
    path: Path
    node_shape: URIRef
    valid: bool
    why: str
    expected: frozenset[tuple[URIRef, URIRef]]  # (source shape, severity)


def shape_iri(text: str) -> URIRef:
    """``tscsh:Foo``, ``<https://…>`` or a bare absolute IRI."""
    if text.startswith("tscsh:"):
        return TSCSH[text[len("tscsh:"):]]
    return URIRef(text.strip("<>"))


def read_example(path: Path) -> Example:
    match = NAME.match(path.name)
    assert match, f"{path.name}: name must be <NodeShape>-valid-NN.ttl or <NodeShape>-invalid-NN.ttl"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("# why: "), f"{path.name}: first line must be '# why: …'"
    expected = set()
    for line in lines[1:]:
        if not line.startswith("# expect:"):
            break
        m = EXPECT.match(line)
        assert m, f"{path.name}: malformed expect line {line!r}"
        expected.add((shape_iri(m["shape"]), SEVERITIES[m["severity"]]))
    return Example(path, TSCSH[match["shape"]], match["kind"] == "valid", lines[0][len("# why: "):], frozenset(expected))


def parse_example(path: Path) -> Graph:
    return Graph().parse(path, format="turtle", publicID=BASE)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return read_turtle_dir(SHAPES_DIR)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return read_turtle_dir(ONTOLOGY_DIR)


@pytest.fixture(scope="module")
def shape_validator() -> Validator:
    """The project's validator, shapes and vocabularies parsed once for this module."""
    return Validator.from_paths(SHAPES_DIR, ONTOLOGY_DIR)


def node_shapes(shapes: Graph) -> set[URIRef]:
    return {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


def property_shapes(shapes: Graph) -> set[URIRef]:
    return {s for s in shapes.subjects(SH.path, None) if isinstance(s, URIRef)}


def texts(graph: Graph, subject, predicate) -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = {}
    for o in graph.objects(subject, predicate):
        lang = o.language if isinstance(o, Literal) else None
        by_lang.setdefault(lang or "", []).append(str(o))
    return by_lang


def sh_in(shapes: Graph, shape: URIRef) -> list:
    head = shapes.value(shape, SH["in"])
    assert head is not None, f"{shape} has no sh:in"
    return list(Collection(shapes, head))


def describe(report) -> str:
    return "\n".join(
        f"  {r.severity_name} {r.source_shape} focus={r.focus_node} value={r.value}: {r.message('en')}"
        for r in report.results
    ) or "  (no result)"


# ------------------------------------------------------------------ the examples


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_example(path: Path, shape_validator: Validator, shapes: Graph) -> None:
    example = read_example(path)
    report = shape_validator.validate(parse_example(path))
    if example.valid:
        assert not example.expected, f"{path.name}: a valid file has no expect line"
        assert report.results == (), f"{path.name} ({example.why}) should raise nothing:\n{describe(report)}"
        return
    assert example.expected, f"{path.name}: an invalid file names the shapes that must fire ('# expect: …')"
    fired = {(r.source_shape, r.severity) for r in report.results}
    assert fired == set(example.expected), (
        f"{path.name} ({example.why}):\n expected {sorted(example.expected)}\n got\n{describe(report)}"
    )
    assert report.conforms == all(sev != SH.Violation for _, sev in example.expected)
    # The file is about the node shape in its name: one of the shapes that fire is one of its own.
    own = set(shapes.objects(example.node_shape, SH.property)) | {example.node_shape}
    assert own & {shape for shape, _ in example.expected}, f"{path.name}: no expected shape belongs to {example.node_shape}"
    for r in report.results:
        assert all(r.messages.get(lang) for lang in LANGUAGES), f"{path.name}: {r.source_shape} lacks an en or fr message"


def test_collection_guard(request: pytest.FixtureRequest, shapes: Graph) -> None:
    """Every file is a case, enough files exist, and every node shape has valid and invalid examples."""
    files = sorted(EXAMPLES_DIR.glob("*.ttl"))
    collected = [i for i in request.session.items if getattr(i, "originalname", None) == "test_example"]
    assert len(collected) == len(files), (
        f"{len(collected)} example cases collected for {len(files)} files in {EXAMPLES_DIR} (filtered run?)"
    )
    assert len(files) >= 40
    examples = [read_example(p) for p in files]
    known = node_shapes(shapes)
    for example in examples:
        assert example.node_shape in known, f"{example.path.name}: no node shape {example.node_shape}"
        for shape, _ in example.expected:
            assert (shape, None, None) in shapes, f"{example.path.name}: unknown shape {shape}"
    for shape in known:
        kinds = {e.valid for e in examples if e.node_shape == shape}
        assert kinds == {True, False}, f"{shape} needs at least one valid and one invalid example file"


def test_every_property_shape_fires_somewhere(shapes: Graph) -> None:
    """A property shape no invalid file expects is a rule nobody has seen work."""
    expected = {shape for p in EXAMPLE_FILES for shape, _ in read_example(p).expected}
    unexercised = sorted(str(s) for s in property_shapes(shapes) - expected)
    assert not unexercised, "property shapes no example exercises:\n" + "\n".join(unexercised)


# ------------------------------------------------------------------ the shapes themselves


def test_shapes_pass_shacl_shacl(shapes: Graph) -> None:
    # pySHACL raises ReportableRuntimeError, with the report, when the shapes break SHACL-SHACL.
    conforms, _graph, text = pyshacl.validate(shapes, shacl_graph=None, meta_shacl=True, inference="none")
    assert conforms, text


def test_every_message_is_in_english_and_french(shapes: Graph) -> None:
    bad = []
    for shape in set(shapes.subjects(SH.message, None)):
        by_lang = texts(shapes, shape, SH.message)
        if any(len(by_lang.get(lang, [])) != 1 for lang in LANGUAGES):
            bad.append(f"{shape}: {by_lang}")
    assert not bad, "sh:message needs exactly one @en and one @fr:\n" + "\n".join(bad)


def test_every_property_shape_is_documented_for_forms(shapes: Graph) -> None:
    """Forms derive from the shapes: name, help text, group and order in both languages."""
    bad = []
    for shape in sorted(property_shapes(shapes)):
        for predicate in (SH.name, SH.description, SH.message):
            by_lang = texts(shapes, shape, predicate)
            if any(len(by_lang.get(lang, [])) != 1 for lang in LANGUAGES):
                bad.append(f"{shape}: {predicate} {by_lang}")
        if not isinstance(shapes.value(shape, SH.order), Literal):
            bad.append(f"{shape}: no sh:order")
        group = shapes.value(shape, SH.group)
        if group is None or (group, RDF.type, SH.PropertyGroup) not in shapes:
            bad.append(f"{shape}: sh:group is not a sh:PropertyGroup")
        elif any(len(texts(shapes, group, RDFS.label).get(lang, [])) != 1 for lang in LANGUAGES):
            bad.append(f"{group}: rdfs:label needs @en and @fr")
    assert not bad, "\n".join(bad)


def test_shapes_on_one_path_agree_on_form_fields(shapes: Graph) -> None:
    """Several property shapes may share a path (one constraint each); a form merges them by path."""
    for node_shape in node_shapes(shapes):
        seen: dict = {}
        for shape in shapes.objects(node_shape, SH.property):
            path = shapes.value(shape, SH.path)
            fields = tuple(
                frozenset(shapes.objects(shape, p)) for p in (SH.name, SH.description, SH.group, SH.order)
            )
            assert seen.setdefault(path, fields) == fields, f"{node_shape}: {shape} disagrees on {path}'s form fields"


def test_shape_iris_live_in_the_shapes_namespace(shapes: Graph) -> None:
    named = node_shapes(shapes) | property_shapes(shapes) | set(shapes.subjects(RDF.type, SH.PropertyGroup))
    assert named and all(str(s).startswith(str(TSCSH)) for s in named)
    # No property shape is a blank node: reports name their source shape.
    for node_shape in node_shapes(shapes):
        assert all(isinstance(p, URIRef) for p in shapes.objects(node_shape, SH.property)), node_shape


def test_every_submitted_class_is_targeted(shapes: Graph) -> None:
    submitted = {TSC[c] for c in ("Actor", "Project", "CooperationOffer", "CooperationRequest", "NationalStrategy",
                                  "NationalTarget", "InternationalCommitment", "BestPractice", "LessonLearned", "CaseStudy")}
    assert submitted <= set(shapes.objects(None, SH.targetClass))


def test_shapes_are_open(shapes: Graph) -> None:
    """Harvested data carries other properties: no shape is closed."""
    assert (None, SH.closed, Literal(True)) not in shapes


# ------------------------------------------------------------------ value sets agree with the vocabularies


def test_target_value_set_is_the_23_gbf_targets(shapes: Graph, ontology: Graph) -> None:
    listed = sh_in(shapes, TSCSH["contributesToTarget-in"])
    assert listed == [URIRef(f"{VOCAB}gbf/target/{n}") for n in range(1, 24)]
    assert set(listed) == set(ontology.subjects(RDF.type, TSC.GBFTarget))


def test_article_value_set_is_the_42_cbd_articles(shapes: Graph, ontology: Graph) -> None:
    """The 42 articles, and Article 8(j) after Article 8 (a concept of its own: issue #20)."""
    listed = sh_in(shapes, TSCSH["implementsArticle-in"])
    numbered = [URIRef(f"{VOCAB}cbd/article/{n}") for n in range(1, 43)]
    assert listed == numbered[:8] + [URIRef(f"{VOCAB}cbd/article/8j")] + numbered[8:]
    assert set(listed) == set(ontology.subjects(RDF.type, TSC.CBDArticle))


@pytest.mark.parametrize(
    ("shape", "slugs"),
    [
        ("Project-status-in", ["planned", "ongoing", "completed", "cancelled"]),
        ("CooperationRecord-status-in", ["open", "matched", "closed"]),
        ("Commitment-status-in", ["adopted", "in-progress", "achieved"]),
    ],
)
def test_status_value_sets_are_status_concepts(shapes: Graph, ontology: Graph, shape: str, slugs: list[str]) -> None:
    listed = sh_in(shapes, TSCSH[shape])
    assert listed == [URIRef(f"{VOCAB}status/{s}") for s in slugs]
    statuses = set(ontology.subjects(RDF.type, TSC.Status))
    assert set(listed) <= statuses, f"not tsc:Status in the vocabulary: {set(listed) - statuses}"


def test_currency_codes_are_sorted_iso_4217_codes(shapes: Graph) -> None:
    codes = [str(c) for c in sh_in(shapes, TSCSH["MonetaryAmount-currency-code"])]
    assert codes == sorted(set(codes))
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in codes)
    assert {"EUR", "USD", "XPF", "XOF", "GBP", "BRL"} <= set(codes)
    assert len(codes) > 150


@pytest.mark.parametrize("path", sorted(SHAPES_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_each_shapes_file_loads_alone_with_its_imports(path: Path) -> None:
    """A validator given one file (pySHACL with imports here; Jena SHACL in tests/test_client_jena.py) gets every
    shape that file names: it says what it needs with owl:imports (relative IRIs: the files beside it)."""
    from rdflib.namespace import OWL

    alone = Graph().parse(path, format="turtle")
    [document] = alone.subjects(RDF.type, OWL.Ontology)
    assert document == URIRef(path.resolve().as_uri())
    referenced = {o for p in (SH.property, SH.node, SH.group, SH.qualifiedValueShape) for o in alone.objects(None, p)}
    defined = set(alone.subjects())
    for imported in alone.objects(document, OWL.imports):
        target = Path(imported.removeprefix("file://"))
        assert target.parent == SHAPES_DIR.resolve() and target.exists(), imported
        defined |= set(Graph().parse(target, format="turtle").subjects())
    missing = {str(r) for r in referenced if isinstance(r, URIRef)} - {str(d) for d in defined}
    assert not missing, f"{path.name} names shapes it does not import: {sorted(missing)[:5]}"
    data = Graph().parse(ROOT / "tests" / "data" / "cli" / "project-string-budget.ttl", format="turtle", publicID=BASE)
    pyshacl.validate(data, shacl_graph=str(path), do_owl_imports=True, inference="none")  # parses: raises if not
