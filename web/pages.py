"""Which page shows a resource: a registry from classes to page views.

Each area of the site (projects, actors, GBF targets…) registers the view that renders its kind of
resource with :func:`page_for`. Dereferencing (``web.linkeddata``) finds a resource's types and asks
:func:`view_for` which view shows it; a resource of no registered class gets the generic page.
The first registered class a resource has wins, in registration order.
"""

from __future__ import annotations

from typing import Callable, Iterable

from flask.typing import ResponseReturnValue
from rdflib import URIRef

PageView = Callable[[URIRef], ResponseReturnValue]
_VIEWS: list[tuple[URIRef, PageView]] = []


def page_for(*classes: URIRef) -> Callable[[PageView], PageView]:
    """Register the decorated function as the HTML page of the resources of ``classes``."""

    def register(view: PageView) -> PageView:
        for cls in classes:
            if any(known == cls for known, _ in _VIEWS):
                raise ValueError(f"two pages registered for {cls}")
            _VIEWS.append((URIRef(cls), view))
        return view

    return register


def view_for(types: Iterable[URIRef]) -> PageView | None:
    found = set(types)
    for cls, view in _VIEWS:
        if cls in found:
            return view
    return None
