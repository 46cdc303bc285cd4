"""Bearer-token access for every write route. The list of write routes lives in one place
(:data:`WRITE_ROUTES`) so a test can walk it."""

from __future__ import annotations

from flask import Response, request

from graph.auth import token_allowed
from web import context

#: (method, path) of every route that writes. Tests prove each refuses missing and wrong tokens.
WRITE_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/sparql"),  # with an update
    ("POST", "/update"),
    ("PUT", "/data"),
    ("POST", "/data"),
    ("DELETE", "/data"),
)


def _refuse(status: int, message: str, error: str | None = None) -> Response:
    challenge = 'Bearer realm="tscgraph"' + (f', error="{error}"' if error else "")
    response = Response(message + "\n", status=status, mimetype="text/plain")
    if status == 401:
        response.headers["WWW-Authenticate"] = challenge
    return response


def check_write_access() -> Response | None:
    """None when the request carries a valid write token, else the 401/403 response to send."""
    allowed = context.settings().update_tokens
    if not allowed:
        return _refuse(403, "writes are disabled on this server: no update_tokens are configured")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refuse(401, "this write needs an 'Authorization: Bearer <token>' header")
    if not token_allowed(token.strip(), allowed):
        return _refuse(401, "the bearer token is not accepted", error="invalid_token")
    return None
