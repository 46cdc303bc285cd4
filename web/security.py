"""Protections of the forms and POST routes: signed sessions, CSRF tokens, a honeypot, rate limits.

* **Sessions** are Flask's signed cookies (HttpOnly, SameSite=Lax), signed with ``secret_key``;
  without one configured a random key is made on first start and kept beside the store (0600),
  so sessions survive restarts. An editor's cookie only names a session recorded in the store
  (:mod:`web.editors`, :mod:`graph.sessions`), which signing out deletes.
* **CSRF**: every form carries ``csrf_token`` (``{{ csrf_field() }}``), a random value kept in the
  session; :func:`check_form` refuses a POST without the same value (400, nothing written).
* **Honeypot**: forms carry a field people never see (``{{ honeypot_field() }}``); a value there
  means a robot filled every field, and the POST is refused.
* **Rate limits**: :func:`rate_limited` allows ``rate_limit`` POSTs per ``rate_limit_window``
  seconds per client address (429 with ``Retry-After`` beyond), in memory — one web process by design.
  The client address is the connection's, or with ``trusted_proxies`` = N the one the N proxies in
  front of the server wrote in ``X-Forwarded-For`` (werkzeug's ``ProxyFix``); never that header by default.
* **The site's address** is ``public_url`` (:class:`PublicAddress`): the ``Host`` header a client sends
  never becomes part of a URL the server writes. When it is https, the session cookie is ``Secure``
  and every answer carries ``Strict-Transport-Security``.

* **Security headers** on every answer (:data:`SECURITY_HEADERS`): a Content-Security-Policy that lets
  the pages load only their own stylesheet and images and run no script at all (they have none: the
  only ``<script>`` is a JSON-LD data block, which is not executed), no framing, no MIME sniffing, and
  no referrer sent to other sites. The one exception is the ``/sparql`` page (:data:`WORKBENCH_CSP`): it may
  run the workbench's script files from this site and fetch from this site, nothing more.

Output escaping is Jinja's autoescape (on for every ``.html`` template): a submitted ``<script>``
is shown as text.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, session
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from graph.settings import Settings
from web.i18n import gettext as _

CSRF_FIELD = "csrf_token"
#: Sent with every response. ``default-src 'none'``: nothing loads or runs unless listed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: The one page that runs script, the analysts' workbench at ``/sparql`` (web/workbench.py): the same policy plus
#: its own script files and its fetches to this site (``'self'`` only: no inline script, no eval, no other origin).
WORKBENCH_CSP = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';")
HONEYPOT_FIELD = "website_confirm"
#: Sent when the site is served over https: browsers keep to https for a year.
HSTS = "max-age=31536000"


def secret_key(settings: Settings) -> str:
    """The configured key, or the one kept beside the store (made once, readable by its owner only)."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.secret_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, csrf_token())


def honeypot_field() -> Markup:
    """A field hidden from people (and from screen readers), left empty by them."""
    return Markup(
        '<div class="hp" aria-hidden="true"><label>%s <input type="text" name="%s" value="" tabindex="-1" '
        'autocomplete="off"></label></div>'
    ) % (_("Leave this field empty"), HONEYPOT_FIELD)


def check_form() -> None:
    """Refuse a form POST whose CSRF token is missing or wrong, or whose honeypot is filled (400)."""
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        abort(400, description=_(
            "This form has expired or was not sent from this site (missing or wrong CSRF token): "
            "reload the page and send it again."))
    if request.form.get(HONEYPOT_FIELD):
        abort(400, description=_("This form was refused as automated (a hidden field was filled)."))


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (a sliding window, in memory)."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.events: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Record one event for ``key``; 0 if allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self.lock:
            events = self.events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.window - now
            events.append(now)
            if len(self.events) > 10_000:  # forget idle clients (bounded memory)
                for idle in [k for k, v in self.events.items() if not v or v[-1] <= now - self.window]:
                    del self.events[idle]
            return 0.0


def rate_limited(view):
    """Decorator: POSTs to ``view`` count against the client's rate limit (429 beyond it)."""

    @wraps(view)
    def limited(*args, **kwargs):
        if request.method == "POST":
            wait = current_app.extensions["tscgraph.rate_limiter"].hit(request.remote_addr or "?")
            if wait > 0:
                response = current_app.make_response((
                    _("Too many requests from your address: try again in %(seconds)d seconds.", seconds=int(wait) + 1) + "\n",
                    429, {"Retry-After": str(int(wait) + 1), "Content-Type": "text/plain; charset=utf-8"},
                ))
                return response
        return view(*args, **kwargs)

    return limited


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class PublicAddress:
    """WSGI middleware: every request is seen at the configured public address (``Settings.site_url``),
    so ``request.host_url``, ``url_root`` and ``url_for(_external=True)`` are built from the settings,
    never from the ``Host`` header a client chose."""

    def __init__(self, app, site_url: str) -> None:
        parts = urlsplit(site_url)
        self.app, self.scheme, self.host = app, parts.scheme, parts.netloc

    def __call__(self, environ, start_response):
        environ["HTTP_HOST"] = self.host
        environ["wsgi.url_scheme"] = self.scheme
        return self.app(environ, start_response)


def init_app(app: Flask, settings: Settings) -> None:
    app.wsgi_app = PublicAddress(app.wsgi_app, settings.site_url)  # type: ignore[method-assign]
    if settings.trusted_proxies:  # the client address from X-Forwarded-For, as the trusted proxies wrote it
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=0, x_host=0, x_port=0,  # type: ignore[method-assign]
                                x_prefix=0)
    app.after_request(add_security_headers)
    app.secret_key = secret_key(settings)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="tscgraph_session",
                      SESSION_COOKIE_SECURE=settings.site_url.startswith("https:"))
    app.extensions["tscgraph.rate_limiter"] = RateLimiter(settings.rate_limit, settings.rate_limit_window)
    app.jinja_env.globals.update(csrf_field=csrf_field, csrf_token=csrf_token, honeypot_field=honeypot_field)
