"""The benchmark data generator (``bench/generate.py``): reproducible, the right size, conforming to the
shapes, with planted defects that the validator finds exactly, and a gap for the gap query."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from bench.generate import DEFECT_KINDS, RECORDS_PER_DEFECT, literal, write_dataset
from graph.queries import load_catalogue
from graph.settings import ROOT
from graph.store.oxigraph import OxigraphStore
from graph.validation import read_turtle_dir

BASE = "https://chm.example.org/"
TSC = "https://w3id.org/tscgraph/ontology#"
VOCAB = "https://w3id.org/tscgraph/vocab/"
SHAPES = "https://w3id.org/tscgraph/shapes#"
SIZE = 10_000
RECORD_CLASSES = {TSC + c for c in ("Actor", "Project", "CooperationOffer", "CooperationRequest", "NationalStrategy",
                                    "NationalTarget", "InternationalCommitment", "BestPractice", "LessonLearned",
                                    "CaseStudy")}
#: The shapes each kind of defect must trip (the title shape depends on the kind of record).
DEFECT_SHAPES = {
    "end-before-start": {"startDate-order"},
    "target-24": {"contributesToTarget-in"},
    "negative-budget": {"MonetaryAmount-value-positive", "Project-budget-node"},
    "bad-currency": {"MonetaryAmount-currency-code", "Project-budget-node"},
    "bad-email": {"email-pattern"},
    "two-leads": {"Project-leadOrganisation-count"},
}
TITLE_SHAPES = {"project": "Project", "offer": "CooperationRecord", "request": "CooperationRecord",
                "commitment": "Commitment", "resource": "KnowledgeResource"}


def record_kind(iri: str) -> str:
    return iri[len(BASE):].split("/")[1]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "clean.nt"
    summary = write_dataset(path, SIZE, seed=42)
    return path, summary, Graph().parse(path, format="nt")


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "defects.nt"
    summary = write_dataset(path, SIZE, seed=42, defects=True)
    return path, summary, Graph().parse(path, format="nt")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return read_turtle_dir(ROOT / "ontology")


# ------------------------------------------------------------------ reproducible, sized


def test_same_seed_same_bytes_in_another_process_and_other_seed_differs(clean, tmp_path):
    path, _summary, _graph = clean
    again = tmp_path / "again.nt"
    write_dataset(again, SIZE, seed=42)
    assert again.read_bytes() == path.read_bytes()
    # The command line, in a process with another string-hash seed, writes the same bytes.
    by_cli = tmp_path / "cli.nt"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run([sys.executable, "-m", "bench.generate", "--triples", str(SIZE), "--seed", "42", "--out", str(by_cli)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote ") and "tsc:Project" in proc.stdout
    assert by_cli.read_bytes() == path.read_bytes()
    other = tmp_path / "other.nt"
    write_dataset(other, SIZE, seed=43)
    assert other.read_bytes() != path.read_bytes()


@pytest.mark.parametrize("target", [SIZE, 100_000])
def test_size_is_within_ten_percent_of_the_target(target, clean, tmp_path):
    if target == SIZE:
        path, summary, graph = clean
        assert len(graph) == summary.triples  # every line parses, and no triple is written twice
    else:
        path = tmp_path / "big.nt"
        summary = write_dataset(path, target, seed=42)
    with open(path, "rb") as handle:
        lines = sum(1 for _ in handle)
    assert lines == summary.triples
    assert abs(summary.triples - target) <= 0.1 * target, summary.triples


def test_proportions_per_100_projects(clean):
    counts = clean[1].counts
    projects = counts["tsc:Project"]
    commitments = sum(counts[c] for c in ("tsc:NationalStrategy", "tsc:NationalTarget", "tsc:InternationalCommitment"))
    resources = sum(counts[c] for c in ("tsc:BestPractice", "tsc:LessonLearned", "tsc:CaseStudy"))
    assert 200 <= projects <= 300
    for count, per_100 in ((counts["tsc:Actor"], 30), (counts["tsc:CooperationOffer"], 15),
                           (counts["tsc:CooperationRequest"], 15), (commitments, 5), (resources, 10)):
        assert abs(count - projects * per_100 / 100) <= 1
    assert counts["tsc:NationalStrategy"] == 1


# ------------------------------------------------------------------ content


def test_the_clean_data_set_conforms_without_even_a_warning(clean, validator):
    report = validator.validate(clean[2])
    assert report.conforms, report.to_text()
    assert report.warnings == 0, report.to_text()


def test_every_vocabulary_iri_and_ontology_term_used_exists(clean, ontology):
    graph = clean[2]
    defined = set(ontology.subjects())
    used = {t for triple in graph for t in triple if isinstance(t, URIRef)}
    vocab = {t for t in used if str(t).startswith(VOCAB)}
    assert vocab and not vocab - defined, sorted(vocab - defined)
    terms = {t for t in used if str(t).startswith(TSC)}
    assert terms and not terms - defined, sorted(terms - defined)


def test_references_between_records_resolve(clean):
    graph = clean[2]
    records = {s for s, o in graph.subject_objects(RDF.type) if str(o) in RECORD_CLASSES}
    assert all(str(r).startswith(BASE + "id/") for r in records)
    referenced = {o for o in graph.objects() if isinstance(o, URIRef) and str(o).startswith(BASE)}
    assert referenced and referenced <= records, sorted(referenced - records)[:5]


def test_every_record_is_an_illustrative_example(clean):
    graph = clean[2]
    records = {s for s, o in graph.subject_objects(RDF.type) if str(o) in RECORD_CLASSES}
    example = URIRef(TSC + "isExample")
    assert all(graph.value(r, example) == Literal(True) for r in records)
    for s, p, o in graph:
        if str(p).endswith(("/title", "#prefLabel")):
            assert str(o).startswith({"en": "Example: ", "fr": "Exemple : "}[o.language]), (s, o)
        elif str(p) == "https://schema.org/url":
            assert str(o).startswith("https://example.org/")
        elif str(p) == "https://schema.org/email":
            assert str(o).endswith("@example.org")


def test_literals_needing_escapes_round_trip(clean, tmp_path):
    graph = clean[2]
    texts = [str(o) for o in graph.objects() if isinstance(o, Literal)]
    assert any('"' in t for t in texts) and any("\n" in t for t in texts)
    tricky = 'back\\slash "quoted"\nnew line\r\tand « é »'
    path = tmp_path / "one.nt"
    path.write_text(f"<{BASE}s> <{BASE}p> {literal(tricky)}@en .\n", encoding="utf-8")
    assert Graph().parse(path, format="nt").value(URIRef(BASE + "s"), URIRef(BASE + "p")) == Literal(tricky, lang="en")


def test_dates_budgets_and_languages_are_typed(clean):
    graph = clean[2]
    schema = "https://schema.org/"
    for p, datatype in ((schema + "startDate", XSD.date), (schema + "endDate", XSD.date), (schema + "value", XSD.decimal),
                        ("http://purl.org/dc/terms/language", XSD.language)):
        values = list(graph.objects(None, URIRef(p)))
        assert values and all(v.datatype == datatype for v in values), p
    assert len(set(graph.objects(None, URIRef(schema + "currency")))) > 3


def test_other_base_iri_and_bad_base_iri(tmp_path):
    base = "https://chm.example.net/fr/"
    summary = write_dataset(tmp_path / "small.nt", 1_000, seed=1, base_iri=base)
    graph = Graph().parse(tmp_path / "small.nt", format="nt")
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    assert subjects and all(str(s).startswith(base + "id/") for s in subjects)
    assert summary.counts["tsc:Project"] >= 1
    for bad in ("https://chm.example.org", "chm.example.org/", "https://chm example.org/"):
        with pytest.raises(ValueError):
            write_dataset(tmp_path / "bad.nt", 1_000, base_iri=bad)


# ------------------------------------------------------------------ defects


def test_defects_are_planted_at_the_stated_rate_and_of_every_kind(defective):
    summary = defective[1]
    records = sum(n for name, n in summary.counts.items() if name != "schema:MonetaryAmount")
    assert len(summary.defects) == max(len(DEFECT_KINDS), records // RECORDS_PER_DEFECT)
    assert {kind for _focus, kind in summary.defects} == set(DEFECT_KINDS)
    assert len({focus for focus, _kind in summary.defects}) == len(summary.defects)  # one defect per record


def test_the_validator_finds_exactly_the_planted_defects(defective, validator):
    _path, summary, graph = defective
    report = validator.validate(graph)
    budget = URIRef(TSC + "budget")
    found = set()
    for result in report.results:
        if result.severity_name != "Violation":
            continue
        focus = result.focus_node
        if isinstance(focus, BNode):  # a budget node: its project is the record at fault
            focus = next(graph.subjects(budget, focus))
        found.add((str(focus), str(result.source_shape).removeprefix(SHAPES)))
    expected = set()
    for focus, kind in summary.defects:
        shapes = DEFECT_SHAPES.get(kind) or {f"{TITLE_SHAPES[record_kind(focus)]}-title-minCount"}
        expected |= {(focus, shape) for shape in shapes}
    assert found == expected


def test_defects_change_only_the_records_they_are_planted_in(clean, defective):
    clean_lines = set(clean[0].read_text(encoding="utf-8").splitlines())
    defect_lines = set(defective[0].read_text(encoding="utf-8").splitlines())
    planted = {focus for focus, _kind in defective[1].defects}
    numbers = {focus.rsplit("/", 1)[1] for focus in planted if "/project/" in focus}
    changed = clean_lines ^ defect_lines
    assert changed
    for line in changed:
        subject = line.split(" ", 1)[0]
        assert subject.strip("<>") in planted or subject.removeprefix("_:budget") in numbers, line


# ------------------------------------------------------------------ the gap query


def test_the_gap_query_answers_the_targets_no_project_cites(clean, ontology):
    _path, summary, graph = clean
    unused = set(summary.targets_without_projects)
    assert {VOCAB + "gbf/target/16", VOCAB + "gbf/target/23"} <= unused
    projects = set(graph.subjects(RDF.type, URIRef(TSC + "Project")))
    cited = {str(t) for s, t in graph.subject_objects(URIRef(TSC + "contributesToTarget")) if s in projects}
    assert not unused & cited
    store = OxigraphStore(None)
    try:
        store.add_graphs({BASE + "graph/ontology": ontology, BASE + "graph/local": graph})
        query = load_catalogue(ROOT / "queries")["targets-without-projects"]
        result = store.query(query.text, bindings=query.bindings())
        answered = {str(row["target"]) for row in result.bindings()}
    finally:
        store.close()
    assert answered == unused
    assert len(answered) < 23 // 2  # most targets do have projects


def test_cited_targets_and_articles_are_skewed(clean):
    graph = clean[2]
    projects = set(graph.subjects(RDF.type, URIRef(TSC + "Project")))
    targets = Counter(str(o) for s, o in graph.subject_objects(URIRef(TSC + "contributesToTarget")) if s in projects)
    assert max(targets.values()) >= 5 * min(targets.values())
    articles = Counter(str(o).rsplit("/", 1)[1] for o in graph.objects(None, URIRef(TSC + "implementsArticle")))
    assert {a for a, _n in articles.most_common(3)} == {"16", "17", "18"}


def test_generation_is_fast(tmp_path):
    summary = write_dataset(tmp_path / "fast.nt", 100_000, seed=5)
    assert summary.seconds < 5, summary.seconds


def test_cli_refuses_a_bad_base_iri(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.generate", "--triples", "100", "--base-iri", "nope",
                           "--out", str(tmp_path / "x.nt")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "base_iri" in proc.stderr
