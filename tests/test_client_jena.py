"""Apache Jena (Debian's 4.5.0) as a client of a real server on loopback: RIOT reading record pages with its own
Accept and as TriG and N-Quads, ARQ over the SPARQL protocol (``rsparql``), ARQ calling us with ``SERVICE``, and
Jena SHACL beside our validation — each shapes file loaded alone with its imports, and the same results on
mutations of a conforming project.

Jena 4.5's ``riot`` command takes every argument for a file name (a URL becomes ``file:///…/http:/…``), so pages
are read through RIOT's own API (``tests/clients/JenaClient.java``), as a program using Jena reads them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from graph.settings import ROOT
from graph.validation import Validator
from tests.conftest import BASE, TEST_DATA
from tests.field_clients import by_value, our_select, our_turtle, same_graph

TSC = "https://w3id.org/tscgraph/ontology#"
PAGES = ["/id/project/biodiversa-plus", "/id/actor/ofb", "/vocab/gbf/target/3", "/ontology"]
PROJECT = "/id/project/biodiversa-plus"
#: The two actors that lead the most projects, with their counts: what a federated query is checked against.
LEADING_ACTORS = f"""PREFIX tsc: <{TSC}>
SELECT ?actor (COUNT(DISTINCT ?project) AS ?n) WHERE {{ ?project tsc:leadOrganisation ?actor }}
GROUP BY ?actor ORDER BY DESC(?n) ?actor LIMIT 2"""


def read_nt(text: str) -> Graph:
    return by_value(Graph().parse(data=text, format="nt"))


def test_riot_reads_record_pages_with_its_default_accept(jena, live_server):
    read = jena.sections(jena.run("JenaClient", "graph", *(live_server + p for p in PAGES)))
    for path in PAGES:
        got = read_nt(read[live_server + path])
        assert len(got) > 10 and same_graph(got, our_turtle(live_server + path)), path


def test_a_record_page_read_by_jena_as_trig_or_n_quads_yields_its_triples(jena, live_server):
    """Read into one graph (a Model), a dataset syntax gives its default graph: the description must be there,
    not under a graph name of its own (Jena: "named graph data ignored", 0 triples)."""
    url = live_server + PROJECT
    output = jena.run("JenaClient", "graph", "--accept", "application/trig", url, "--accept", "application/n-quads",
                      url + "?", url + ".trig", url + ".nq")
    read = jena.sections(output)
    expected = our_turtle(url)
    assert (URIRef(BASE + PROJECT[1:]), RDF.type, URIRef(TSC + "Project")) in expected
    for name in (url, url + "?", url + ".trig", url + ".nq"):
        assert same_graph(read_nt(read[name]), expected), name


def rsparql(jena, endpoint: str, query: str, results: str, tmp_path: Path) -> str:
    path = tmp_path / "query.rq"
    path.write_text(query, encoding="utf-8")
    return jena.run("arq.rsparql", "--service", endpoint, "--query", str(path), f"--results={results}")


GROUP_BY = f"""PREFIX tsc: <{TSC}>
SELECT ?target (COUNT(DISTINCT ?project) AS ?projects) WHERE {{ ?project a tsc:Project ; tsc:contributesToTarget ?target }}
GROUP BY ?target ORDER BY ?target"""


def test_arq_over_the_protocol_gets_our_answers(jena, live_server, tmp_path):
    endpoint = live_server + "/sparql"
    rows = json.loads(rsparql(jena, endpoint, GROUP_BY, "json", tmp_path))["results"]["bindings"]
    ours = our_select(endpoint, GROUP_BY)
    assert len(ours) > 5
    assert [(r["target"]["value"], r["projects"]["value"]) for r in rows] == [(r["target"], r["projects"]) for r in ours]
    xml = rsparql(jena, endpoint, GROUP_BY, "xml", tmp_path)
    assert xml.count("<result>") == len(ours)
    assert "true" in rsparql(jena, endpoint, f"ASK {{ <{BASE}id/actor/ofb> a <{TSC}Actor> }}", "json", tmp_path)
    construct = f"CONSTRUCT {{ <{BASE}id/actor/ofb> ?p ?o }} WHERE {{ <{BASE}id/actor/ofb> ?p ?o }}"
    got = Graph().parse(data=rsparql(jena, endpoint, construct, "nt", tmp_path), format="turtle")
    assert len(got) > 3 and (URIRef(BASE + "id/actor/ofb"), RDF.type, URIRef(TSC + "Actor")) in got


def test_a_service_query_from_jena_to_us_counts_what_we_count(jena, live_server, tmp_path):
    """ARQ runs the query on its own data (two actors of ours) and calls our /sparql for the SERVICE part."""
    leads = [r["actor"] for r in our_select(live_server + "/sparql", LEADING_ACTORS)]
    assert len(leads) == 2
    wanted = tmp_path / "wanted.ttl"
    wanted.write_text("".join(f"<{actor}> a <urn:x:Wanted> .\n" for actor in leads), encoding="utf-8")
    query = tmp_path / "service.rq"
    query.write_text(f"""PREFIX tsc: <{TSC}>
SELECT ?actor (COUNT(DISTINCT ?project) AS ?led) WHERE {{
  ?actor a <urn:x:Wanted> .
  SERVICE <{live_server}/sparql> {{ ?project tsc:leadOrganisation ?actor }}
}} GROUP BY ?actor ORDER BY ?actor""", encoding="utf-8")
    rows = json.loads(jena.run("arq.sparql", "--data", str(wanted), "--query", str(query), "--results=json"))
    got = {r["actor"]["value"]: int(r["led"]["value"]) for r in rows["results"]["bindings"]}
    ours = {r["actor"]: int(r["n"]) for r in our_select(live_server + "/sparql", LEADING_ACTORS)}
    assert got == ours and all(n >= 1 for n in got.values())


# ------------------------------------------------------------------ Jena SHACL beside our validation


def test_jena_shacl_loads_each_shapes_file_alone_with_its_imports(jena):
    files = sorted((ROOT / "shapes").glob("*.ttl"))
    counts = jena.sections(jena.run("JenaClient", "shapes", *map(str, files)))
    assert {Path(name).name for name in counts} == {f.name for f in files}
    assert all(int(text) >= 1 for text in counts.values()), counts


CONFORMING = (TEST_DATA / "cli" / "project-conforming.ttl").read_text(encoding="utf-8")
#: name → (what is replaced, by what): each a mistake a partner makes.
MUTATIONS = {
    "budget as a string": ('"120000"^^xsd:decimal', '"120000"'),
    "ill-typed start date": ('"2024-01-01"^^xsd:date', '"2021-13-01"^^xsd:date'),
    "end before start": ('"2025-12-31"^^xsd:date', '"2023-12-31"^^xsd:date'),
    "start date as a date-time": ('"2024-01-01"^^xsd:date', '"2024-01-01T00:00:00"^^xsd:dateTime'),
    "negative budget": ('"120000"^^xsd:decimal', '"-5"^^xsd:decimal'),
    "unknown currency": ('schema:currency "EUR"', 'schema:currency "EURO"'),
    "no title": ('dcterms:title "Example: seagrass monitoring training"@en , "Exemple : formation au suivi des herbiers"@fr ;', ""),
    "unknown target": ("gbf/target/20>", "gbf/target/24>"),
    "two lead organisations": ("tsc:leadOrganisation <id/actor/test-lead> ;",
                               "tsc:leadOrganisation <id/actor/test-lead> , <id/actor/ofb> ;"),
    "budget without currency": ('; schema:currency "EUR" ]', "]"),
}
#: Where the two engines differ and which one SHACL backs: pySHACL 0.40 alone misses these; our report adds them.
PYSHACL_MISSES = {"ill-typed start date": {"startDate-order"}}


def results_key(report: Graph) -> set[tuple[str, str, str]]:
    """Each top-level result as (focus, source shape, component): blank nodes (a budget) as "[]"."""
    roots = set(report.subjects(RDF.type, SH.ValidationReport))
    nodes = {r for root in roots for r in report.objects(root, SH.result)}
    return {(str(f) if isinstance(f := report.value(n, SH.focusNode), URIRef) else "[]",
             str(report.value(n, SH.sourceShape)).rsplit("#", 1)[-1],
             str(report.value(n, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]) for n in nodes}


def test_jena_shacl_and_our_validation_agree_on_each_mutation(jena, validator: Validator, tmp_path):
    files = {}
    for name, (old, new) in MUTATIONS.items():
        assert old in CONFORMING, name
        path = tmp_path / (re.sub(r"\W+", "-", name) + ".ttl")
        path.write_text(f"@base <{BASE}> .\n" + CONFORMING.replace(old, new), encoding="utf-8")
        files[str(path)] = name
    vocabularies = tmp_path / "vocabularies.nt"
    vocabularies.write_text(validator.scope.serialize(format="nt"), encoding="utf-8")  # what sh:class needs
    shapes = ",".join(str(p) for p in sorted((ROOT / "shapes").glob("*.ttl")))
    reports = jena.sections(jena.run("JenaClient", "shacl", shapes, str(vocabularies), *files))
    for path, name in files.items():
        theirs = results_key(Graph().parse(data=reports[path], format="nt"))
        ours_report = validator.validate(Graph().parse(path, format="turtle"))
        ours = results_key(ours_report.graph)
        assert theirs, f"{name}: Jena finds nothing wrong"
        assert ours == theirs, f"{name}:\n  ours only  {sorted(ours - theirs)}\n  Jena only  {sorted(theirs - ours)}"
        assert len(ours_report.results) == len(theirs)  # the nested details are not counted
    assert len(files) == len(MUTATIONS)


def test_what_pyshacl_alone_misses_is_what_the_spec_requires(validator: Validator):
    """The case where pySHACL 0.40 and Jena SHACL differ: sh:lessThanOrEquals on values that cannot be compared
    (an ill-typed date) — SHACL §4.5.4 makes the pair a violation, Jena reports it, pySHACL drops it;
    graph.validation.incomparable_pairs adds it to our report. (A date against a date-time: both report it.)"""
    import warnings

    import pyshacl

    for name, missed in PYSHACL_MISSES.items():
        old, new = MUTATIONS[name]
        data = Graph().parse(data=CONFORMING.replace(old, new), format="turtle", publicID=BASE)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            _conforms, raw, _text = pyshacl.validate(data + validator.scope, shacl_graph=validator.shapes, inference="none")
        raw_shapes = {shape for _f, shape, _c in results_key(raw)}
        ours = {shape for _f, shape, _c in results_key(validator.validate(data).graph)}
        assert missed & raw_shapes == set(), f"{name}: pySHACL reports it now; drop it from PYSHACL_MISSES"
        assert missed <= ours, name
