"""What a write changed (graph/changekeys.py), noted by the store, published with the snapshot, and the listings'
answers of the state before kept only when the change cannot have touched them."""

from __future__ import annotations

import pytest
import requests
from rdflib import Graph, URIRef

from graph import changekeys
from graph.changekeys import Change, ChangeLedger, graph_key, predicate_key, type_key, unchanged_for
from graph.namespaces import PREFIXES, TSC
from graph.store import oxigraph
from graph.store.snapshots import SnapshotPublisher, read_state
from graph.writes import apply_update
from tests.conftest import AUTH, BASE, TOKEN_HASH, start_server, stop_server
from web import facets
from web.context import StateCache
from web.projects import PROJECTS

SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDF_TYPE = changekeys.RDF_TYPE
PREFIX = "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"


def keys(*found: str) -> Change:
    """A change of these keys, their subjects not known."""
    return Change({key: None for key in found})


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
    assert unchanged_for(keys(predicate_key(SKOS_LABEL), type_key("https://ex.org/Actor"), predicate_key(RDF_TYPE),
                              graph_key("https://ex.org/private")), read, public)
    assert unchanged_for(keys(), read, public)
    assert not unchanged_for(None, read, public)  # unknown
    assert not unchanged_for(keys(type_key("https://ex.org/Project")), read, public)
    assert not unchanged_for(keys(predicate_key("https://ex.org/title")), read, public)
    assert not unchanged_for(keys(graph_key("https://ex.org/public")), read, public)  # changed blindly
    # which subjects: those of the keys it reads, when every one of them is known
    title, label = predicate_key("https://ex.org/title"), predicate_key(SKOS_LABEL)
    known = Change({title: frozenset({"https://ex.org/p1"}), label: None, type_key("https://ex.org/Project"):
                    frozenset({"https://ex.org/p2"})})
    assert changekeys.touched(known, read, public) == {"https://ex.org/p1", "https://ex.org/p2"}
    assert changekeys.touched(Change({title: None}), read, public) is None
    assert changekeys.touched(Change({label: None}), read, public) == frozenset()


def test_an_answer_is_kept_from_the_nearest_earlier_state_it_was_computed_in(settings):
    memo, read = StateCache(), frozenset({predicate_key("https://ex.org/title")})
    visible = settings.is_public_graph
    memo.remember("r:1", "q", lambda: "computed in r:1")
    other, title = keys(predicate_key(SKOS_LABEL)), keys(predicate_key("https://ex.org/title"))
    assert memo.remember("r:3", "q", lambda: "anew", reads=read, visible=visible,
                         since=[("r:2", other), ("r:1", other)]) == "computed in r:1"
    memo.remember("r:4", "q", lambda: "computed in r:4")
    assert memo.remember("r:6", "q", lambda: "anew", reads=read, visible=visible,
                         since=[("r:5", title), ("r:4", title), ("r:3", other)]) == "anew"  # r:4's changed since


def test_the_ledger_gathers_until_taken_and_unknown_absorbs():
    ledger = ChangeLedger()
    assert ledger.take() is None  # what happened before it was made is not known
    ledger.note(["p a"])
    ledger.note({"p b": ["https://ex.org/s1"]})
    ledger.note({"p b": ["https://ex.org/s2"], "p c": ["https://ex.org/s3"]})
    assert ledger.take() == Change({"p a": None, "p b": frozenset({"https://ex.org/s1", "https://ex.org/s2"}),
                                    "p c": frozenset({"https://ex.org/s3"})})
    assert ledger.take() == Change({})
    ledger.note({"p d": [f"https://ex.org/s{n}" for n in range(changekeys.MAX_SUBJECTS + 1)]})
    assert ledger.take() == Change({"p d": None})  # too many to keep
    ledger.note(None)
    ledger.note(["p c"])
    assert ledger.take() is None
    first, second = Change({"p a": frozenset({"x"})}), Change({"p a": frozenset({"y"}), "p b": None})
    assert changekeys.merge(first, second) == Change({"p a": frozenset({"x", "y"}), "p b": None})
    assert changekeys.merge(first, None) is None
    assert Change.from_json(changekeys.merge(first, second).to_json()) == changekeys.merge(first, second)


# ------------------------------------------------------------------ the store notes, the publisher publishes


def test_every_kind_of_write_notes_what_it_changed(store, settings, validator, monkeypatch):
    store.take_changes()
    apply_update(store, validator, settings, actor_update("ledger"))  # a journalled write: its exact quads
    changed = store.take_changes()
    assert {type_key(str(TSC.Actor)), predicate_key(SKOS_LABEL), predicate_key(RDF_TYPE)} <= changed.keys
    assert changed.subjects[type_key(str(TSC.Actor))] == {f"{BASE}id/actor/ledger"}
    assert type_key(str(TSC.Project)) not in changed.keys
    assert predicate_key(str(TSC.contributesToTarget)) not in changed.keys
    store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/x> {{ <{BASE}s> <{BASE}p> <{BASE}o> }} }}")
    assert store.take_changes() is None  # a write that does not say: anything may have changed
    content = Graph().parse(data=f"<{BASE}s> a <{BASE}C> ; <{BASE}q> 1 . [] <{BASE}q> 2 .", format="turtle")
    store.add_graphs({f"{BASE}graph/x": content})
    assert store.take_changes() == Change({type_key(f"{BASE}C"): frozenset({f"{BASE}s"}),
                                           predicate_key(RDF_TYPE): frozenset({f"{BASE}s"}),
                                           predicate_key(f"{BASE}q"): None})  # a blank node's: not known
    # a graph replaced whole: the triples only one side holds (the same content again: the update's triple, gone)
    store.replace_graphs({f"{BASE}graph/x": content})
    assert store.take_changes() == Change({predicate_key(f"{BASE}p"): frozenset({f"{BASE}s"})})
    again = f"<{BASE}s> a <{BASE}C> ; <{BASE}q> 3 . <{BASE}t> <{BASE}q> 4 ."
    store.replace_graphs({f"{BASE}graph/x": Graph().parse(data=again, format="turtle")})
    assert store.take_changes() == Change({predicate_key(f"{BASE}q"): None})  # a blank node's triple went
    store.replace_graphs({f"{BASE}graph/x": Graph().parse(data=again.replace(" 3 ", " 5 "), format="turtle")})
    assert store.take_changes() == Change({predicate_key(f"{BASE}q"): frozenset({f"{BASE}s"})})
    monkeypatch.setattr(oxigraph, "DIFF_LIMIT", 1)  # a large graph: what it held before is not read
    store.replace_graphs({f"{BASE}graph/x": content})
    assert store.take_changes() == keys(graph_key(f"{BASE}graph/x"))
    store.drop_graph(f"{BASE}graph/x")
    assert store.take_changes() == keys(graph_key(f"{BASE}graph/x"))


def test_the_published_state_says_what_changed_since_the_public_state_before(store, settings, validator, tmp_path):
    publisher = SnapshotPublisher(store, tmp_path / "snapshots")
    first = read_state(tmp_path / "snapshots")
    assert first.prior is None and first.changes_since() == []
    apply_update(store, validator, settings, actor_update("published"))
    publisher.refresh()
    state = read_state(tmp_path / "snapshots")
    changed = dict(state.changes_since())[first.public]
    assert state.prior == first.public and type_key(str(TSC.Actor)) in changed.keys
    assert type_key(str(TSC.Project)) not in changed.keys
    # a private write's keys ride into the next public state (it may hold another thread's public write)
    store.update(f"INSERT DATA {{ GRAPH <{settings.moderation_graph}> {{ <{BASE}s> <{BASE}p> 1 }} }}",
                 changes=[predicate_key(f"{BASE}p")])
    publisher.refresh(public=False)
    private = read_state(tmp_path / "snapshots")
    assert (private.public, private.prior, private.history) == (state.public, state.prior, state.history)
    apply_update(store, validator, settings, actor_update("after"))
    publisher.refresh()
    last = read_state(tmp_path / "snapshots")
    assert last.prior == state.public and predicate_key(f"{BASE}p") in dict(last.changes_since())[state.public].keys
    store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/y> {{ <{BASE}s> <{BASE}p> 2 }} }}")
    publisher.refresh()
    newest = read_state(tmp_path / "snapshots")
    assert dict(newest.changes_since())[last.public] is None
    # what changed since each of the last public states, nearest first: a reader that last computed an answer
    # two states ago may still keep it, or bring it up to date
    assert [start for start, _change in newest.changes_since()] == [last.public, state.public, first.public]
    since_state = dict(newest.changes_since())[state.public]
    assert since_state is None  # through the unknown write
    apply_update(store, validator, settings, actor_update("later"))
    publisher.refresh()
    apply_update(store, validator, settings, actor_update("latest"))
    publisher.refresh()
    two = dict(read_state(tmp_path / "snapshots").changes_since())[newest.public]
    assert two.subjects[type_key(str(TSC.Actor))] == {f"{BASE}id/actor/later", f"{BASE}id/actor/latest"}


# ------------------------------------------------------------------ a listing keeps its answers across such writes


class Counting:
    def __init__(self, store):
        self.store, self.calls, self.asked = store, 0, []

    def select(self, sparql, **kwargs):
        self.calls += 1
        self.asked.append(sparql)
        return self.store.select(sparql, **kwargs)


@pytest.mark.parametrize("change, kept", [
    (keys(type_key(str(TSC.Actor)), predicate_key(RDF_TYPE), predicate_key(SKOS_LABEL)), True),
    (keys(graph_key(f"{BASE}graph/submission/x")), True),  # a private graph
    (keys(predicate_key(str(TSC.contributesToTarget))), False),  # a facet's property
    (keys(type_key(str(TSC.Project))), False),  # a member more or less
    (keys(predicate_key("http://purl.org/dc/terms/title")), False),  # the sort key
    (keys(graph_key(f"{BASE}graph/local")), False),  # a public graph replaced
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
    after = facets.run_listing(counting, memo, "r:2", PROJECTS, selection, pick, since=[("r:1", change)], visible=visible)
    assert after == before
    assert (counting.calls == asked) is kept
    if kept:  # kept for the new state too: the state after it may keep it again
        facets.run_listing(counting, memo, "r:3", PROJECTS, selection, pick, since=[("r:2", keys())], visible=visible)
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


# ------------------------------------------------------------------ ... and brings them up to date for a few items


P = "https://w3id.org/tscgraph/ontology#"
TARGET = "https://w3id.org/tscgraph/vocab/gbf/target/"


def facet_counts(answer) -> dict:
    return {key: {(str(v.value), v.count) for v in values} for key, values in answer.facets.items()}


@pytest.mark.parametrize("sort", ["", "-title", "-start", "budget"])
@pytest.mark.parametrize("write, keys_of", [
    ("INSERT DATA {{ GRAPH <{g}> {{ <{p}> tsc:contributesToTarget <" + TARGET + "7> }} }}", [P + "contributesToTarget"]),
    ('DELETE {{ GRAPH <{g}> {{ <{p}> dcterms:title ?t }} }} INSERT {{ GRAPH <{g}> {{ <{p}> dcterms:title "Zzz last"@en, '
     '"Aaa premier"@fr }} }} WHERE {{ GRAPH <{g}> {{ <{p}> dcterms:title ?t }} }}', ["http://purl.org/dc/terms/title"]),
    ("DELETE WHERE {{ GRAPH <{g}> {{ <{p}> ?x ?y }} }}", None),  # the project gone: every key of its triples
    ('INSERT DATA {{ GRAPH <{g}> {{ <{n}> a tsc:Project ; dcterms:title "A new one"@en ; tsc:status <https://w3id.org/'
     'tscgraph/vocab/status/ongoing> ; <https://schema.org/startDate> "2031-01-01"^^<http://www.w3.org/2001/XMLSchema#date> ; '
     'tsc:contributesToTarget <' + TARGET + '3> }} }}', None),
])
def test_the_unfiltered_listing_is_brought_up_to_date_for_the_items_a_write_touched(data, settings, monkeypatch, sort,
                                                                                    write, keys_of):
    """The answers of the state before, less the touched items as they were, plus them as they are, are the answers
    computed anew — for the items (membership), every facet's counts and the order — while the engine is asked
    about the touched items only. VALUES_LIMIT 0: every count and key is asked over the whole class, as at 1M."""
    from graph.store.oxigraph import OxigraphStore

    monkeypatch.setattr(facets, "VALUES_LIMIT", 0)
    graph = settings.local_graph
    before, after = OxigraphStore(None), OxigraphStore(None)
    for store in (before, after):
        store.add_graphs({graph: data})
    project = sorted(str(r["p"]) for r in before.select(PREFIX + "SELECT ?p WHERE { ?p a tsc:Project }"))[0]
    new = f"{BASE}id/project/brought-up-to-date"
    after.take_changes()
    after.update(PREFIX + "PREFIX dcterms: <http://purl.org/dc/terms/>\n" + write.format(g=graph, p=project, n=new))
    if keys_of is None:  # what the store's own account of such a write says: as a journalled write notes it
        removed = before.select(f"SELECT ?p ?o WHERE {{ <{project}> ?p ?o }}") if "DELETE" in write else []
        added = after.select(f"SELECT ?p ?o WHERE {{ <{new}> ?p ?o }}")
        subjects: dict = {}
        for subject, rows in ((project, removed), (new, added)):
            for row in rows:
                for key in changekeys.triple_keys(str(row["p"]), str(row["o"]) if not hasattr(row["o"], "language") else None):
                    subjects.setdefault(key, set()).add(subject)
        change = Change({k: frozenset(v) for k, v in subjects.items()})
    else:
        change = Change({predicate_key(k): frozenset({project}) for k in keys_of})
    selection = facets.parse_selection(PROJECTS, {"sort": [sort]} if sort else {}, BASE)
    visible = settings.is_public_graph
    pick = lambda texts: sorted(str(t) for t in texts if t.language == "en")[0] if texts else None  # noqa: E731
    memo = StateCache()
    facets.run_listing(before, memo, "r:1", PROJECTS, selection, pick, visible=visible)
    # an actor written: the answers kept whole for "r:1c" (only what was asked of them: not every item's sort keys)
    facets.run_listing(Counting(before), memo, "r:1c", PROJECTS, selection, pick, visible=visible,
                       since=[("r:1", keys(type_key(str(TSC.Actor)), predicate_key(SKOS_LABEL)))])
    counting = Counting(after)
    # the nearest earlier state ("r:1d") was computed by another reader: brought up to date from "r:1c"
    kept = facets.run_listing(counting, memo, "r:2", PROJECTS, selection, pick,
                              since=[("r:1d", change), ("r:1c", change), ("r:1", change)], visible=visible,
                              store_of=lambda _earlier: before)
    fresh = facets.run_listing(after, StateCache(), "x", PROJECTS, selection, pick, visible=visible)
    assert (kept.total, kept.ordered, facet_counts(kept)) == (fresh.total, fresh.ordered, facet_counts(fresh))
    assert all("VALUES ?item" in q for q in counting.asked)  # the touched items only


@pytest.mark.parametrize("values_limit", [0, facets.VALUES_LIMIT])
def test_a_change_to_a_property_it_reads_on_something_not_listed_leaves_the_listing_as_it_was(data, settings,
                                                                                             monkeypatch, values_limit):
    """An actor's description is a property the projects listing reads (a project's text), on no project: brought
    up to date, the listing is the one computed anew — with the counts asked over a whole class (at 1M) or over the
    items' IRIs (the bundled data), whose rows have no item to take out."""
    from graph.store.oxigraph import OxigraphStore

    monkeypatch.setattr(facets, "VALUES_LIMIT", values_limit)
    store = OxigraphStore(None)
    store.add_graphs({settings.local_graph: data})
    actor = str(sorted(r["a"] for r in store.select(PREFIX + "SELECT ?a WHERE { ?a a tsc:Actor }"))[0])
    change = Change({predicate_key("http://purl.org/dc/terms/description"): frozenset({actor})})
    selection, visible = facets.parse_selection(PROJECTS, {}, BASE), settings.is_public_graph
    pick = lambda texts: sorted(str(t) for t in texts)[0] if texts else None  # noqa: E731
    memo = StateCache()
    facets.run_listing(store, memo, "r:1", PROJECTS, selection, pick, visible=visible)
    kept = facets.run_listing(store, memo, "r:2", PROJECTS, selection, pick, since=[("r:1", change)], visible=visible,
                              store_of=lambda _earlier: store)
    fresh = facets.run_listing(store, StateCache(), "x", PROJECTS, selection, pick, visible=visible)
    assert (kept.total, kept.ordered, facet_counts(kept)) == (fresh.total, fresh.ordered, facet_counts(fresh))


def test_a_write_the_listing_cannot_follow_item_by_item_computes_it_anew(settings):
    """A budget's amount (a step beyond the item), too many items, or subjects not known: computed anew."""
    selection = facets.parse_selection(PROJECTS, {}, BASE)
    kw = {"visible": settings.is_public_graph, "store_of": lambda _earlier: None}
    assert facets._touched_items(PROJECTS, selection, ("r:1", Change({predicate_key("https://schema.org/value"):
                                                                      frozenset({f"{BASE}id/budget/1"})})), **kw) is None
    many = frozenset(f"{BASE}id/project/{n}" for n in range(facets.DELTA_LIMIT + 1))
    assert facets._touched_items(PROJECTS, selection, ("r:1", Change({type_key(P + "Project"): many})), **kw) is None
    assert facets._touched_items(PROJECTS, selection, ("r:1", Change({type_key(P + "Project"): None})), **kw) is None
    from web.actors import ACTORS
    assert facets.listing_deep_reads(ACTORS) == {predicate_key(P + "offeredBy"), predicate_key(P + "contributesToTarget"),
                                                 predicate_key(P + "modality")}  # an offer's, reached from an actor
    offered = Change({predicate_key(P + "offeredBy"): frozenset({f"{BASE}id/offer/1"})})
    assert facets._touched_items(ACTORS, facets.parse_selection(ACTORS, {}, BASE), ("r:1", offered), **kw) is None
    filtered = facets.parse_selection(PROJECTS, {"target": ["3"]}, BASE)
    one = Change({type_key(P + "Project"): frozenset({f"{BASE}id/project/x"})})
    assert facets._touched_items(PROJECTS, filtered, ("r:1", one), **kw) is None  # a selection: computed anew
    assert facets._touched_items(PROJECTS, selection, ("r:1", one), **kw) == [URIRef(f"{BASE}id/project/x")]


def test_the_app_brings_the_listing_up_to_date_from_the_snapshot_before(tmp_path, validator, monkeypatch):
    """In the app: the state before is read from its snapshot (opened for the request, closed after it), and what
    the page then shows is what a computation anew shows."""
    from flask import g

    from graph.loading import setup_store
    from graph.store.oxigraph import OxigraphStore
    from server import create_app
    from tests.conftest import make_settings
    from web import context
    from web.labels import pick_text

    monkeypatch.setattr(facets, "VALUES_LIMIT", 0)  # every count over the whole class, as at 1M
    brought: list = []
    monkeypatch.setattr(facets, "counted", lambda *rows: brought.append(rows) or counted(*rows))
    settings = make_settings(tmp_path, update_tokens=TOKEN_HASH)
    with OxigraphStore(settings.store_dir) as store:
        setup_store(store, settings, validator)
    app = create_app(settings)
    try:
        client = app.test_client()
        assert client.get("/projects").status_code == 200
        project = client.get("/projects?format=json").get_json()["items"][0]["iri"]
        # the write as the writer makes it (validated here, not by the app's validation workers: their queue wait
        # under a loaded machine answered 503 once), then its snapshot published
        apply_update(app.extensions["tscgraph.store"], validator, settings, PREFIX + (
            f"INSERT DATA {{ GRAPH <{settings.local_graph}> {{ <{project}> tsc:contributesToTarget <{TARGET}7> }} }}"))
        app.extensions["tscgraph.snapshots"].refresh()
        with app.test_request_context("/projects"):
            selection = facets.request_selection(PROJECTS)
            kept = facets.answer(PROJECTS, selection)
            assert brought and any(g.get("earlier_stores", {}).values())  # the snapshot before, read
            fresh = facets.run_listing(context.store(), StateCache(), "x", PROJECTS, selection, pick_text, "en")
            context.close_earlier_stores()
        assert (kept.total, kept.ordered, facet_counts(kept)) == (fresh.total, fresh.ordered, facet_counts(fresh))
        assert (f"{TARGET}7", dict(facet_counts(fresh)["target"]).get(f"{TARGET}7")) in facet_counts(kept)["target"]
    finally:
        app.extensions["tscgraph.shutdown"]()


counted = facets.counted


def test_threads_asking_one_answer_at_once_compute_it_once_and_a_failure_passes_the_turn():
    import threading
    import time

    memo, calls, release = StateCache(), [], threading.Event()

    def slow() -> str:
        calls.append("slow")
        release.wait(10)
        return "answer"

    got: list = []
    first = threading.Thread(target=lambda: got.append(memo.remember("r:1", "q", slow)))
    first.start()
    while ("r:1", "q") not in memo.computing:  # bounded by the thread: it marks the question as it starts
        time.sleep(0.001)
    second = threading.Thread(target=lambda: got.append(memo.remember("r:1", "q", lambda: calls.append("again") or "again")))
    second.start()
    time.sleep(0.05)  # the second thread is waiting on the first's computation
    release.set()
    first.join(10), second.join(10)
    assert got == ["answer", "answer"] and calls == ["slow"] and not memo.computing

    def failing() -> str:
        raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError):
        memo.remember("r:2", "q", failing)
    assert memo.remember("r:2", "q", lambda: "computed after") == "computed after" and not memo.computing


def test_a_reader_prepares_the_unfiltered_listings_in_every_language_as_it_starts(tmp_path, validator):
    """What the first visitor of a listing asks is computed already: the listing's queries it runs are all answered
    from what ``warm_listings`` computed."""
    from graph.loading import setup_store
    from graph.store.oxigraph import OxigraphStore
    from server import create_app
    from serving.reader import warm_listings
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    with OxigraphStore(settings.store_dir) as store:
        setup_store(store, settings, validator)
    app = create_app(settings)
    try:
        warm_listings(app).join(120)
        memo = app.extensions["tscgraph.state_cache"]
        prepared = {key for key in memo.answers if key[1][0] == "select"}
        assert len(prepared) >= 4
        client = app.test_client()
        for path in ("/projects?lang=en", "/projects?lang=fr", "/actors?lang=en", "/actors?lang=fr"):
            assert client.get(path).status_code == 200
        assert {key for key in memo.answers if key[1][0] == "select"} == prepared
    finally:
        app.extensions["tscgraph.shutdown"]()


def test_writes_to_a_private_graph_are_noted_as_that_graph_alone(settings, validator):
    """A pending submission (a budget: a blank node) leaves the public answers as they were; an answer that sees the
    submission's graph is computed anew."""
    import pyoxigraph as ox

    from graph.store import open_store

    submission = settings.submission_graph("pending-1")
    content = Graph().parse(data=f"""@prefix tsc: <https://w3id.org/tscgraph/ontology#> .
        @prefix schema: <https://schema.org/> .
        <{BASE}id/project/pending> a tsc:Project ; tsc:budget [ schema:value 10 ] .""", format="turtle")
    read = frozenset({type_key(str(TSC.Project)), predicate_key("https://schema.org/value")})
    with open_store(settings) as store:
        store.take_changes()
        store.add_graphs({submission: content})
        added = store.take_changes()
        store.replace_graphs({submission: content})
        replaced = store.take_changes()
        # what the journal reports of a write that removes a record from a submission's graph (an approval)
        store._note_quads([ox.Quad(ox.NamedNode(f"{BASE}id/project/pending"), ox.NamedNode(RDF_TYPE),
                                   ox.NamedNode(str(TSC.Project)), ox.NamedNode(submission))])
        journalled = store.take_changes()
        apply_update(store, validator, settings, actor_update("public"))
        public = store.take_changes()
    for change in (added, replaced, journalled):
        assert change == keys(graph_key(submission))
        assert unchanged_for(change, read, settings.is_public_graph)
        assert not unchanged_for(change, read, lambda graph: True)  # an editor's answer sees it
    assert type_key(str(TSC.Actor)) in public.keys  # a public graph's write: by its properties, as before
