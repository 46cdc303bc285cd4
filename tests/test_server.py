"""The browsing app, served by ``tscgraph serve`` (gunicorn) on loopback, read with real HTTP clients."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import requests

from tests.conftest import BASE

TARGET_20 = "https://w3id.org/tscgraph/vocab/gbf/target/20"
PROJECT_CLASS = "https://w3id.org/tscgraph/ontology#Project"


def get(url: str, **kw) -> requests.Response:
    return requests.get(url, timeout=30, **kw)


def test_graph_contents_lists_graphs_and_classes_as_json(live_server):
    data = get(live_server + "/graph?format=json").json()
    graphs = {g["graph"]: g["triples"] for g in data["graphs"]}
    assert graphs[BASE + "graph/ontology"] > 1000 and graphs[BASE + "graph/local"] > 100
    assert data["triples"] == sum(graphs.values())
    classes = {c["class"]: c["instances"] for c in data["classes"]}
    assert classes["https://w3id.org/tscgraph/ontology#GBFTarget"] == 23
    assert classes[PROJECT_CLASS] >= 5
    assert any(q["name"] == "projects-per-gbf-target" for q in data["queries"])


def test_graph_contents_html_in_both_languages(live_server):
    en = get(live_server + "/graph")
    assert en.status_code == 200 and en.headers["Content-Type"].startswith("text/html")
    assert "What the graph holds" in en.text and "GBF target" in en.text
    fr = get(live_server + "/graph?lang=fr")
    assert 'lang="fr"' in fr.text and "Contenu du graphe" in fr.text and "Cible du Cadre mondial" in fr.text


def test_class_page_lists_instances_with_labels(live_server):
    data = get(live_server + f"/class?iri={quote(PROJECT_CLASS)}&format=json").json()
    assert data["instances"] and all(i["label"] and i["iri"].startswith(BASE + "id/project/") for i in data["instances"])
    html = get(live_server + f"/class?iri={quote(PROJECT_CLASS)}")
    assert html.status_code == 200 and "Biodiversa+" in html.text


def test_class_page_paginates(live_server):
    country = quote("https://w3id.org/tscgraph/ontology#Country")
    first = get(live_server + f"/class?iri={country}&format=json").json()
    second = get(live_server + f"/class?iri={country}&page=2&format=json").json()
    assert first["next"] is True and len(first["instances"]) == 50
    assert not {i["iri"] for i in first["instances"]} & {i["iri"] for i in second["instances"]}


def test_resource_page_shows_outgoing_and_incoming_links(live_server):
    data = get(live_server + f"/resource?iri={quote(TARGET_20)}&format=json&lang=fr").json()
    assert data["label"].startswith("Renforcer")
    assert any(o["p"] == "http://www.w3.org/2004/02/skos/core#notation" and o["o"] == "20" for o in data["outgoing"])
    assert any(i["s"].startswith(BASE + "id/project/") for i in data["incoming"])
    html = get(live_server + f"/resource?iri={quote(TARGET_20)}")
    assert html.status_code == 200 and "Referenced by" in html.text


def test_named_query_in_three_formats(live_server):
    js = get(live_server + "/queries/projects-per-gbf-target?format=json")
    assert js.headers["Content-Type"].startswith("application/sparql-results+json")
    bindings = js.json()["results"]["bindings"]
    assert [int(b["number"]["value"]) for b in bindings] == list(range(1, 24))
    rows = list(csv.DictReader(io.StringIO(get(live_server + "/queries/projects-per-gbf-target?format=csv&lang=fr").text)))
    assert len(rows) == 23 and {r["lang"] for r in rows} == {"fr"}
    html = get(live_server + "/queries/targets-without-projects", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "GBF targets with no project" in html.text


def test_a_ranking_is_paged_by_limit_and_offset(live_server):
    def actors(**params) -> list[str]:
        answer = get(live_server + "/queries/actors-by-partnerships", params={"format": "json", **params})
        assert answer.status_code == 200, answer.text
        return [b["actor"]["value"] for b in answer.json()["results"]["bindings"]]

    whole = actors(limit="10000")
    assert len(whole) > 3 and actors() == whole[:100]
    assert actors(limit="2", offset="1") == whole[1:3]
    for bad in ({"limit": "0"}, {"offset": "x"}, {"limit": "1 OFFSET 2"}):
        answer = get(live_server + "/queries/actors-by-partnerships", params={"format": "json", **bad})
        assert answer.status_code == 400 and ("limit" in answer.text or "offset" in answer.text)
    assert get(live_server + "/queries/projects-per-gbf-target?limit=5&format=json").status_code == 400


def test_errors_are_clear(live_server):
    assert get(live_server + "/resource?iri=" + quote(BASE + "id/nothing-here")).status_code == 404
    bad = get(live_server + "/resource?iri=not-an-iri&format=json")
    assert bad.status_code == 400 and "absolute IRI" in bad.json()["error"]
    assert get(live_server + "/queries/no-such-query").status_code == 404
    unknown_language = get(live_server + "/graph?lang=de")  # a shared link still works: the default language
    assert unknown_language.status_code == 200 and unknown_language.headers["Content-Language"] == "en"
    assert get(live_server + "/class?iri=" + quote(PROJECT_CLASS) + "&page=x").status_code == 400
    param = get(live_server + "/queries/projects-per-gbf-target?lang=bad%20tag&format=json")
    assert param.status_code == 400


def test_serve_refuses_a_locked_store_with_a_clear_message(run_cli):
    from graph.store.oxigraph import OxigraphStore

    with OxigraphStore(run_cli.store_dir):
        proc = run_cli("serve", "--port", "1")
    assert proc.returncode == 2
    assert "another process" in proc.stderr


def test_a_full_export_is_sent_as_it_is_written_not_buffered(live_server):
    """An export is a stream from the app to the client: no layer on the way (the request log counting its bytes,
    the reader's bridge) gathers it whole first, so it goes out chunked, without a Content-Length, and its first
    rows come while the rest are still read (a 10,000-row export at 1M answered only at its end before). Its end
    comes too, every time: the pool's threads take turns at a stream, and its last chunk was lost when the one that
    read it was not the one that began it (asked 8 times per format: that happened 4 times in 5)."""
    import json

    for fmt in ("csv", "json"):
        for _ in range(8):
            with requests.get(live_server + f"/projects?format={fmt}", stream=True, timeout=30,
                              headers={"Accept-Encoding": "identity", "Cache-Control": "no-cache"}) as answer:
                assert answer.status_code == 200
                assert "Content-Length" not in answer.headers and answer.headers["Transfer-Encoding"] == "chunked"
                text = answer.content.decode("utf-8")
            count = int(answer.headers["X-Tscgraph-Rows"])
            if fmt == "csv":
                assert len(list(csv.DictReader(io.StringIO(text)))) == count > 5
            else:
                assert len(json.loads(text)["items"]) == count > 5
