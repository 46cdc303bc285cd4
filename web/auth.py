"""Who may change what: every route that changes state, listed in one place (:data:`WRITE_ROUTES`) with
the access it needs, so a test can walk the list, and the checks those routes use.

Three kinds of credentials exist. Machines send a bearer token (one of ``update_tokens``, kept only
as hashes), of the ``write`` or the ``admin`` scope (:mod:`graph.auth`: which graphs each may change;
private graphs are beyond every token). Editors sign in with a password (an scrypt hash in ``editors``) and carry a signed cookie
naming a session recorded in the store, which ends at sign-out or after 8 h; their forms carry a CSRF token. Anyone may send a submission or sign in, within
the rate limit: those routes write nothing public (a submission is a private pending graph until an
editor approves it).
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from flask import Response, g, request

from graph.auth import Scope, token_scope
from web import context


class Access(Enum):
    TOKEN = "a bearer token (Authorization: Bearer) whose scope may change the graphs written"
    EDITOR = "a signed-in editor's session and the form's CSRF token"
    TOKEN_OR_EDITOR = "a write token, or a signed-in editor's session and the form's CSRF token"
    ANYONE = "anyone, within the rate limit; writes nothing public"


class WriteRoute(NamedTuple):
    method: str
    rule: str  #: the Flask URL rule
    access: Access
    does: str


#: Every (method, rule) of the app that is not a plain read. ``tests/test_access.py`` checks that the app
#: has no other and walks this list: refused without credentials, accepted with them.
WRITE_ROUTES: tuple[WriteRoute, ...] = (
    WriteRoute("POST", "/sparql", Access.TOKEN, "SPARQL Update (a query by POST is a read: anyone)"),
    WriteRoute("POST", "/update", Access.TOKEN, "SPARQL Update"),
    WriteRoute("PUT", "/data", Access.TOKEN, "Graph Store Protocol: replace a graph"),
    WriteRoute("POST", "/data", Access.TOKEN, "Graph Store Protocol: add to a graph"),
    WriteRoute("DELETE", "/data", Access.TOKEN, "Graph Store Protocol: drop a graph"),
    WriteRoute("POST", "/harvest/<name>/check", Access.TOKEN_OR_EDITOR, "harvest a source now"),
    WriteRoute("POST", "/moderation/<submission_id>/approve", Access.EDITOR, "publish a submission"),
    WriteRoute("POST", "/moderation/<submission_id>/reject", Access.EDITOR, "reject a submission"),
    WriteRoute("POST", "/moderation/duplicates/confirm", Access.EDITOR, "link two records found alike (owl:sameAs)"),
    WriteRoute("POST", "/moderation/duplicates/dismiss", Access.EDITOR, "keep two records found alike apart"),
    WriteRoute("POST", "/submit/<kind>", Access.ANYONE, "send a record for moderation (a private pending graph)"),
    WriteRoute("POST", "/submissions", Access.ANYONE, "send RDF for moderation (a private pending graph)"),
    WriteRoute("POST", "/validate", Access.ANYONE, "validate a document (writes nothing)"),
    WriteRoute("POST", "/editor/login", Access.ANYONE, "sign in (one message whatever was wrong)"),
    WriteRoute("POST", "/editor/logout", Access.ANYONE, "end the client's own session"),
)


def routes_needing(access: Access) -> tuple[WriteRoute, ...]:
    return tuple(route for route in WRITE_ROUTES if route.access is access)


def _refuse(status: int, message: str, error: str | None = None) -> Response:
    challenge = 'Bearer realm="tscgraph"' + (f', error="{error}"' if error else "")
    response = Response(message + "\n", status=status, mimetype="text/plain")
    if status == 401:
        response.headers["WWW-Authenticate"] = challenge
    return response


def sends_token() -> bool:
    """Whether the request carries credentials in an ``Authorization`` header (then they must be good)."""
    return bool(request.headers.get("Authorization", "").strip())


def check_write_access() -> Response | None:
    """None when the request carries a valid write token (its scope is then :func:`token_scope_of_request`),
    else the 401/403 response to send."""
    allowed = context.settings().update_tokens
    if not allowed:
        return _refuse(403, "writes are disabled on this server: no update_tokens are configured")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refuse(401, "this write needs an 'Authorization: Bearer <token>' header")
    scope = token_scope(token.strip(), allowed)
    if scope is None:
        return _refuse(401, "the bearer token is not accepted", error="invalid_token")
    g.token_scope = scope
    return None


def token_scope_of_request() -> Scope:
    """The scope of the token :func:`check_write_access` accepted for this request."""
    scope = g.get("token_scope")
    if scope is None:
        raise RuntimeError("check_write_access() must accept the request's token first")
    return scope


def refuse_anonymous(message: str) -> Response:
    """401 for a route that takes a write token or an editor's session, when the request has neither."""
    return _refuse(401, message)
