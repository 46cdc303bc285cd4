"""Editors: who may moderate, checked against the configured ``login:hash`` entries; their sessions.

Credentials come from the ``editors`` setting only (hashes made by ``tscgraph editor-password`` with
Werkzeug's ``generate_password_hash``, scrypt by default); a password is never stored, logged or
compared as text. :func:`check_credentials` costs the same for an unknown login as for a wrong
password (it checks a dummy hash), so neither the answer nor its timing tells which logins exist.

A signed-in editor is ``session["editor"]`` (Flask's signed cookie, HttpOnly, SameSite=Lax), good for
:data:`SESSION_LIFETIME` after sign-in at most, and only while the login is still configured:
removing an editor from the settings ends their sessions at the next request.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from flask import abort, redirect, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from graph.settings import Settings
from web import context
from web.i18n import gettext as _
from web.security import CSRF_FIELD

#: How long a sign-in lasts (the session cookie's and the signed timestamp's limit).
SESSION_LIFETIME = timedelta(hours=8)
#: Checked when the login is unknown, so that an unknown login costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def parse_editors(entries: tuple[str, ...]) -> dict[str, str]:
    """``("alice:scrypt:…$…$…",)`` → ``{"alice": "scrypt:…$…$…"}`` (the hash is after the first colon)."""
    editors = {}
    for entry in entries:
        login, _sep, password_hash = entry.partition(":")
        editors[login] = password_hash
    return editors


def check_credentials(settings: Settings, login: str, password: str) -> str | None:
    """The editor's login when ``password`` is theirs, else None (same cost whether the login exists or not)."""
    known = None
    for candidate, password_hash in parse_editors(settings.editors).items():
        if hmac.compare_digest(candidate.encode(), login.encode()):
            known = (candidate, password_hash)
    if known is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return known[0] if check_password_hash(known[1], password) else None


def sign_in(login: str) -> None:
    """A fresh session for the editor: nothing of the anonymous one kept, a new CSRF token."""
    session.clear()
    session.permanent = True
    session["editor"] = login
    session["editor_since"] = int(time.time())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out() -> None:
    session.clear()


def current_editor() -> str | None:
    """The signed-in editor, if the sign-in is recent enough and the login still configured."""
    login = session.get("editor")
    if not login:
        return None
    since = session.get("editor_since", 0)
    if not isinstance(since, int) or time.time() - since > SESSION_LIFETIME.total_seconds():
        return None
    return login if login in parse_editors(context.settings().editors) else None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return "/moderation"


def editor_required(view):
    """Pages: an anonymous visitor is sent to the sign-in page (and back). POSTs: 403."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_editor() is None:
            if request.method != "GET" and request.method != "HEAD":
                abort(403, description=_("Only a signed-in editor may do this."))
            path = request.full_path.rstrip("?") if request.query_string else request.path
            return redirect("/editor/login?" + urlencode({"next": path}), code=303)
        return view(*args, **kwargs)

    return guarded


def private_page(response):
    """Editors' pages are neither cached nor indexed (register with ``bp.after_request(private_page)``)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
