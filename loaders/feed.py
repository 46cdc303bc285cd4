"""A partner's change feed (ActivityStreams 2.0, as ``/changes/{feed}`` serves it) → the partner's records,
fetching only what changed since the last harvest.

:func:`apply_feed` starts from the records harvested before (``base``), reads the feed from its last page
backwards (``prev``) down to the page holding the change after ``cursor``, and keeps each record's newest
activity: a ``Delete`` removes the record's description, a ``Create`` or ``Update`` replaces it by the
one fetched from the activity's ``object.url`` (a Turtle link). The result is the source's whole content,
so the harvester validates, quarantines, compares and writes it as for any other kind; what crossed the
network is the increment.

The partner's numbers restarting below ``cursor`` (its store rebuilt) means the copy can no longer be
trusted: the feed is then read from the start, on an empty base. Each fetched description is cut down to
the record's own statements and its blank nodes' (a page's description also labels what the record links
to, which is not the record's). Every loop is bounded by the feed's own size, and a page met twice ends it.

The links are the partner's: each is resolved against the document it appears in and fetched through the
harvester's ``fetch``, which holds them to the source's policy (:mod:`loaders.net`: http(s) only, the
source's origin, no private address). What goes wrong is said in classified words (:class:`FeedError`, a
:class:`~loaders.Problem` per record whose message names no byte of the feed or of any answer).
"""

from __future__ import annotations

import json
from typing import Callable
from urllib.parse import urljoin

from rdflib import BNode, Graph, URIRef

from graph.reports import judged_records, owner_map
from loaders import Loaded, Problem
from loaders.net import FetchError
from loaders.reading import parse_loaded

Fetch = Callable[[str], bytes]
#: Activity types that leave a description to fetch, and the one that removes it.
KEEPS, REMOVES = ("Create", "Update"), "Delete"


class FeedError(Exception):
    """The feed cannot be followed; the message is a classified reason, safe to store and publish."""


def read_json(fetch: Fetch, url: str, what: str = "the feed") -> dict:
    try:
        body = json.loads(fetch(url))
    except FetchError as exc:
        raise FeedError(f"{what}: {exc.reason}") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FeedError(f"{what}: not JSON") from None
    if not isinstance(body, dict):
        raise FeedError(f"{what}: not an ActivityStreams object")
    return body


def link(document_url: str, value: object) -> str | None:
    """The target of a link (a string, or an object's ``id``), resolved against the document it is in."""
    target = value.get("id") if isinstance(value, dict) else value
    return urljoin(document_url, target) if isinstance(target, str) and target.strip() else None


def number_of(activity: dict) -> int:
    """The change number ending the activity's IRI (``…/change/local/42``)."""
    try:
        return int(str(activity.get("id", "")).rstrip("/").rsplit("/", 1)[-1])
    except ValueError:
        raise FeedError("an activity's id does not end with its change number") from None


def newer_activities(fetch: Fetch, collection_url: str, cursor: int) -> tuple[list[tuple[dict, str]], int]:
    """The activities numbered after ``cursor`` (oldest first), each with the URL of the page it is on, and
    the feed's newest number."""
    collection = read_json(fetch, collection_url, "the feed")
    page_url = link(collection_url, collection.get("last"))
    total = collection.get("totalItems", 0)
    if collection.get("type") != "OrderedCollection" or page_url is None or not isinstance(total, int) or total < 0:
        raise FeedError("the feed: not an ActivityStreams collection with a last page")
    found: list[tuple[dict, str]] = []
    seen: set[str] = set()
    for _ in range(total + 1):  # bounded: a feed has at most one page per activity
        if page_url is None or page_url in seen:
            break
        seen.add(page_url)
        page = read_json(fetch, page_url, "a page of the feed")
        items = page.get("orderedItems") or []
        if not isinstance(items, list):
            raise FeedError("a page of the feed: not an ActivityStreams page")
        found = [(a, page_url) for a in items if isinstance(a, dict) and number_of(a) > cursor] + found
        if not items or not isinstance(items[0], dict) or number_of(items[0]) <= cursor + 1:
            break
        page_url = link(page_url, page.get("prev"))
    return found, total


def newest_per_record(activities: list[tuple[dict, str]]) -> dict[URIRef, tuple[dict, str]]:
    newest: dict[URIRef, tuple[dict, str]] = {}
    for activity, page in sorted(activities, key=lambda found: number_of(found[0])):
        target = activity.get("object") or {}
        if isinstance(target, dict) and isinstance(target.get("id"), str) and target["id"]:
            newest[URIRef(target["id"])] = (activity, page)
    return newest


def remove_record(graph: Graph, record: URIRef) -> None:
    owned = owner_map(graph, [record])
    for subject in owned:
        for triple in list(graph.triples((subject, None, None))):
            graph.remove(triple)


def own_description(described: Graph, record: URIRef) -> Graph:
    """The record's statements and its blank nodes', from a page that also describes what it links to."""
    owned = owner_map(described, [record])
    out = Graph()
    for s, p, o in described:
        if s in owned and (s == record or isinstance(s, BNode)):
            out.add((s, p, o))
    return out


def apply_feed(collection_url: str, base: Graph, cursor: int, fetch: Fetch, source: str) -> tuple[Loaded, int]:
    """The source's content after the feed's changes since ``cursor``, and the feed's new position."""
    activities, total = newer_activities(fetch, collection_url, cursor)
    graph = Graph()
    if total < cursor:  # the partner's feed restarted: start again from nothing
        activities, total = newer_activities(fetch, collection_url, 0)
    else:
        graph += base
    loaded = Loaded(graph)
    for record, (activity, page) in newest_per_record(activities).items():
        kind, where = activity.get("type"), f"activity {number_of(activity)}"
        remove_record(graph, record)
        if kind == REMOVES:
            continue
        if kind not in KEEPS:
            loaded.problems.append(Problem(source, where, "unknown activity type", str(kind)))
            continue
        links = [found for found in (activity["object"].get("url") or [])
                 if isinstance(found, dict) and found.get("mediaType") == "text/turtle" and found.get("href")]
        href = link(page, links[0].get("href")) if links else None
        if href is None:
            loaded.problems.append(Problem(source, where, "no Turtle description linked for the record", str(record)))
            continue
        try:
            data = fetch(href)
        except FetchError as exc:
            loaded.problems.append(Problem(source, where, f"description: {exc.reason}", href))
            continue
        described = parse_loaded(data, "turtle", str(record), href)
        if described.problems:
            loaded.problems.append(Problem(source, where, f"description {described.problems[0].message}", href))
            continue
        graph += own_description(described.graph, record)
    loaded.records = len(judged_records(graph))
    return loaded, total
