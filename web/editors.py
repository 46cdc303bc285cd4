"""Editors: who may moderate, checked against the configured ``login:hash`` entries; their sessions.

Credentials come from the ``editors`` setting only (hashes made by ``tscgraph editor-password`` with
Werkzeug's ``generate_password_hash``, scrypt by default); a password is never stored, logged or
compared as text. :func:`check_credentials` costs the same for an unknown login as for a wrong
password (it checks a dummy hash), so neither the answer nor its timing tells which logins exist.

A signed-in editor's cookie (Flask's signed session, HttpOnly, SameSite=Lax, Secure over https) carries
a random session id; the session itself is a record in the store (:mod:`graph.sessions`), so every web
process sees the same sessions. It is good while its record exists, for :data:`SESSION_LIFETIME` after
sign-in at most, and only while the login is still configured: signing out deletes the record (every
copy of the cookie ends), removing an editor from the settings ends their sessions at the next request.

Failed sign-ins back off per login (:class:`LoginBackoff`), besides the rate limit per address.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import unicodedata
from functools import wraps
from urllib.parse import unquote, urlencode, urlsplit

from flask import abort, current_app, g, redirect, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from graph import sessions
from graph.sessions import SESSION_LIFETIME  # noqa: F401 - the session cookie's lifetime too (web.moderation)
from graph.settings import Settings
from web import context
from web.i18n import gettext as _
from web.security import CSRF_FIELD

#: The session cookie's key for the session id (the session's record is in the store).
SESSION_KEY = "editor_session"
#: Checked when the login is unknown, so that an unknown login costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
#: Where to go after signing in when ``next=`` is missing or not a path of this site.
DEFAULT_NEXT = "/moderation"


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
    """A fresh session for the editor: nothing of the anonymous one kept, a new CSRF token, a new record
    in the store (old records purged meanwhile)."""
    session_id = sessions.start_session(context.raw_store(), context.settings(), login)
    context.snapshots().refresh(public=False)  # the sessions graph is private
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = session_id
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    g.editor = login


def sign_out() -> None:
    """End the session for every copy of its cookie (its record is deleted), then forget it here."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str) and session_id:
        sessions.end_session(context.raw_store(), context.settings(), session_id)
        context.snapshots().refresh(public=False)
    session.clear()
    g.editor = None


def current_editor() -> str | None:
    """The signed-in editor: the session's record exists in the store, is younger than
    :data:`SESSION_LIFETIME`, and the login is still configured. One indexed lookup per request, and
    only for requests that carry a session id."""
    if "editor" not in g:
        session_id = session.get(SESSION_KEY)
        g.editor = (sessions.session_editor(context.raw_store(), context.settings(), session_id)
                    if isinstance(session_id, str) and session_id else None)
    return g.editor


def safe_next(target: str | None) -> str:
    r"""Where to go after signing in: a path of this site, else :data:`DEFAULT_NEXT` (no open redirect).

    Browsers drop tabs and newlines from URLs and read ``\`` as ``/``, so ``/\t/evil.example`` and
    ``/\evil.example`` lead elsewhere. Refused: any control or space character (Unicode's too) and any
    backslash; anything with a scheme or a host; a path starting with ``//`` — the path also once
    percent-decoded."""
    if not target or len(target) > 2000 or _unsafe(target):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or path.startswith("//") or _unsafe(path):
        return DEFAULT_NEXT
    return target


def _unsafe(text: str) -> bool:
    return "\\" in text or any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in text)


class LoginBackoff:
    """Failed sign-ins per login: after :attr:`free` failures in a row, each attempt must wait, first
    :attr:`first_wait` seconds, doubling at each further failure up to :attr:`max_wait`. A success
    resets the count. Unknown logins back off the same way, so the answer tells nothing about which
    logins exist. In the memory of the process that answers sign-ins (bounded: the oldest forgotten)."""

    free = 5
    first_wait = 30.0
    max_wait = 900.0
    forget_after = 3600.0
    most_logins = 10_000

    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, float]] = {}  # login → (failures in a row, time of the last)
        self.lock = threading.Lock()

    def wait(self, count: int) -> float:
        return 0.0 if count < self.free else min(self.max_wait, self.first_wait * 2 ** (count - self.free))

    def attempt(self, login: str, now: float | None = None) -> float:
        """0 and the attempt counted as a failure until :meth:`succeeded` says otherwise (so parallel
        guesses count too), or the seconds still to wait (the attempt refused, nothing counted)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            count, last = self.failures.get(login, (0, now))
            if now - last > self.forget_after:
                count = 0
            left = last + self.wait(count) - now
            if left > 0:
                return left
            self.failures[login] = (count + 1, now)
            if len(self.failures) > self.most_logins:
                for old in sorted(self.failures, key=lambda k: self.failures[k][1])[: len(self.failures) // 2]:
                    del self.failures[old]
            return 0.0

    def succeeded(self, login: str) -> None:
        with self.lock:
            self.failures.pop(login, None)


def login_backoff() -> LoginBackoff:
    return current_app.extensions.setdefault("tscgraph.login_backoff", LoginBackoff())


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
