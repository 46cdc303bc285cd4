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
to, which is not the record's). Every loop is bounded by the feed's own size.
"""

from __future__ import annotations

import json
from typing import Callable

from rdflib import BNode, Graph, URIRef

from graph.reports import judged_records, owner_map
from loaders import Loaded, Problem

Fetch = Callable[[str], bytes]
#: Activity types that leave a description to fetch, and the one that removes it.
KEEPS, REMOVES = ("Create", "Update"), "Delete"


def read_json(fetch: Fetch, url: str) -> dict:
    try:
        body = json.loads(fetch(url))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{url}: not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError(f"{url}: not an ActivityStreams object")
    return body


def number_of(activity: dict) -> int:
    """The change number ending the activity's IRI (``…/change/local/42``)."""
    try:
        return int(str(activity.get("id", "")).rstrip("/").rsplit("/", 1)[-1])
    except ValueError:
        raise ValueError(f"activity {activity.get('id')!r} does not end with its change number") from None


def newer_activities(fetch: Fetch, collection_url: str, cursor: int) -> tuple[list[dict], int]:
    """The activities numbered after ``cursor`` (oldest first), and the feed's newest number."""
    collection = read_json(fetch, collection_url)
    if collection.get("type") != "OrderedCollection" or not isinstance(collection.get("last"), dict):
        raise ValueError(f"{collection_url}: not an ActivityStreams OrderedCollection with a last page")
    total = int(collection.get("totalItems", 0))
    found: list[dict] = []
    page_url = collection["last"].get("id")
    for _ in range(total + 1):  # bounded: a feed has at most one page per activity
        if not page_url:
            break
        page = read_json(fetch, page_url)
        items = page.get("orderedItems") or []
        found = [a for a in items if isinstance(a, dict) and number_of(a) > cursor] + found
        if not items or number_of(items[0]) <= cursor + 1 or not isinstance(page.get("prev"), dict):
            break
        page_url = page["prev"].get("id")
    return found, total


def newest_per_record(activities: list[dict]) -> dict[URIRef, dict]:
    newest: dict[URIRef, dict] = {}
    for activity in sorted(activities, key=number_of):
        target = activity.get("object") or {}
        if isinstance(target, dict) and target.get("id"):
            newest[URIRef(str(target["id"]))] = activity
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
    for record, activity in newest_per_record(activities).items():
        kind = activity.get("type")
        remove_record(graph, record)
        if kind == REMOVES:
            continue
        if kind not in KEEPS:
            loaded.problems.append(Problem(source, f"activity {number_of(activity)}", "unknown activity type", str(kind)))
            continue
        links = [link for link in (activity["object"].get("url") or [])
                 if isinstance(link, dict) and link.get("mediaType") == "text/turtle" and link.get("href")]
        if not links:
            loaded.problems.append(Problem(source, f"activity {number_of(activity)}",
                                           "no Turtle description linked for the record", str(record)))
            continue
        described = Graph()
        try:
            described.parse(data=fetch(links[0]["href"]), format="turtle", publicID=str(record))
        except Exception as exc:  # noqa: BLE001 - any unreadable description is reported with where it was
            loaded.problems.append(Problem(source, links[0]["href"], f"description not readable ({exc})"))
            continue
        graph += own_description(described, record)
    loaded.records = len(judged_records(graph))
    return loaded, total
