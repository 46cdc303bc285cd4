"""The analysts' pages in a real headless browser: the query editor, named queries, the raw graph."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import screenshot


def test_query_editor_runs_a_query_and_links_to_resources(page, live_server):
    """The page without script (the workbench's own tests, tests/test_workbench_browser.py, run it with script):
    the server-rendered form runs a query, the URL is its permalink, and the results link to the pages."""
    context = page.context.browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/sparql")
    editor = page.locator("#query")
    assert "PREFIX tsc:" in editor.input_value()
    editor.fill(
        "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n"
        "SELECT ?target WHERE { ?target a tsc:GBFTarget } ORDER BY ?target"
    )
    page.locator("form.editor button[type=submit]").click()
    page.wait_for_url("**query=*")  # the URL is the shareable link
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 23
    downloads = {a.inner_text() for a in page.locator("main p a[href*='format=']").all()}
    assert {"json", "xml", "csv", "tsv"} <= downloads
    screenshot(page, "sparql-editor")
    rows.first.locator("a").first.click()
    page.wait_for_url("**/vocab/gbf/target/**")
    assert page.locator("h1").inner_text()


def test_example_queries_run_from_the_editor(page, live_server):
    page.goto(live_server + "/sparql")
    page.get_by_role("link", name="GBF targets with no project").click()
    page.wait_for_url("**query=*")
    assert page.locator("table.results tbody tr").count() > 0


def test_syntax_error_is_shown_next_to_the_query(page, live_server):
    page.goto(live_server + "/sparql?format=html&query=" + quote("SELECT WHERE {"))
    assert "syntax error" in page.locator("p.error").inner_text()
    assert page.locator("#query").input_value() == "SELECT WHERE {"


def test_named_query_page_with_parameters_and_language_switch(page, live_server):
    page.goto(live_server + "/queries/projects-per-gbf-target")
    assert page.locator("table.results tbody tr").count() == 23
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("html").get_attribute("lang") == "fr"
    cells = page.locator("table.results tbody tr td").all_inner_texts()
    assert "Conserver 30 % des terres, des eaux et des mers @fr" in cells


def test_graph_contents_lead_to_classes_and_instances(page, live_server):
    page.goto(live_server + "/graph")
    page.get_by_role("link", name="Project", exact=True).click()
    page.wait_for_url("**/class?**")
    assert any("Biodiversa+" in text for text in page.locator("ul.instances a").all_inner_texts())
