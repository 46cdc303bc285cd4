"""Pages in a real headless browser: the query editor and the browsing pages, as a person uses them."""

from __future__ import annotations

from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def click_and_wait(browser, element) -> None:
    """Click a link or button and wait until the next page has replaced this one (a click returns
    before the navigation is done: reading the page at once may still read the old one)."""
    html = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(html))


def test_query_editor_runs_a_query_and_links_to_resources(browser, live_server):
    browser.get(live_server + "/sparql")
    editor = browser.find_element(By.ID, "query")
    assert "PREFIX tsc:" in editor.get_attribute("value")
    editor.clear()
    editor.send_keys(
        "PREFIX tsc: <https://w3id.org/tscgraph/ontology#>\n"
        "SELECT ?target WHERE { ?target a tsc:GBFTarget } ORDER BY ?target"
    )
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.editor button[type=submit]"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")
    assert len(rows) == 23
    assert "query=" in browser.current_url  # the URL is the shareable link
    downloads = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "main p a") if "format=" in (a.get_attribute("href") or "")}
    assert {"json", "xml", "csv", "tsv"} <= downloads
    click_and_wait(browser, rows[0].find_element(By.TAG_NAME, "a"))
    assert "/resource?iri=" in browser.current_url
    assert browser.find_element(By.TAG_NAME, "h1").text


def test_example_queries_run_from_the_editor(browser, live_server):
    browser.get(live_server + "/sparql")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "GBF targets with no project"))
    assert browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")


def test_syntax_error_is_shown_next_to_the_query(browser, live_server):
    browser.get(live_server + "/sparql?format=html&query=" + quote("SELECT WHERE {"))
    assert "syntax error" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    assert browser.find_element(By.ID, "query").get_attribute("value") == "SELECT WHERE {"


def test_named_query_page_with_parameters_and_language_switch(browser, live_server):
    browser.get(live_server + "/queries/projects-per-gbf-target")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == 23
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "FR"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr td")]
    assert "Conserver 30 % des terres, des eaux et des mers @fr" in cells


def test_home_page_leads_to_classes_and_instances(browser, live_server):
    browser.get(live_server + "/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Project"))
    links = browser.find_elements(By.CSS_SELECTOR, "ul.instances a")
    assert any("Biodiversa+" in a.text for a in links)
