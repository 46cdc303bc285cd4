"""The SSRF guard on public SPARQL: pure checks, no server needed."""

from __future__ import annotations

import pytest

from graph.guard import ForbiddenOperation, check_query, check_update

ALLOWED = ("https://sparql.partner.example/sparql",)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://10.0.0.1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "PREFIX x: <http://127.0.0.1/> SELECT * WHERE { service x:sparql { ?s ?p ?o } }",
    ],
)
def test_service_outside_the_allowlist_is_refused(query):
    with pytest.raises(ForbiddenOperation, match="service_allowlist"):
        check_query(query, ALLOWED)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <https://sparql.partner.example/sparql> { ?s ?p ?o } }",
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1/>" }',
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1/>",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    ],
)
def test_allowed_or_harmless_queries_pass(query):
    check_query(query, ALLOWED)


def test_load_is_refused_in_updates():
    with pytest.raises(ForbiddenOperation, match="LOAD"):
        check_update("LOAD <http://127.0.0.1/x.ttl>", ALLOWED)
    with pytest.raises(ForbiddenOperation, match="LOAD"):
        check_update("load silent <http://127.0.0.1/x.ttl> into graph <http://g>", ALLOWED)
    check_update('INSERT DATA { <http://a> <http://b> "LOAD" }', ALLOWED)
    check_update("INSERT DATA { <http://a> <http://example.org/LOAD> 1 }", ALLOWED)
    with pytest.raises(ForbiddenOperation):
        check_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }", ALLOWED)
