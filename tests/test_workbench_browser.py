"""The analysts' workbench at ``/sparql`` in a real browser (Debian's Chromium, driven by Playwright): typing with
completion from our data, running, sorting, charting, mapping, named queries with their parameters, syntax errors
at their line, permalinks, the truncation and timeout notices, in English and French — with no CSP violation and no
request to another origin; the page without script still runs a query; and a page of another origin sends an
authenticated update (CORS), never with cookies."""

from __future__ import annotations

import http.server
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import AUTH, BASE, TOKEN, TOKEN_HASH, screenshot, start_server, stop_server

TARGET_3 = "https://w3id.org/tscgraph/vocab/gbf/target/3"
SYNTAX_ERROR = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?x = ) }"


class Watch:
    """What a tab did that it must not: CSP violations, page errors, requests to another origin."""

    def __init__(self, page, origin: str):
        self.origin = origin
        self.violations: list[str] = []
        self.elsewhere: list[str] = []
        self.posts: list[str] = []
        page.on("console", lambda m: self.violations.append(m.text)
                if m.type == "error" and "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: self.violations.append(f"page error: {error}"))
        page.on("request", self.request)

    def request(self, request) -> None:
        if not request.url.startswith(self.origin + "/") and not request.url.startswith(("data:", "blob:")):
            self.elsewhere.append(request.url)
        if request.method == "POST":
            self.posts.append(request.url)

    def assert_clean(self) -> None:
        assert self.violations == [] and self.elsewhere == []


def editor_text(page) -> str:
    return page.evaluate("window.tscgraphWorkbench.editor.state.doc.toString()")


def clear_editor(page) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")


def complete(page, typed: str, choice: str) -> None:
    """Type ``typed``, wait for the completion ``choice`` among the options, and take it."""
    page.keyboard.type(typed)
    option = page.locator(".cm-tooltip-autocomplete li", has_text=choice).first
    option.wait_for()
    option.click()


def run(page) -> None:
    page.keyboard.press("Escape")
    page.locator(".workbench button.run").click()
    page.locator(".workbench .run:not([disabled])").wait_for()
    page.wait_for_function("document.querySelector('.workbench .wb-status').textContent.length > 0 "
                           "|| !document.querySelector('.workbench .error').hidden")


def column(page, name: str) -> list[str]:
    """The texts of the results table's column headed ``name``."""
    index = page.locator(".workbench table.results thead th").all_inner_texts().index(name) + 1
    return page.locator(f".workbench table.results tbody tr td:nth-child({index})").all_inner_texts()


def test_the_workbench_in_english(page, live_server):
    watch = Watch(page, live_server)
    page.goto(live_server + "/sparql?lang=en")
    assert page.locator("#sparql-form").is_hidden() and page.locator(".workbench .cm-editor").is_visible()

    # typing, with completion of a prefix, of a property (declaring its prefix) and of a GBF target by its label
    clear_editor(page)
    complete(page, "PREFIX gb", "gbf:")
    page.keyboard.press("Escape")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("SELECT ?project WHERE { ?project ")
    complete(page, "tsc:contributesToT", "tsc:contributesToTarget")
    page.keyboard.type(" ")
    complete(page, "Target 3", "Conserve 30% of Land")
    text = editor_text(page)
    assert text.startswith("PREFIX gbf: <https://w3id.org/tscgraph/vocab/gbf/>\nPREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n")
    assert f"?project tsc:contributesToTarget <{TARGET_3}>" in text

    # run it: a table of projects, each IRI shown by its title and linked to its page
    run(page)
    assert page.locator(".workbench .error").is_hidden()
    links = page.locator(".workbench table.results tbody a")
    assert links.count() > 0
    assert links.first.get_attribute("href").startswith("/id/")
    assert not links.first.inner_text().startswith(("http", "<"))  # a title, not an IRI
    permalink = page.url
    assert urlsplit(permalink).path == "/sparql" and parse_qs(urlsplit(permalink).query)["query"] == [text]
    assert page.locator(".workbench .downloads a").all_inner_texts() == ["json", "xml", "csv", "tsv"]

    # a permalink reopens the query and its answer, without running it again
    watch.posts.clear()
    page.reload()
    page.locator(".workbench table.results").wait_for()
    assert editor_text(page) == text and watch.posts == []
    assert page.locator(".workbench table.results tbody tr").count() == links.count()

    # a named query with a parameter, opened in the editor: its parameters are form fields
    page.select_option("#wb-named", "projects-per-gbf-target")
    assert "SELECT" in editor_text(page) and page.locator(".workbench .params").is_visible()
    page.fill(".workbench .params input[name=lang]", "fr")
    run(page)
    assert parse_qs(urlsplit(page.url).query) == {"named": ["projects-per-gbf-target"], "lang": ["fr"]}
    assert "Conserver 30 % des terres, des eaux et des mers" in page.locator(".workbench table.results").inner_text()
    downloads = page.locator(".workbench .downloads a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/queries/projects-per-gbf-target?lang=fr&format=csv" in downloads

    # sort by a column of numbers, both ways
    header = page.locator(".workbench th", has_text="projects")
    header.locator("button").click()
    counts = [int(n) for n in column(page, "projects ▲")]
    assert counts == sorted(counts) and header.get_attribute("aria-sort") == "ascending"
    header.locator("button").click()
    counts = [int(n) for n in column(page, "projects ▼")]
    assert counts == sorted(counts, reverse=True) and header.get_attribute("aria-sort") == "descending"

    # a chart of the numbers, labelled by the targets' labels
    page.get_by_role("tab", name="Chart").click()
    canvas = page.locator(".workbench .chart-box canvas")
    canvas.wait_for()
    page.wait_for_function("""() => { const c = document.querySelector('.workbench canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }""")
    page.select_option(".workbench .chart-controls select >> nth=0", "pie")
    canvas.wait_for()
    screenshot(page, "workbench-chart")

    # a map of answers that carry coordinates (the places' points), over the offline world outline
    clear_editor(page)
    page.keyboard.insert_text("PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>\nPREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n"
                              "SELECT ?place ?lat ?long WHERE { ?place a tsc:OverseasTerritory ; "
                              "geo:location [ geo:lat ?lat ; geo:long ?long ] }")
    run(page)
    page.get_by_role("tab", name="Map").click()
    page.locator(".workbench svg.map .land").wait_for()
    rows = int(page.locator(".workbench .wb-status").inner_text().split(":")[1].split("·")[0].strip())
    assert rows >= 12 and page.locator(".workbench svg.map circle.point").count() == rows
    assert page.locator(".workbench svg.map a").first.get_attribute("href").startswith("/vocab/place/")

    # a syntax error is marked at its line, and said
    clear_editor(page)
    page.keyboard.insert_text(SYNTAX_ERROR)
    run(page)
    alert = page.locator(".workbench .error")
    assert alert.is_visible() and "Syntax error at line 3, column" in alert.inner_text()
    marked = page.locator(".cm-lintRange-error")
    assert marked.count() == 1
    lines = page.locator(".cm-content .cm-line")
    assert lines.nth(2).locator(".cm-lintRange-error").count() == 1

    # the history keeps what ran, in this browser
    page.locator(".workbench .history summary").click()
    assert page.locator(".workbench .history-list li").count() >= 4
    screenshot(page, "workbench")
    watch.assert_clean()


def test_the_workbench_in_french(page, live_server):
    watch = Watch(page, live_server)
    page.goto(live_server + "/sparql?lang=fr")
    assert page.locator(".workbench button.run").inner_text() == "Exécuter"
    clear_editor(page)
    page.keyboard.type("SELECT ?t WHERE { ?t ?p ")
    complete(page, "Cible 12", "Cible 12")
    assert "<https://w3id.org/tscgraph/vocab/gbf/target/12>" in editor_text(page)
    clear_editor(page)
    page.keyboard.insert_text(SYNTAX_ERROR)
    run(page)
    assert "Erreur de syntaxe à la ligne 3, colonne" in page.locator(".workbench .error").inner_text()
    page.goto(live_server + "/sparql?named=targets-without-projects&lang=fr")
    assert page.locator(".workbench .params").is_visible() and page.locator(".workbench table.results").is_visible()
    assert page.get_by_role("tab", name="Carte").is_visible() and page.get_by_role("tab", name="Graphique").is_visible()
    watch.assert_clean()


def test_the_truncation_and_the_time_limit_are_said(page, endpoint):
    """On a server whose limits are 100 rows and 3 s."""
    watch = Watch(page, endpoint.url)
    page.goto(endpoint.url + "/sparql?lang=en")
    clear_editor(page)
    page.keyboard.insert_text("SELECT * WHERE { ?s ?p ?o }")
    run(page)
    notice = page.locator(".workbench .truncated")
    assert notice.is_visible() and "limit of 100 rows" in notice.inner_text()
    assert page.locator(".workbench .wb-status").inner_text().startswith("Rows: 100")
    clear_editor(page)
    page.keyboard.insert_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    run(page)
    said = page.locator(".workbench .error").inner_text()
    assert said.startswith("The query ran for ") and "the time limit is 3 s" in said
    watch.assert_clean()


def test_without_script_the_page_still_runs_a_query(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(live_server + "/sparql")
        assert page.locator("#workbench").is_hidden()
        page.fill("textarea[name=query]", "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/tscgraph/ontology#GBFTarget> }")
        page.locator("form.editor button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("table.results td").first.inner_text() == "23"
        page.goto(live_server + "/sparql?named=projects-per-gbf-target&lang=fr")
        assert page.locator("form.params input[name=lang]").input_value() == "fr"
        assert "Conserver 30 % des terres" in page.locator("table.results").inner_text()
    finally:
        context.close()


# ------------------------------------------------------------------ another origin: CORS with a token, never a cookie


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("workbench-writable"), update_tokens=TOKEN_HASH, query_workers="2")
    yield server.url
    stop_server(server)


@pytest.fixture
def other_origin():
    """A page served from another origin (another port on loopback), as a notebook or a YASGUI elsewhere would be."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>elsewhere</title><p>another origin</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_another_origin_sends_an_authenticated_update(page, writable, other_origin):
    actor = f"{BASE}id/actor/cors-{TOKEN[:6]}"
    page.goto(other_origin + "/")
    update = (f"PREFIX tsc: <https://w3id.org/tscgraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
              f"INSERT DATA {{ <{actor}> a tsc:Actor ; skos:prefLabel \"CORS actor\"@en , \"Acteur CORS\"@fr ; "
              f"tsc:actorType <https://w3id.org/tscgraph/vocab/actor-type/ngo> }}")
    sent = page.evaluate("""async ([url, token, update]) => {
        const r = await fetch(url + '/sparql', {method: 'POST', body: update,
            headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/sparql-update'}});
        return {status: r.status, body: await r.text()};
    }""", [writable, TOKEN, update])
    assert sent["status"] == 200, sent
    ask = requests.get(writable + "/sparql", params={"query": f"ASK {{ <{actor}> a ?t }}"}, timeout=30).json()
    assert ask["boolean"] is True
    # a Graph Store read and write from the same page: the preflight lets Authorization and Content-Type through
    graph = f"{BASE}graph/cors-test"
    put = page.evaluate("""async ([url, token, graph]) => {
        const r = await fetch(url + '/data?graph=' + encodeURIComponent(graph), {method: 'PUT',
            body: '<https://chm.example.org/id/x> <http://www.w3.org/2000/01/rdf-schema#comment> "x" .',
            headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/n-triples'}});
        return r.status;
    }""", [writable, TOKEN, graph])
    assert put == 201, put
    # with cookies (credentials: 'include') the browser refuses: no Access-Control-Allow-Credentials, ever
    refused = page.evaluate("""async (url) => {
        try { await fetch(url + '/sparql?query=ASK%7B%7D', {credentials: 'include'}); return 'read'; }
        catch (error) { return 'refused'; }
    }""", writable)
    assert refused == "refused"
    assert requests.post(writable + "/update", data=update, timeout=30, headers={
        **AUTH, "Content-Type": "application/sparql-update", "Origin": other_origin}).headers["Access-Control-Allow-Origin"] == "*"
