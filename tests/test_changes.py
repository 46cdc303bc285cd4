"""Change feeds (graph/changes.py, web/changes.py): every write path logs Create/Update/Delete per record,
numbers run 1, 2, 3… per graph, a sync is idempotent and heals a missed one, and partners read the feeds
as ActivityStreams 2.0 pages over HTTP."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from graph import changes
from graph.changes import after_write, compare, feed_of, graph_of_feed, known_states, last_number, sync, sync_all
from graph.loading import setup_store
from graph.namespaces import AS, TSC
from graph.writes import apply_update, delete_graph, put_graph, replace_records
from loaders.harvest import Source, harvest_source
from tests.conftest import AUTH, BASE, TOKEN_HASH, start_server, stop_server

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
ACTIVITIES = """PREFIX as: <https://www.w3.org/ns/activitystreams#> PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT ?log ?target ?n ?type ?object ?digest WHERE { GRAPH ?log { ?a as:target ?target ; a ?type ; as:object ?object ;
  tsc:changeNumber ?n . OPTIONAL { ?a tsc:recordDigest ?digest } } } ORDER BY ?n"""


def feed(store, settings, graph) -> list[tuple[int, str, str]]:
    rows = store.select(ACTIVITIES, bindings={"log": URIRef(settings.changes_graph), "target": URIRef(graph)})
    return [(int(r["n"]), str(r["type"]).rsplit("#", 1)[-1], str(r["object"])) for r in rows]


def actor(slug: str, name: str = "") -> Graph:
    g = Graph()
    iri = URIRef(BASE + "id/actor/" + slug)
    g.add((iri, RDF.type, TSC.Organisation))
    g.add((iri, SKOS.prefLabel, Literal(name or f"Example: {slug}", lang="en")))
    g.add((iri, TSC.actorType, URIRef("https://w3id.org/tscgraph/vocab/actor-type/ngo")))
    return g


def test_feeds_belong_to_graphs_holding_records(settings):
    assert feed_of(settings.local_graph) == (settings.changes_graph, "local")
    assert feed_of(settings.ontology_graph) == (settings.changes_graph, "ontology")
    assert feed_of(settings.harvest_graph("partner-b")) == (settings.changes_graph, "harvest/partner-b")
    for none in (settings.changes_graph, settings.log_graph, settings.moderation_graph, settings.thesaurus_graph,
                 settings.submission_graph("x"), settings.graph_base + "quarantine/b", settings.graph_base + "harvest/",
                 "urn:x:local", BASE + "graph/harvest-log"):
        assert feed_of(none) is None, none
    assert graph_of_feed(settings.changes_graph, "harvest/partner-b") == settings.harvest_graph("partner-b")
    assert graph_of_feed(settings.changes_graph, "moderation") is None
    assert graph_of_feed(settings.changes_graph, "../x") is None


def test_compare_says_created_updated_deleted_and_recreated():
    a, b, c, d = (URIRef(f"urn:x:{n}") for n in "abcd")
    found = compare("g", {a: "1", b: "2", c: None, d: "4"}, {a: "1", b: "9", c: "3"})
    assert (found.created, found.updated, found.deleted) == ([c], [b], [d])
    scoped = compare("g", {a: "1", d: "4"}, {a: "2"}, scope=[a])
    assert (scoped.created, scoped.updated, scoped.deleted) == ([], [a], [])


def test_setup_logs_every_record_once_and_a_second_sync_nothing(store, settings, validator):
    setup_store(store, settings, validator)
    local = feed(store, settings, settings.local_graph)
    records = {s for s, o in store.read_graph(settings.local_graph).subject_objects(RDF.type) if str(o).startswith(str(TSC))}
    assert {o for _n, _t, o in local} == {str(r) for r in records} and len(local) == len(records) > 20
    assert [n for n, _t, _o in local] == list(range(1, len(local) + 1))
    assert {t for _n, t, _o in local} == {"Create"}
    assert len(feed(store, settings, settings.ontology_graph)) > 300  # goals, targets, articles, countries…
    assert sync_all(store) == []
    setup_store(store, settings, validator)  # the ontology is installed again: nothing changed, nothing logged
    assert len(feed(store, settings, settings.local_graph)) == len(local)


def test_each_write_path_logs_its_changes(store, settings, validator):
    setup_store(store, settings, validator)
    local = settings.local_graph
    start = last_number(store, local)
    a, b = URIRef(BASE + "id/actor/feed-a"), URIRef(BASE + "id/actor/feed-b")
    apply_update(store, validator, settings, "INSERT DATA { " + actor("feed-a").serialize(format="nt") + " }")
    assert feed(store, settings, local)[start:] == [(start + 1, "Create", str(a))]
    replace_records(store, local, actor("feed-a", "Example: renamed"), [a])
    assert feed(store, settings, local)[start + 1:] == [(start + 2, "Update", str(a))]
    replace_records(store, local, actor("feed-a", "Example: renamed"), [a])  # same description: no activity
    assert last_number(store, local) == start + 2
    apply_update(store, validator, settings, f"DELETE WHERE {{ <{a}> ?p ?o }}")
    assert feed(store, settings, local)[start + 2:] == [(start + 3, "Delete", str(a))]
    apply_update(store, validator, settings, "INSERT DATA { " + actor("feed-a").serialize(format="nt") + " }")
    assert feed(store, settings, local)[start + 3:] == [(start + 4, "Create", str(a))]  # back again: created
    other = settings.harvest_graph("gsp")
    put_graph(store, validator, other, actor("feed-b"))
    assert feed(store, settings, other) == [(1, "Create", str(b))]  # each graph numbers from 1
    assert delete_graph(store, other)
    assert feed(store, settings, other) == [(1, "Create", str(b)), (2, "Delete", str(b))]
    states = known_states(store, local, [a])
    assert states == {a: changes.record_digests(actor("feed-a"))[a]}


def test_private_and_bookkeeping_graphs_have_no_feed(store, settings, validator):
    setup_store(store, settings, validator)
    before = store.count(settings.changes_graph)
    store.add_graphs({settings.submission_graph("s1"): actor("pending")})
    assert after_write(store, [settings.submission_graph("s1"), settings.log_graph]) == []
    assert store.count(settings.changes_graph) == before


def test_a_sync_missed_by_a_crash_is_healed_by_the_next_whole_graph_sync(store, settings, validator):
    setup_store(store, settings, validator)
    local = settings.local_graph
    start = last_number(store, local)
    store.add_graphs({local: actor("unlogged")})  # written, then the process "died" before its sync
    assert last_number(store, local) == start
    healed = sync_all(store)
    assert [(c.graph, [str(r) for r in c.created]) for c in healed] == [(local, [BASE + "id/actor/unlogged"])]
    assert feed(store, settings, local)[-1] == (start + 1, "Create", BASE + "id/actor/unlogged")


def test_harvest_logs_changes_and_an_unchanged_harvest_none(store, settings, validator, tmp_path):
    setup_store(store, settings, validator)
    source = tmp_path / "partner.ttl"
    source.write_text(actor("p1").serialize(format="turtle") + actor("p2").serialize(format="turtle"))
    src = Source("partner-f", "rdf", str(source))
    graph = settings.harvest_graph("partner-f")
    assert harvest_source(store, settings, src, validator).outcome == "ok"
    assert [(t, o.rsplit("/", 1)[-1]) for _n, t, o in feed(store, settings, graph)] == [("Create", "p1"), ("Create", "p2")]
    assert harvest_source(store, settings, src, validator).outcome == "unchanged"
    assert last_number(store, graph) == 2
    source.write_text(actor("p1", "Example: p1 renamed").serialize(format="turtle"))
    assert harvest_source(store, settings, src, validator).outcome == "ok"
    assert [(n, t, o.rsplit("/", 1)[-1]) for n, t, o in feed(store, settings, graph)][2:] == [
        (3, "Update", "p1"), (4, "Delete", "p2")]


def test_activities_are_activitystreams_with_digest_and_time(store, settings):
    g = actor("x")
    store.add_graphs({settings.local_graph: g})
    found = sync(store, settings.local_graph, now=NOW)
    node = changes.activity_iri(settings.changes_graph, "local", found.first)
    log = store.read_graph(settings.changes_graph)
    assert node == URIRef(BASE + "id/change/local/1")
    assert (node, RDF.type, AS.Create) in log and (node, AS.target, URIRef(settings.local_graph)) in log
    assert log.value(node, AS.endTime).toPython() == NOW
    assert str(log.value(node, TSC.recordDigest)) == changes.record_digests(g)[URIRef(BASE + "id/actor/x")]


def test_the_last_number_is_right_even_if_a_feed_has_a_gap(store, settings):
    """last_number reads the count of activities (cheap at any size) and checks it is the last; a feed whose
    numbers ever skip one (an activity removed by hand) is read with MAX instead, so no number is given twice."""
    local = settings.local_graph
    store.add_graphs({local: actor("a") + actor("b") + actor("c")})
    sync(store, local, now=NOW)
    assert last_number(store, local) == 3
    second = changes.activity_iri(settings.changes_graph, "local", 2)
    store.update(f"DELETE WHERE {{ GRAPH <{settings.changes_graph}> {{ <{second}> ?p ?o }} }}")
    assert last_number(store, local) == 3  # two activities left, numbered 1 and 3
    store.add_graphs({local: actor("d")})
    assert sync(store, local, now=NOW).first == 4


# ------------------------------------------------------------------ over HTTP


@pytest.fixture(scope="module")
def feed_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("feeds"), update_tokens=TOKEN_HASH, change_page_size="7",
                          query_workers="2")
    yield server.url
    stop_server(server)


def get(url: str, accept: str = "application/activity+json", **params) -> requests.Response:
    return requests.get(url, headers={"Accept": accept}, params=params, timeout=30)


def read_feed(url: str) -> list[dict]:
    """What a partner does: from the last page backwards, then every activity oldest first."""
    collection = get(url).json()
    items, page = [], collection["last"]["id"]
    for _ in range(1000):  # bounded
        body = get(page).json()
        items = body["orderedItems"] + items
        if "prev" not in body:
            break
        page = body["prev"]["id"]
    assert len(items) == collection["totalItems"]
    return items


def test_feeds_over_http_are_activitystreams_pages(feed_server):
    index = get(feed_server + "/changes")
    assert index.status_code == 200 and index.headers["Content-Type"].startswith("application/activity+json")
    names = {item["name"]: item for item in index.json()["items"]}
    assert {"local", "ontology"} <= set(names) and "moderation" not in names
    local = names["local"]["id"]
    collection = get(local).json()
    assert collection["type"] == "OrderedCollection" and collection["@context"] == "https://www.w3.org/ns/activitystreams"
    total = collection["totalItems"]
    assert total > 20 and collection["last"]["id"].endswith(f"/page/{-(-total // 7)}")
    first = get(collection["first"]["id"])
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = first.json()
    assert body["type"] == "OrderedCollectionPage" and body["startIndex"] == 0 and len(body["orderedItems"]) == 7
    assert "prev" not in body and body["next"]["id"].endswith("/page/2")
    item = body["orderedItems"][0]
    assert item["type"] == "Create" and item["id"] == BASE + "id/change/local/1"
    assert item["target"]["id"] == BASE + "graph/local" and "endTime" in item
    assert any(t.startswith(str(TSC)) for t in item["object"]["type"])
    turtle = requests.get(item["object"]["url"][0]["href"], timeout=30)
    assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")
    described = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(item["object"]["id"]), None, None) in described
    assert [i["id"].rsplit("/", 1)[-1] for i in read_feed(local)] == [str(n) for n in range(1, total + 1)]
    last = get(collection["last"]["id"])
    assert last.headers["Cache-Control"] == "no-cache"


def test_a_write_shows_in_the_feed_at_once(feed_server):
    local = feed_server + "/changes/local"
    before = get(local).json()["totalItems"]
    iri = BASE + "id/actor/feed-http"
    update = requests.post(feed_server + "/update", data={"update": "INSERT DATA { " + actor("feed-http").serialize(format="nt") + " }"},
                           headers=AUTH, timeout=30)
    assert update.status_code == 200, update.text
    update = requests.post(feed_server + "/update", data={"update": f"DELETE WHERE {{ <{iri}> ?p ?o }}"},
                           headers=AUTH, timeout=30)
    assert update.status_code == 200, update.text
    newest = read_feed(local)[before:]
    assert [(i["type"], i["object"]["id"]) for i in newest] == [("Create", iri), ("Delete", iri)]
    assert "url" not in newest[1]["object"] and "type" not in newest[1]["object"]
    assert "tsc:recordDigest" in newest[0]["object"]


def test_feed_errors_and_formats(feed_server):
    assert get(feed_server + "/changes/moderation").status_code == 404
    assert get(feed_server + "/changes/submission/x").status_code == 404
    assert get(feed_server + "/changes/nothing-here").status_code == 404
    assert get(feed_server + "/changes/local/page/0").status_code == 404
    assert get(feed_server + "/changes/local/page/100000").status_code == 404
    ld = get(feed_server + "/changes/local", accept="application/ld+json")
    assert ld.headers["Content-Type"] == 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    assert ld.headers["Access-Control-Allow-Origin"] == "*"
    html = get(feed_server + "/changes", accept="text/html")
    assert html.status_code == 200 and "/changes/local" in html.text
    assert get(feed_server + "/changes", accept="text/html", format="json").json()["type"] == "Collection"


def test_the_changes_page_in_a_browser(feed_server, page):
    from tests.conftest import screenshot

    page.goto(feed_server + "/changes?lang=fr")
    assert page.locator("h1").inner_text() == "Flux des changements"
    assert page.locator("table.changes a[href$='/changes/local']").count() == 1
    screenshot(page, "changes-fr")
    page.goto(feed_server + "/changes?lang=en")
    assert page.locator("h1").inner_text() == "Change feeds"



def test_a_node_harvests_a_partner_s_feed_increment_by_increment(feed_server, tmp_path, settings, validator):
    """Node A follows node B's feed (kind "changes"): the first run copies B's records, later runs fetch only
    the feed's newest pages and the descriptions of the records that changed."""
    from functools import partial

    from graph.store.oxigraph import OxigraphStore
    from loaders.harvest import fetch

    fetched: list[str] = []

    def counting_fetch(url, **kw):
        fetched.append(url)
        return partial(fetch, backoff=(0.01,), timeout=10)(url, **kw)

    def b_local() -> dict:
        nt = requests.get(feed_server + "/data", params={"graph": BASE + "graph/local"},
                          headers={"Accept": "application/n-triples"}, timeout=30).text
        return changes.record_digests(Graph().parse(data=nt, format="nt"))

    def b_update(text: str) -> None:
        answer = requests.post(feed_server + "/update", data={"update": text}, headers=AUTH, timeout=30)
        assert answer.status_code == 200, answer.text

    source = Source("b-feed", "changes", feed_server + "/changes/local", allow_private_addresses=True)  # B: loopback
    graph = settings.harvest_graph("b-feed")
    with OxigraphStore(tmp_path / "node-a") as store:
        setup_store(store, settings, validator)
        run = harvest_source(store, settings, source, validator, fetcher=counting_fetch)
        assert run.outcome == "ok", run.error
        assert changes.record_digests(store.read_graph(graph)) == b_local()
        total = get(feed_server + "/changes/local").json()["totalItems"]
        assert run.position == total and run.added == len(b_local())

        fetched.clear()
        projects = sorted(r for r in b_local() if "/id/project/" in str(r))
        renamed, removed = projects[0], projects[1]
        b_update("INSERT DATA { " + actor("feed-new").serialize(format="nt") + " }")
        b_update(f'PREFIX dcterms: <http://purl.org/dc/terms/> DELETE {{ <{renamed}> dcterms:title ?t }} '
                 f'INSERT {{ <{renamed}> dcterms:title "Example: renamed by B"@en }} WHERE {{ <{renamed}> dcterms:title ?t }}')
        b_update(f"DELETE WHERE {{ <{removed}> ?p ?o }}")
        run = harvest_source(store, settings, source, validator, fetcher=counting_fetch)
        assert run.outcome == "ok", run.error
        assert (run.added, run.changed, run.removed) == (1, 1, 1)
        assert changes.record_digests(store.read_graph(graph)) == b_local()
        descriptions = [u for u in fetched if u.endswith(".ttl")]
        assert sorted(descriptions) == sorted([feed_server + "/id/actor/feed-new.ttl", feed_server + str(renamed)[len(BASE) - 1:] + ".ttl"])
        assert len(fetched) <= 1 + 2 + 2  # the collection, at most two pages, two descriptions
        assert [t for _n, t, _o in feed(store, settings, graph)][-3:] == ["Create", "Update", "Delete"]  # A's own feed

        fetched.clear()
        run = harvest_source(store, settings, source, validator, fetcher=counting_fetch)
        assert run.outcome == "unchanged" and len(fetched) == 2  # the collection and its last page
        assert store.query(f"ASK {{ GRAPH <{graph}> {{ ?s <http://purl.org/dc/terms/dateAccepted> ?d }} }}").boolean is False


TRICKY = """
@prefix tsc: <https://w3id.org/tscgraph/ontology#> . @prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://chm.example.org/id/project/t1> a tsc:Project ;
    dcterms:title "Quotes \\" and back\\\\slash"@EN-gb , "Deux\\nlignes\\r et é, \\u0001"@fr , "plain" , "typed"^^xsd:string ;
    dcterms:description '''three
lines'''@en ;
    schema:startDate "2021-01-01"^^xsd:date , "2021-13-01"^^xsd:date ;
    tsc:isExample "1"^^xsd:boolean ;
    tsc:budget [ schema:value "1500.00"^^xsd:decimal ; schema:currency "EUR" ; tsc:note [ dcterms:title "nested"@en ] ] .
<https://chm.example.org/id/actor/t2> a tsc:Organisation ; dcterms:title "Un acteur"@fr .
<https://chm.example.org/id/other> dcterms:title "not a record" .
"""


def test_streamed_digests_are_those_of_the_whole_graph(tmp_path):
    """The sync after a bulk load reads the engine's N-Triples subject by subject (and, on a store that cannot, terms
    subject by subject): both give each record the digest record_digests gives from a whole graph, escapes, language
    tags, typed and ill-typed literals and nested blank nodes included."""
    from graph.store.oxigraph import OxigraphStore

    data = Graph().parse(data=TRICKY, format="turtle")
    for path in (tmp_path / "store", None):  # on disk (RocksDB's order) and in memory
        store = OxigraphStore(path)
        store.add_graphs({BASE + "graph/local": data})
        expected = changes.record_digests(store.triples(BASE + "graph/local"))  # as the store gives them back
        assert len(expected) == 2
        assert changes.graph_digests(store, BASE + "graph/local") == expected
        blank: dict = {}
        for row in store.query(changes.BLANK_SUBJECTS_QUERY.format(graph=BASE + "graph/local")).rows:
            blank.setdefault(row[0], []).append((row[1], row[2]))
        assert changes.streamed_digests(store.subject_groups(BASE + "graph/local"), blank) == expected
        store.close()


def test_lines_out_of_subject_order_are_read_as_terms():
    lines = ['<https://ex.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/tscgraph/ontology#Project> .\n',
             '<https://ex.org/b> <https://ex.org/p> "x" .\n',
             '<https://ex.org/a> <https://ex.org/p> "y" .\n']
    assert changes.ntriples_digests(lines, {}) is None


def test_a_large_sync_is_written_in_numbered_chunks(store, settings, monkeypatch):
    monkeypatch.setattr(changes, "ACTIVITIES_PER_WRITE", 2)
    local = settings.local_graph
    batch = Graph()
    for n in range(5):
        batch += actor(f"chunk{n}")
    store.add_graphs({local: batch})
    logged = sync(store, local, now=NOW)
    assert len(logged.created) == 5
    assert [n for n, _kind, _record in feed(store, settings, local)][-5:] == list(range(logged.first, logged.first + 5))
    assert not sync(store, local, now=NOW)
