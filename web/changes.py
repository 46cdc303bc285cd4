"""The change feeds (graph.changes) on the web, as ActivityStreams 2.0 collections.

The shape follows the IIIF Change Discovery API 1.0, an AS2 profile made for exactly this (a partner
keeps a copy and wants only what changed since it last looked):

* ``/changes`` — the feeds: one per graph that holds records (HTML for people, JSON for programs);
* ``/changes/{feed}`` — an ``OrderedCollection``: ``totalItems``, ``first`` and ``last`` pages;
* ``/changes/{feed}/page/{n}`` — an ``OrderedCollectionPage`` of the activities numbered
  ``(n-1)·size+1 … n·size``, oldest first, with ``prev``/``next``.

A harvester reads from ``last`` backwards (``prev``) until it meets an activity it has seen, then
applies the newer ones oldest first. Pages are fixed ranges of change numbers, so every page but the
last never changes and is served as immutable; the collection and the last page are revalidated.
Each activity's object names the record and, for a record of this clearing-house, where its
description is served as Turtle. The JSON is AS2 (JSON-LD with the AS2 context, never fetched here).
"""

from __future__ import annotations

import json
import math

from flask import Blueprint, Response, abort, render_template, request, url_for

from graph import changes as feeds
from web import context
from web.links import path_for_iri

bp = Blueprint("changes", __name__)
AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS2_MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACTIVITY_JSON = "application/activity+json"
IMMUTABLE = "public, max-age=31536000, immutable"

PAGE_QUERY = """
PREFIX as: <https://www.w3.org/ns/activitystreams#>
PREFIX tsc: <https://w3id.org/tscgraph/ontology#>
SELECT ?activity ?type ?object ?n ?end ?digest ?class WHERE {{
  VALUES ?activity {{ {activities} }}
  GRAPH <{log}> {{ ?activity a ?type ; as:object ?object ; tsc:changeNumber ?n ; as:endTime ?end .
                  OPTIONAL {{ ?activity tsc:recordDigest ?digest }} }}
  OPTIONAL {{ GRAPH <{graph}> {{ ?object a ?class }} }}
}}
"""


def feed_names() -> list[tuple[str, str]]:
    """``(feed name, graph IRI)`` of each public graph with a feed, in name order."""
    changes_graph = context.settings().changes_graph
    found = []
    for graph in context.store().graph_names():
        feed = feeds.feed_of(str(graph))
        if feed is not None and feed[0] == changes_graph:
            found.append((feed[1], str(graph)))
    return sorted(found)


def last_number(graph: str) -> int:
    return context.per_state(("changes.last", graph), lambda: feeds.last_number(context.store(), graph))


def graph_for(name: str) -> str:
    graph = feeds.graph_of_feed(context.settings().changes_graph, name)
    if graph is None or not context.settings().is_public_graph(graph):
        abort(404, description=f"no change feed named {name!r}")
    return graph


def pages_of(total: int) -> int:
    return max(1, math.ceil(total / context.settings().change_page_size))


def collection_url(name: str) -> str:
    return url_for("changes.collection", name=name, _external=True)


def page_url(name: str, number: int) -> str:
    return url_for("changes.page", name=name, number=number, _external=True)


def collection_dict(name: str, graph: str) -> dict:
    total = last_number(graph)
    last = pages_of(total)
    return {
        "@context": AS2_CONTEXT,
        "id": collection_url(name),
        "type": "OrderedCollection",
        "summary": f"Records created, updated and deleted in <{graph}>, oldest first",
        "totalItems": total,
        "first": {"id": page_url(name, 1), "type": "OrderedCollectionPage"},
        "last": {"id": page_url(name, last), "type": "OrderedCollectionPage"},
        "partOf": {"id": url_for("changes.index", _external=True), "type": "Collection"},
    }


def activity_dicts(graph: str, first: int, last: int) -> list[dict]:
    """The activities numbered ``first…last`` of the feed of ``graph``, oldest first."""
    if last < first:
        return []
    changes_graph, name = feeds.feed_of(graph)
    iris = " ".join(feeds.activity_iri(changes_graph, name, n).n3() for n in range(first, last + 1))
    found: dict[int, dict] = {}
    for row in context.store().select(PAGE_QUERY.format(activities=iris, log=changes_graph, graph=graph)):
        number = int(row["n"])
        item = found.get(number)
        if item is None:
            record = row["object"]
            item = found[number] = {
                "id": str(row["activity"]),
                "type": str(row["type"]).rsplit("#", 1)[-1],
                "object": {"id": str(record)},
                "target": {"id": graph, "type": "Collection"},
                "endTime": str(row["end"]),
            }
            if row.get("digest") is not None:
                item["object"]["tsc:recordDigest"] = str(row["digest"])
            path = path_for_iri(record)
            if path is not None and item["type"] != "Delete":
                item["object"]["url"] = [{"type": "Link", "mediaType": "text/turtle",
                                          "href": request.url_root.rstrip("/") + path + ".ttl"}]
        if row.get("class") is not None and item["type"] != "Delete":
            types = item["object"].setdefault("type", [])
            if str(row["class"]) not in types:
                types.append(str(row["class"]))
    for item in found.values():
        if "type" in item["object"]:
            item["object"]["type"].sort()
    return [found[n] for n in sorted(found)]


def as2_response(body: dict, cache: str) -> Response:
    wanted = request.accept_mimetypes.best_match([AS2_MEDIA_TYPE.split(";")[0], ACTIVITY_JSON, "application/json"])
    mimetype = {ACTIVITY_JSON: ACTIVITY_JSON, "application/json": "application/json"}.get(wanted, AS2_MEDIA_TYPE)
    response = Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", content_type=mimetype)
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response


# ------------------------------------------------------------------ routes


@bp.get("/changes")
def index():
    listed = []
    for name, graph in feed_names():
        total = last_number(graph)
        listed.append({"name": name, "graph": graph, "totalItems": total, "url": collection_url(name),
                       "last": page_url(name, pages_of(total))})
    if request.accept_mimetypes.best_match(["text/html", ACTIVITY_JSON, "application/ld+json", "application/json"]) \
            in ("text/html", None) and request.args.get("format") != "json":
        return render_template("changes.html", feeds=listed, page_size=context.settings().change_page_size)
    body = {
        "@context": AS2_CONTEXT,
        "id": url_for("changes.index", _external=True),
        "type": "Collection",
        "summary": "The change feeds of this clearing-house: one per graph that holds records",
        "totalItems": len(listed),
        "items": [{"id": f["url"], "type": "OrderedCollection", "name": f["name"], "totalItems": f["totalItems"],
                   "target": {"id": f["graph"], "type": "Collection"}} for f in listed],
    }
    return as2_response(body, "no-cache")


@bp.get("/changes/<path:name>/page/<int:number>")
def page(name: str, number: int):
    graph = graph_for(name)
    size, total = context.settings().change_page_size, last_number(graph)
    last = pages_of(total)
    if number < 1 or number > last:
        abort(404, description=f"the feed {name!r} has pages 1 to {last}")
    first_number = (number - 1) * size + 1
    body = {
        "@context": AS2_CONTEXT,
        "id": page_url(name, number),
        "type": "OrderedCollectionPage",
        "partOf": {"id": collection_url(name), "type": "OrderedCollection"},
        "startIndex": first_number - 1,
        "orderedItems": activity_dicts(graph, first_number, min(number * size, total)),
    }
    if number > 1:
        body["prev"] = {"id": page_url(name, number - 1), "type": "OrderedCollectionPage"}
    if number < last:
        body["next"] = {"id": page_url(name, number + 1), "type": "OrderedCollectionPage"}
    return as2_response(body, IMMUTABLE if number * size <= total else "no-cache")


@bp.get("/changes/<path:name>")
def collection(name: str):
    return as2_response(collection_dict(name, graph_for(name)), "no-cache")
