"""The summary graph (graph/summaries.py) after every kind of write says what the records say: after each write
below, a whole computation finds nothing to change, and ``actors-by-partnerships`` (which reads the summary) answers
what the same ranking computed from the records answers."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef

from graph.describe import describe_resource
from graph.loading import setup_store
from graph.namespaces import TSC
from graph.queries import load_catalogue
from graph.settings import ROOT
from graph.summaries import INVOLVED, PARTNERS, PROJECTS, SUMMARISES, public_graphs, rebuild, refresh
from graph.writes import UpdateFailed, apply_update, delete_graph, put_graph

CANNED = load_catalogue(ROOT / "queries")["actors-by-partnerships"]
#: The ranking as it was computed from the records before the summary (each side of the pairing a sub-SELECT).
FROM_RECORDS = """
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?actor ?label ?lang (COALESCE(?counted, 0) AS ?partnerships) (COALESCE(?involved, 0) AS ?projects)
WHERE {
  ?actor a tsc:Actor .
  OPTIONAL {
    SELECT ?actor ((COUNT(DISTINCT ?other) - 1) AS ?counted) (COUNT(DISTINCT ?project) AS ?involved) WHERE {
      { SELECT ?actor ?project WHERE {
          VALUES ?role { tsc:leadOrganisation tsc:partner tsc:funder }
          ?project ?role ?actor . } }
      { SELECT ?project WHERE { ?project a tsc:Project . } }
      { SELECT ?other ?project WHERE {
          VALUES ?otherRole { tsc:leadOrganisation tsc:partner tsc:funder }
          ?project ?otherRole ?other . } }
    } GROUP BY ?actor
  }
  OPTIONAL { ?actor skos:prefLabel ?label FILTER(LANGMATCHES(LANG(?label), ?lang)) }
}
"""


def ranking(store, text: str) -> list[tuple]:
    """Every actor's row (the public graphs as the default graph, as a visitor's query reads them), in a fixed order."""
    rows = store.select(text, bindings=CANNED.bindings(), default_graphs=public_graphs(store))
    return sorted((str(r["actor"]), str(r.get("label")), int(r["partnerships"]), int(r["projects"])) for r in rows)


def assert_summary_holds(store) -> None:
    assert not rebuild(store), "the refresh after the write left something a whole computation changed"
    canned = ranking(store, CANNED.text_for({"limit": "10000"}))
    assert canned == ranking(store, FROM_RECORDS)
    assert any(row[2] for row in canned), "no actor with partnerships: the comparison would prove nothing"


@pytest.fixture
def served(store, settings, validator):
    setup_store(store, settings, validator)
    return store


def a_project_with_partners(store) -> tuple[URIRef, list[URIRef]]:
    rows = store.select("""PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
        SELECT ?p (GROUP_CONCAT(STR(?a); separator=" ") AS ?as) WHERE { ?p a tsc:Project ; tsc:partner ?a }
        GROUP BY ?p ORDER BY DESC(COUNT(?a)) ?p LIMIT 1""")
    return rows[0]["p"], [URIRef(a) for a in str(rows[0]["as"]).split()]


def an_actor_outside(store, project: URIRef) -> URIRef:
    rows = store.select(f"""PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
        SELECT ?a WHERE {{ ?a a tsc:Actor . FILTER NOT EXISTS {{ {project.n3()} ?role ?a }} }} ORDER BY ?a LIMIT 1""")
    return rows[0]["a"]


def update(store, settings, validator, sparql: str) -> None:
    apply_update(store, validator, settings, "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n" + sparql)


def test_setup_builds_the_summary(served):
    assert_summary_holds(served)


def test_partners_added_and_removed(served, settings, validator):
    project, partners = a_project_with_partners(served)
    newcomer = an_actor_outside(served, project)
    local = settings.local_graph
    update(served, settings, validator, f"INSERT DATA {{ GRAPH <{local}> {{ {project.n3()} tsc:partner {newcomer.n3()} }} }}")
    assert_summary_holds(served)
    update(served, settings, validator, f"DELETE DATA {{ GRAPH <{local}> {{ {project.n3()} tsc:partner {partners[0].n3()} }} }}")
    assert_summary_holds(served)


def test_a_project_deleted_and_its_type_taken_away(served, settings, validator):
    project, _partners = a_project_with_partners(served)
    local = settings.local_graph
    try:  # the shapes may refuse a project without its type; the summary must hold either way
        update(served, settings, validator, f"DELETE WHERE {{ GRAPH <{local}> {{ {project.n3()} a tsc:Project }} }}")
    except UpdateFailed:
        pass
    assert_summary_holds(served)
    update(served, settings, validator, f"DELETE WHERE {{ GRAPH <{local}> {{ {project.n3()} ?p ?o }} }}")
    assert_summary_holds(served)


def a_copy(store, project: URIRef, new: URIRef) -> Graph:
    """A project's own statements under another IRI (its blank nodes left out)."""
    copy = Graph()
    for row in store.select(f"SELECT ?p ?o WHERE {{ {project.n3()} ?p ?o FILTER(!isBlank(?o)) }}"):
        copy.add((new, row["p"], row["o"]))
    return copy


def test_a_harvested_graph_counts_and_its_drop_takes_it_back(served, settings, validator):
    project, _partners = a_project_with_partners(served)
    harvest = settings.harvest_graph("summary-test")
    put_graph(served, validator, harvest, a_copy(served, project, URIRef(settings.base_iri + "id/project/copy")))
    assert_summary_holds(served)
    delete_graph(served, harvest)
    assert_summary_holds(served)


def test_a_harvest_run_brings_the_summary_up_to_date_for_the_records_it_changed(served, settings, validator, tmp_path):
    """The harvester wrote its graph and synced the feed but left the summary as it was: a harvested project's
    partnerships were not counted until some later write computed the summary whole."""
    from functools import partial

    from loaders.harvest import Source, fetch, harvest_source

    project, partners = a_project_with_partners(served)
    copy = a_copy(served, project, URIRef("https://partner.example.org/id/project/copy"))
    path = tmp_path / "partner.ttl"
    path.write_text(copy.serialize(format="turtle"), encoding="utf-8")
    source = Source("summary-partner", "rdf", str(path))
    run = harvest_source(served, settings, source, validator, fetcher=partial(fetch, backoff=(0.01,), timeout=5))
    assert run.outcome == "ok", run.error
    assert_summary_holds(served)
    copy.remove((None, TSC.partner, partners[0]))  # the next run: one partner fewer
    path.write_text(copy.serialize(format="turtle"), encoding="utf-8")
    run = harvest_source(served, settings, source, validator, fetcher=partial(fetch, backoff=(0.01,), timeout=5))
    assert (run.outcome, run.changed) == ("ok", 1), run.error
    assert_summary_holds(served)


def test_a_pending_submission_does_not_count(served, settings, validator):
    project, _partners = a_project_with_partners(served)
    pending = settings.submission_graph("summary-test")
    served.add_graphs({pending: a_copy(served, project, URIRef(settings.base_iri + "id/project/pending"))})
    refresh(served, [URIRef(settings.base_iri + "id/project/pending")])
    assert_summary_holds(served)


def test_counts_claimed_in_another_graph_are_not_read(served, settings, validator):
    """A partner node's harvested graph that states counts of its own changes nothing: the ranking reads the
    summary graph only."""
    before = ranking(served, CANNED.text_for({"limit": "10000"}))
    actor = URIRef(before[0][0])
    claim, node = Graph(), URIRef(settings.base_iri + "id/boast")
    for p, o in ((TSC.summarises, actor), (TSC.partnerCount, Literal(999)), (TSC.projectCount, Literal(999))):
        claim.add((node, p, o))
    served.add_graphs({settings.harvest_graph("boastful"): claim})
    assert ranking(served, CANNED.text_for({"limit": "10000"})) == before


def test_no_record_is_the_subject_of_a_derived_statement(served):
    """What a record's page, its Turtle, the endpoint's CONSTRUCT of its statements and a partner's harvest of it
    hold is what its editors wrote: the summary's statements are on nodes of its own."""
    project, partners = a_project_with_partners(served)
    summary = served.read_graph(served.summary_graph)
    assert {project, partners[0]} <= set(summary.objects(None, SUMMARISES))
    assert not {s for s in summary.subjects() if not str(s).startswith(served.summary_graph + "#")}
    for record in (project, partners[0]):
        assert not set(describe_resource(served, record).predicates()) & {SUMMARISES, INVOLVED, PARTNERS, PROJECTS}
