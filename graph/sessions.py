"""Editors' sessions, kept in the store so that every web process, on every host, sees the same ones.

A signed cookie alone cannot be ended: a copy taken before sign-out would stay good until it expires.
So the cookie carries only a random session id, and the session exists while the store holds its
record, in the private named graph ``{base}graph/sessions``::

    <{base}graph/sessions#<sha256 of the id>> a prov:Activity ;
        prov:wasAssociatedWith <{base}id/editor/<login>> ;
        prov:startedAtTime "2025-01-31T09:00:00+00:00"^^xsd:dateTime .

Only a hash of the id is stored (the id has 256 random bits, so a plain SHA-256 is enough): reading the
graph does not give a cookie. The editor's IRI is the one the moderation records name
(:mod:`graph.submissions`). :func:`session_editor` is one lookup by subject (an indexed pattern);
:func:`end_session` deletes the record, so every copy of the cookie ends at once; :func:`start_session`
purges the records that are too old or whose editor is no longer configured.

Writes take :data:`graph.writes.WRITE_LOCK` like every other write; the caller renews the query
snapshots afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from graph.changekeys import graph_key
from graph.iris import is_iri
from graph.settings import Settings
from graph.store import Store
from graph.writelock import WRITE_LOCK

#: How long a sign-in lasts, whatever the editor does meanwhile.
SESSION_LIFETIME = timedelta(hours=8)


def editor_iri(settings: Settings, login: str) -> URIRef:
    """The editor as the moderation records name them."""
    return URIRef(f"{settings.base_iri}id/editor/{quote(login.strip(), safe='')}")


def session_iri(settings: Settings, session_id: str) -> URIRef:
    """The record of a session: named by a hash of its id, never the id itself."""
    return URIRef(settings.sessions_graph + "#" + hashlib.sha256(session_id.encode()).hexdigest())


def start_session(store: Store, settings: Settings, login: str, now: datetime | None = None) -> str:
    """Record a new session for ``login`` and return its id (for the cookie only). Records older than
    :data:`SESSION_LIFETIME`, and those of editors no longer configured, are removed in the same update."""
    now = now or datetime.now(timezone.utc)
    session_id = secrets.token_urlsafe(32)
    graph, record, editor = _iri(settings.sessions_graph), session_iri(settings, session_id), editor_iri(settings, login)
    started = Literal(now.isoformat(), datatype=XSD.dateTime)
    oldest = Literal((now - SESSION_LIFETIME).isoformat(), datatype=XSD.dateTime)
    configured = ", ".join(_iri(editor_iri(settings, known)) for known in _configured(settings))
    with WRITE_LOCK:
        store.update(
            f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {graph} {{ "
            f"?s {_iri(PROV.wasAssociatedWith)} ?editor ; {_iri(PROV.startedAtTime)} ?started ; ?p ?o . "
            f"FILTER(?started < {oldest.n3()} || ?editor NOT IN ({configured})) }} }} ;\n"
            f"INSERT DATA {{ GRAPH {graph} {{ {_iri(record)} {_iri(RDF.type)} {_iri(PROV.Activity)} ; "
            f"{_iri(PROV.wasAssociatedWith)} {_iri(editor)} ; {_iri(PROV.startedAtTime)} {started.n3()} }} }}",
            changes=[graph_key(settings.sessions_graph)])
    return session_id


def session_editor(store: Store, settings: Settings, session_id: str, now: datetime | None = None) -> str | None:
    """The login of the session ``session_id`` while its record exists, is younger than
    :data:`SESSION_LIFETIME` and names an editor still configured; else None."""
    if not isinstance(session_id, str) or not session_id:
        return None
    now = now or datetime.now(timezone.utc)
    rows = store.select(
        f"SELECT ?s ?editor ?started WHERE {{ GRAPH {_iri(settings.sessions_graph)} {{ "
        f"?s {_iri(PROV.wasAssociatedWith)} ?editor ; {_iri(PROV.startedAtTime)} ?started }} }}",
        bindings={"s": session_iri(settings, session_id)},
    )
    logins = {editor_iri(settings, login): login for login in _configured(settings)}
    for row in rows:
        started = row["started"].toPython() if isinstance(row.get("started"), Literal) else None
        if not isinstance(started, datetime) or started.tzinfo is None:
            continue
        if timedelta(0) <= now - started < SESSION_LIFETIME and row.get("editor") in logins:
            return logins[row["editor"]]
    return None


def end_session(store: Store, settings: Settings, session_id: str) -> None:
    """Delete the session's record: every copy of its cookie ends."""
    graph = _iri(settings.sessions_graph)
    with WRITE_LOCK:
        store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {_iri(session_iri(settings, session_id))} ?p ?o }} }}",
                     changes=[graph_key(settings.sessions_graph)])


def _configured(settings: Settings) -> list[str]:
    return [entry.partition(":")[0] for entry in settings.editors]


def _iri(iri) -> str:
    text = str(iri)
    if not is_iri(text):
        raise ValueError(f"not a valid IRI: {text!r}")
    return f"<{text}>"
