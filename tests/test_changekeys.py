"""What a write changed (graph/changekeys.py), noted by the store, published with the snapshot, and the listings'
answers of the state before kept only when the change cannot have touched them."""

from __future__ import annotations

import pytest
import requests
from rdflib import Graph

from graph import changekeys
from graph.changekeys import ChangeLedger, graph_key, predicate_key, type_key, unchanged_for
from graph.namespaces import PREFIXES, TSC
from graph.store.snapshots import SnapshotPublisher, read_state
from graph.writes import apply_update
from tests.conftest import AUTH, BASE, TOKEN_HASH, start_server, stop_server
from web import facets
from web.context import StateCache
from web.projects import PROJECTS

SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDF_TYPE = changekeys.RDF_TYPE
PREFIX = "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"


def actor_update(name: str) -> str:
    iri = f"{BASE}id/actor/{name}"
    return (PREFIX + f'INSERT DATA {{ <{iri}> a tsc:Actor ; skos:prefLabel "Actor {name}"@en , "Acteur {name}"@fr ; '
            f'tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/ngo> }}')


# ------------------------------------------------------------------ the pure part


def test_a_path_names_its_properties_and_a_class_its_members():
    assert changekeys.path_iris("tsc:budget/schema:value", PREFIXES) == {str(TSC.budget), "https://schema.org/value"}
    assert changekeys.path_iris("<https://ex.org/a>|^dcterms:isPartOf", PREFIXES) == {
        "https://ex.org/a", "http://purl.org/dc/terms/isPartOf"}
    assert changekeys.path_iris("a/rdfs:label", PREFIXES) == {RDF_TYPE, "http://www.w3.org/2000/01/rdf-schema#label"}
    with pytest.raises(KeyError):
        changekeys.path_iris("nowhere:thing", PREFIXES)
    read = changekeys.reads(paths=["dcterms:title"], classes=[str(TSC.Project)], prefixes=PREFIXES)
    assert read == {predicate_key("http://purl.org/dc/terms/title"), type_key(str(TSC.Project))}


def test_an_answer_holds_only_when_the_change_is_known_and_misses_what_it_reads():
    read = frozenset({predicate_key("https://ex.org/title"), type_key("https://ex.org/Project")})
    public = lambda graph: not graph.endswith("/private")  # noqa: E731
    assert unchanged_for(frozenset({predicate_key(SKOS_LABEL), type_key("https://ex.org/Actor"),
                                    predicate_key(RDF_TYPE), graph_key("https://ex.org/private")}), read, public)
    assert unchanged_for(frozenset(), read, public)
    assert not unchanged_for(None, read, public)  # unknown
    assert not unchanged_for(frozenset({type_key("https://ex.org/Project")}), read, public)
    assert not unchanged_for(frozenset({predicate_key("https://ex.org/title")}), read, public)
    assert not unchanged_for(frozenset({graph_key("https://ex.org/public")}), read, public)  # changed blindly


def test_the_ledger_gathers_until_taken_and_unknown_absorbs():
    ledger = ChangeLedger()
    assert ledger.take() is None  # what happened before it was made is not known
    ledger.note(["p a"])
    ledger.note(["p b"])
    assert ledger.take() == {"p a", "p b"}
    assert ledger.take() == frozenset()
    ledger.note(None)
    ledger.note(["p c"])
    assert ledger.take() is None
    assert changekeys.merge(frozenset({"p a"}), frozenset({"p b"})) == {"p a", "p b"}
    assert changekeys.merge(frozenset({"p a"}), None) is None


# ------------------------------------------------------------------ the store notes, the publisher publishes


def test_every_kind_of_write_notes_what_it_changed(store, settings, validator):
    store.take_changes()
    apply_update(store, validator, settings, actor_update("ledger"))  # a journalled write: its exact quads
    changed = store.take_changes()
    assert {type_key(str(TSC.Actor)), predicate_key(SKOS_LABEL), predicate_key(RDF_TYPE)} <= changed
    assert type_key(str(TSC.Project)) not in changed and predicate_key(str(TSC.contributesToTarget)) not in changed
    store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/x> {{ <{BASE}s> <{BASE}p> <{BASE}o> }} }}")
    assert store.take_changes() is None  # a write that does not say: anything may have changed
    content = Graph().parse(data=f"<{BASE}s> a <{BASE}C> ; <{BASE}q> 1 .", format="turtle")
    store.add_graphs({f"{BASE}graph/x": content})
    assert store.take_changes() == {type_key(f"{BASE}C"), predicate_key(RDF_TYPE), predicate_key(f"{BASE}q")}
    store.replace_graphs({f"{BASE}graph/x": content})
    assert store.take_changes() == {graph_key(f"{BASE}graph/x")}  # what it held before is not read
    store.drop_graph(f"{BASE}graph/x")
    assert store.take_changes() == {graph_key(f"{BASE}graph/x")}


def test_the_published_state_says_what_changed_since_the_public_state_before(store, settings, validator, tmp_path):
    publisher = SnapshotPublisher(store, tmp_path / "snapshots")
    first = read_state(tmp_path / "snapshots")
    assert first.prior is None and first.changed is None
    apply_update(store, validator, settings, actor_update("published"))
    publisher.refresh()
    state = read_state(tmp_path / "snapshots")
    assert state.prior == first.public and type_key(str(TSC.Actor)) in state.changed
    assert type_key(str(TSC.Project)) not in state.changed
    # a private write's keys ride into the next public state (it may hold another thread's public write)
    store.update(f"INSERT DATA {{ GRAPH <{settings.moderation_graph}> {{ <{BASE}s> <{BASE}p> 1 }} }}",
                 changes=[predicate_key(f"{BASE}p")])
    publisher.refresh(public=False)
    private = read_state(tmp_path / "snapshots")
    assert (private.public, private.prior, private.changed) == (state.public, state.prior, state.changed)
    apply_update(store, validator, settings, actor_update("after"))
    publisher.refresh()
    last = read_state(tmp_path / "snapshots")
    assert last.prior == state.public and predicate_key(f"{BASE}p") in last.changed
    store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/y> {{ <{BASE}s> <{BASE}p> 2 }} }}")
    publisher.refresh()
    assert read_state(tmp_path / "snapshots").changed is None


# ------------------------------------------------------------------ a listing keeps its answers across such writes


class Counting:
    def __init__(self, store):
        self.store, self.calls = store, 0

    def select(self, sparql, **kwargs):
        self.calls += 1
        return self.store.select(sparql, **kwargs)


@pytest.mark.parametrize("change, kept", [
    (frozenset({type_key(str(TSC.Actor)), predicate_key(RDF_TYPE), predicate_key(SKOS_LABEL)}), True),
    (frozenset({graph_key(f"{BASE}graph/submission/x")}), True),  # a private graph
    (frozenset({predicate_key(str(TSC.contributesToTarget))}), False),  # a facet's property
    (frozenset({type_key(str(TSC.Project))}), False),  # a member more or less
    (frozenset({predicate_key("http://purl.org/dc/terms/title")}), False),  # the sort key
    (frozenset({graph_key(f"{BASE}graph/local")}), False),  # a public graph replaced
    (None, False),
])
def test_a_listing_keeps_the_answers_of_the_state_before_only_when_the_change_missed_them(store, settings, data, change,
                                                                                         kept):
    store.add_graphs({settings.local_graph: data})
    memo, counting = StateCache(), Counting(store)
    selection = facets.parse_selection(PROJECTS, {"target": ["3"]}, BASE)
    visible = settings.is_public_graph
    pick = lambda texts: str(texts[0]) if texts else None  # noqa: E731
    before = facets.run_listing(counting, memo, "r:1", PROJECTS, selection, pick, visible=visible)
    asked = counting.calls
    after = facets.run_listing(counting, memo, "r:2", PROJECTS, selection, pick, since=("r:1", change), visible=visible)
    assert after == before
    assert (counting.calls == asked) is kept
    if kept:  # kept for the new state too: the state after it may keep it again
        facets.run_listing(counting, memo, "r:3", PROJECTS, selection, pick, since=("r:2", frozenset()), visible=visible)
        assert counting.calls == asked


# ------------------------------------------------------------------ through the real server: never an old answer


def test_listings_after_writes_through_the_readers_are_never_the_state_before(tmp_path):
    """Two readers, one writer: an actor written leaves the projects listing as it was (kept) and shows in the
    actors listing; a project given a target shows in that target's selection and counts at once."""
    server = start_server(tmp_path, update_tokens=TOKEN_HASH, web_processes="2")
    try:
        url = server.url

        def listing(path: str) -> dict:
            answer = requests.get(url + path, timeout=30, headers={"Cache-Control": "no-cache"})
            assert answer.status_code == 200, answer.text
            return answer.json()

        def update(text: str) -> None:
            answer = requests.post(url + "/update", data=text.encode(), timeout=60,
                                   headers={**AUTH, "Content-Type": "application/sparql-update"})
            assert answer.status_code == 200, answer.text

        projects, actors = listing("/projects?format=json"), listing("/actors?format=json")
        for _ in range(2):  # both readers
            listing("/projects?format=json&target=5")
        with_five = listing("/projects?format=json&target=5")
        update(actor_update("through-readers"))
        for _ in range(2):
            assert listing("/projects?format=json")["total"] == projects["total"]
            assert listing("/actors?format=json")["total"] == actors["total"] + 1
        lacking = next(p["iri"] for p in projects["items"]
                       if not any(t["iri"].endswith("/target/5") for t in p["targets"]))
        update(PREFIX + f"INSERT DATA {{ GRAPH <{BASE}graph/local> {{ <{lacking}> tsc:contributesToTarget "
                        "<https://w3id.org/tscgraph/vocab/gbf/target/5> } }")
        for _ in range(2):
            now = listing("/projects?format=json&target=5")
            assert now["total"] == with_five["total"] + 1 and lacking in {p["iri"] for p in now["items"]}
    finally:
        stop_server(server)
