"""Bearer tokens for writes: generated once, configured as hashes, compared in constant time; each with a scope.

Tokens are 256-bit random strings, so a plain SHA-256 is the right hash (a slow password hash
would add nothing against brute force of such a space); the configuration never holds a token.

**Scopes.** An ``update_tokens`` entry is ``sha256:<hex>`` (the ``write`` scope) or ``admin:sha256:<hex>``
(``write:sha256:<hex>`` is the same as the plain form). What a token may touch depends on the graph
(:func:`write_refusal`):

* **private graphs** (``Settings.is_public_graph`` is False: pending submissions, moderation records, the
  harvest quarantine, the thesaurus labels, sessions…) are beyond every token: not written, and not read
  either, not even inside an update's ``WHERE`` (the update runs over a dataset without them,
  :func:`graph.writes.apply_update`). So "nothing is ever deleted" holds for moderation records whatever
  the token, and a pending submission is changed by nobody before an editor reads it;
* **the ontology and the graphs the server keeps itself** (:func:`needs_admin`: the ontology and
  vocabularies, the record log, the validation reports, the change feeds, the harvest log) need the
  ``admin`` scope: a ``write`` token could otherwise fake when a record was accepted, its conformance
  badge, a partner's increments, or empty the vocabularies every shape relies on;
* **every other public graph** — the local graph (the curated data), a harvest's graph (the next harvest
  replaces it whole), any graph a client names itself — takes a ``write`` token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import Enum

from graph.settings import Settings

#: An ``update_tokens`` entry: an optional scope, then the token's hash.
TOKEN_ENTRY = re.compile(r"(?:(write|admin):)?(sha256:[0-9a-f]{64})")


class Scope(Enum):
    WRITE = "write"  #: public graphs, but the ontology and the server's own
    ADMIN = "admin"  #: every public graph


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_entry(token: str, scope: Scope = Scope.WRITE) -> str:
    """The ``update_tokens`` line for ``token`` with ``scope`` (the write scope needs no prefix)."""
    return hash_token(token) if scope is Scope.WRITE else f"{scope.value}:{hash_token(token)}"


def token_scope(token: str, entries: tuple[str, ...]) -> Scope | None:
    """The scope ``token`` is configured with in ``entries`` (the widest if it is listed twice), or None.
    Every entry is compared, in constant time, whatever matched."""
    presented = hash_token(token)
    found: Scope | None = None
    for entry in entries:
        match = TOKEN_ENTRY.fullmatch(entry)
        if match is None:
            continue  # the settings refuse such entries; never compare against a malformed one
        if hmac.compare_digest(presented, match.group(2)) and found is not Scope.ADMIN:
            found = Scope(match.group(1) or "write")
    return found


def needs_admin(settings: Settings, graph_iri: str) -> bool:
    """Whether writing ``graph_iri`` needs the admin scope: the ontology and vocabularies, and the public
    graphs the server keeps itself (record log, validation reports, change feeds, summaries, harvest log)."""
    kept = {settings.ontology_graph, settings.log_graph, settings.changes_graph, settings.summary_graph,
            settings.graph_base + "validation", settings.graph_base + "harvest-log"}
    return graph_iri in kept


def write_refusal(settings: Settings, scope: Scope, graph_iri: str) -> str | None:
    """Why a token of ``scope`` may not change ``graph_iri``, or None when it may."""
    if not settings.is_public_graph(graph_iri):
        return (f"<{graph_iri}> is a private graph (submissions, moderation, quarantine…): "
                "no token may read or change it; editors decide submissions on /moderation")
    if needs_admin(settings, graph_iri) and scope is not Scope.ADMIN:
        return (f"<{graph_iri}> is the ontology or a graph the server keeps itself: changing it needs a token "
                "with the admin scope ('admin:sha256:…' in update_tokens, made by 'tscgraph token --admin')")
    return None
