"""The servers the W3C tests run against: real tscgraph servers (``tscgraph serve``, the writer, a reader and its
query workers) on loopback, each on an **empty** store.

Empty: ``tscgraph setup`` is not run. It would install the ontology and the vocabularies (and the bundled data),
which would then sit in every test's union default graph and ``GRAPH ?g``; dropping them afterwards through the
admin scope would cost writes and would test the drop, not the store. The server needs nothing from ``setup`` to
serve: validation reads the shapes from files. The query tests' data is written into the store directory by the
engine itself before the server starts (each file into the graph named by its IRI: :func:`load_query_data`), which
is cheap and puts nothing of ours between the files and the store; test_query_written.py writes the same data
through the server's Graph Store Protocol instead, and the update tests load theirs that way too (admin token),
which is part of what they test.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox
import pytest
import requests

from tests.conftest import ADMIN_AUTH, ADMIN_TOKEN_HASH, BASE, start_server, stop_server
from tests.w3c.runner import Endpoint, load_query_data, write_query_data


def w3c_server(tmp: Path, *, query_data: bool, extra=None, **settings):
    """A server on an empty store (plus the query tests' data when ``query_data``; ``extra(store)`` writes more)."""
    tmp.mkdir(parents=True, exist_ok=True)
    if query_data or extra is not None:
        store = ox.Store(str(tmp / "store"))
        if query_data:
            load_query_data(store)
        if extra is not None:
            extra(store)
        store.flush()
        del store
    # no rate limit worth the name: the runner sends thousands of requests from one address
    return start_server(tmp, setup=False, update_tokens=ADMIN_TOKEN_HASH, rate_limit="1000000", base_iri=BASE,
                        **settings)


@contextmanager
def w3c_endpoint(tmp: Path, *, query_data: bool) -> Iterator[Endpoint]:
    """A running :func:`w3c_server` as the runner's endpoint (admin token), stopped at the end."""
    server = w3c_server(tmp, query_data=query_data)
    try:
        with requests.Session() as session:
            yield Endpoint(server.url, session, ADMIN_AUTH, BASE)
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def query_endpoint(tmp_path_factory):
    """A server holding the query tests' data (writes possible with the admin token, but none is made)."""
    with w3c_endpoint(tmp_path_factory.mktemp("w3c-query"), query_data=True) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def update_endpoint(tmp_path_factory):
    """A server whose store starts empty and that the tests write to with the admin token."""
    with w3c_endpoint(tmp_path_factory.mktemp("w3c-update"), query_data=False) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def written_endpoint(tmp_path_factory):
    """A server on an empty store to which the query tests' data is written through its own Graph Store Protocol."""
    with w3c_endpoint(tmp_path_factory.mktemp("w3c-written"), query_data=False) as endpoint:
        write_query_data(endpoint)
        yield endpoint
