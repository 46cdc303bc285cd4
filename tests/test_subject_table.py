"""Answers about a few subjects kept across the writes that did not change them (web/context.py SubjectTable): a
term's labels and a scheme's JSON-LD, read again only when a write touched what they were made of."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from graph.changekeys import Change, changed_subjects, graph_key, predicate_key, type_key
from graph.loading import setup_store
from graph.store.oxigraph import OxigraphStore
from graph.writes import apply_update
from server import create_app
from tests.conftest import BASE, TOKEN_HASH, make_settings
from web import context, labels, schemaorg

LABEL = predicate_key("http://www.w3.org/2004/02/skos/core#prefLabel")
TITLE = predicate_key("http://purl.org/dc/terms/title")
TARGET = "https://w3id.org/tscgraph/vocab/gbf/target/"
GBF = URIRef("https://w3id.org/tscgraph/vocab/gbf")
PREFIX = "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"


# ------------------------------------------------------------------ the pure part


def test_what_a_change_changed_of_the_keys_an_answer_reads():
    public = lambda graph: "private" not in graph  # noqa: E731
    change = Change({LABEL: frozenset({"a", "b"}), type_key("C"): frozenset({"a"}), graph_key("g/private"): None})
    assert changed_subjects(change, public) == (frozenset({"a", "b"}), frozenset({LABEL, type_key("C")}))
    assert changed_subjects(change, public, frozenset({TITLE})) == (frozenset(), frozenset())
    assert changed_subjects(change, public, frozenset({LABEL})) == (frozenset({"a", "b"}), frozenset({LABEL}))
    assert changed_subjects(None, public) is None  # unknown
    assert changed_subjects(Change({graph_key("g/local"): None}), public) is None  # a graph it sees, changed blindly
    blank = Change({LABEL: None, TITLE: frozenset({"x"})})  # a blank node's label, or too many subjects
    assert changed_subjects(blank, public) is None
    assert changed_subjects(blank, public, frozenset({TITLE})) == (frozenset({"x"}), frozenset({TITLE}))


def test_the_table_follows_the_public_state(monkeypatch, tmp_path):
    """Moving to a newer state it drops what the change touched (all when unknown); a request still on an older
    state computes its answers and keeps none; answers that read a key anywhere go with that key."""
    settings = make_settings(tmp_path)
    states = {"r:1": [], "r:2": [("r:1", Change({LABEL: frozenset({"a"})}))],
              "r:3": [("r:2", Change({predicate_key("p"): frozenset({"z"})})), ("r:1", None)],
              "r:4": [("r:3", None)]}
    now = {"version": "r:1"}
    monkeypatch.setattr(context, "data_version", lambda **_kw: now["version"])
    monkeypatch.setattr(context, "public_changes", lambda version: states[version])
    monkeypatch.setattr(context, "_public_state", lambda version: object())
    monkeypatch.setattr(context, "settings", lambda: settings)
    table, computed = context.SubjectTable(10, frozenset({LABEL, predicate_key("p")})), []

    def ask(*keys: str, reads: frozenset = frozenset()) -> dict:
        return table.get_many(list(keys), lambda missing: computed.extend(missing) or {
            k: context.About(f"{k}@{now['version']}", frozenset({k}), reads) for k in missing})

    ask("a", "b")
    ask("s", reads=frozenset({predicate_key("p")}))
    now["version"] = "r:2"
    computed.clear()
    assert ask("a", "b", "s") == {"a": "a@r:2", "b": "b@r:1", "s": "s@r:1"} and computed == ["a"]
    now["version"] = "r:1"  # a request still on the state before: computed, not kept
    computed.clear()
    assert ask("a") == {"a": "a@r:1"} and computed == ["a"]
    now["version"] = "r:3"
    computed.clear()
    assert ask("a", "b", "s") == {"a": "a@r:2", "b": "b@r:1", "s": "s@r:3"} and computed == ["s"]
    now["version"] = "r:4"  # what changed is not known: everything again
    computed.clear()
    assert ask("a", "b") == {"a": "a@r:4", "b": "b@r:4"} and computed == ["a", "b"]


# ------------------------------------------------------------------ in the app, on published snapshots


@pytest.fixture
def app(tmp_path, validator):
    settings = make_settings(tmp_path, update_tokens=TOKEN_HASH)
    with OxigraphStore(settings.store_dir) as store:
        setup_store(store, settings, validator)
    app = create_app(settings)
    yield app
    app.extensions["tscgraph.shutdown"]()


def write(app, validator, update: str) -> None:
    """A write as the writer makes it, its snapshot then published."""
    settings = app.extensions["tscgraph.settings"] if "tscgraph.settings" in app.extensions else None
    apply_update(app.extensions["tscgraph.store"], validator, settings or context_settings(app), PREFIX + update)
    app.extensions["tscgraph.snapshots"].refresh()


def context_settings(app):
    with app.app_context():
        return context.settings()


def in_request(app, work):
    with app.test_request_context("/"):
        assert app.preprocess_request() is None
        return work()


def test_labels_and_a_schemes_json_ld_are_read_again_only_when_a_write_touched_them(app, validator, monkeypatch):
    settings = context_settings(app)
    read, described = [], []
    monkeypatch.setattr(labels, "_read_labels", lambda iris, real=labels._read_labels: read.extend(iris) or real(iris))
    import graph.describe

    monkeypatch.setattr(graph.describe, "describe", lambda *a, real=graph.describe.describe: described.append(a[1]) or real(*a))
    target = URIRef(TARGET + "3")

    def look() -> tuple:
        def work():
            fresh = schemaorg.resource_jsonld(graph.describe.describe(context.store(), GBF, settings.ontology_graph),
                                              GBF, "en")
            described.pop()  # the fresh one, made to compare
            return labels.labels_of([target])[target], schemaorg.jsonld_of(GBF), fresh
        return in_request(app, work)

    first_labels, first_jsonld, fresh = look()
    assert read == [target] and described == [GBF] and first_jsonld == fresh
    # an actor: no label of the target, nothing of the scheme
    write(app, validator, f'INSERT DATA {{ GRAPH <{settings.local_graph}> {{ <{BASE}id/actor/kept-test> a tsc:Actor ; '
                          'skos:prefLabel "Example: an actor"@en ; '
                          'tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/ngo> } }')
    read.clear(), described.clear()
    kept_labels, kept_jsonld, fresh = look()
    assert (read, described) == ([], []) and kept_labels == first_labels and kept_jsonld == fresh
    # the target gains a label: both read again, and what they say is the store's
    write(app, validator, f'INSERT DATA {{ GRAPH <{settings.local_graph}> {{ <{target}> skos:prefLabel "Meta tres"@es }} }}')
    after_labels, after_jsonld, fresh = look()
    assert read == [target] and described == [GBF]
    assert after_labels["es"] == "Meta tres" and after_jsonld == fresh
