"""Answers cached per state of the data, validators on every read, and compression: HTTP done once, in front.

* **Cache.** A reader keeps the answers to anonymous reads (``GET``/``HEAD`` with no credentials, no session,
  no cookie but the language one) in an LRU bounded in bytes, keyed by the request's target and the headers
  that choose the answer (``Accept``, ``Accept-Language``, the language cookie) **and by the public state** it
  was computed on: a repeated request is answered without the app, the store or a thread until a write
  changes what the public reads (:mod:`graph.store.snapshots`); then every entry is stale at once — but for the
  answers whose app said what they read (:data:`graph.changekeys.READS_HEADER`: the triples of some subjects, and some keys
  whatever the subject), which outlive the writes that changed none of it (:meth:`serving.rsgi.Front.cached`).
  Only
  ``200`` answers whose app said nothing against it (``Cache-Control: no-store/private``, ``Set-Cookie``)
  are kept.
* **Validators.** Every whole ``200`` answer to a ``GET`` gets a strong ``ETag`` (a digest of its bytes,
  unless the app set one), and a request whose ``If-None-Match`` names it gets ``304``, cached or not.
* **Compression.** Text answers (HTML, JSON, CSV, RDF, SPARQL results) over 1 KiB are sent gzip-compressed
  to clients that accept it (``Vary: Accept-Encoding``, the ETag marked ``-gzip`` as RFC 9110 asks of
  another representation); a cached entry is compressed once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from graph.changekeys import Reads, reads_from_data

#: Media types worth compressing (their start).
COMPRESSIBLE = ("text/", "application/json", "application/ld+json", "application/sparql-results", "application/n-",
                "application/rdf+xml", "application/trig", "application/xml", "application/sarif+json",
                "application/javascript", "image/svg+xml", "application/geo+json")
MIN_COMPRESS = 1024
#: The largest answer a cache entry may hold (larger ones are answered, not kept).
MAX_ENTRY = 8 * 1024 * 1024
#: Cookies that do not make an answer personal (the language switch remembers a choice, nothing more).
NEUTRAL_COOKIES = {"lang"}


def parse_reads(value: str | None) -> Reads | None:
    """:data:`graph.changekeys.READS_HEADER`'s value (JSON of :func:`graph.changekeys.reads_data`); None when absent or not that."""
    if not value:
        return None
    try:
        return reads_from_data(json.loads(value))
    except ValueError:
        return None


@dataclass
class Entry:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    gzipped: bytes | None = field(default=None, repr=False)
    route: str = ""
    reads: Reads | None = field(default=None, repr=False)  #: what it read, when its app said (:data:`graph.changekeys.READS_HEADER`)

    @property
    def size(self) -> int:
        """Bytes counted against the cache: the body, room for its compressed form, and the rest."""
        return len(self.body) + len(self.body) // 3 + 256


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    return next((v for n, v in headers if n.lower() == name), None)


def cookies_of(value: str | None) -> dict[str, str]:
    found = {}
    for part in (value or "").split(";"):
        name, sep, val = part.strip().partition("=")
        if sep:
            found[name.strip()] = val.strip()
    return found


def request_key(method: str, path: str, query: str, request_headers: dict[str, str]) -> tuple | None:
    """The cache key of a request, or None when its answer may be personal or change state."""
    if method not in ("GET", "HEAD") or "authorization" in request_headers:
        return None
    cookies = cookies_of(request_headers.get("cookie"))
    if set(cookies) - NEUTRAL_COOKIES:
        return None
    return (path, query, request_headers.get("accept", ""), request_headers.get("accept-language", ""),
            cookies.get("lang", ""))


def may_be_stale(request_headers: dict[str, str]) -> bool:
    """Whether a request lets a cache answer from an earlier state: not when it says ``no-cache``, ``no-store``
    or ``max-age=0`` (RFC 9111 §5.2.1; ``Pragma: no-cache`` from HTTP/1.0 clients)."""
    control = request_headers.get("cache-control", "").lower().replace(" ", "")
    if any(d in ("no-cache", "no-store", "max-age=0") for d in control.split(",")):
        return False
    return "no-cache" not in request_headers.get("pragma", "").lower()


def cacheable(status: int, headers: list[tuple[str, str]]) -> bool:
    control = (header(headers, "cache-control") or "").lower()
    return status == 200 and header(headers, "set-cookie") is None and "no-store" not in control \
        and "private" not in control and header(headers, "content-encoding") is None


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def accepts_gzip(value: str | None) -> bool:
    """Whether an ``Accept-Encoding`` allows gzip (``gzip``, ``x-gzip`` or ``*`` with q > 0)."""
    for part in (value or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def compressible(headers: list[tuple[str, str]], body: bytes) -> bool:
    media = (header(headers, "content-type") or "").lower()
    return len(body) >= MIN_COMPRESS and media.startswith(COMPRESSIBLE) and header(headers, "content-encoding") is None


def matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` against an ETag, by the weak comparison RFC 9110 §13.1.2 asks of a GET."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def finish(status: int, headers: list[tuple[str, str]], body: bytes, request_headers: dict[str, str],
           entry: Entry | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    """The answer as sent: with its validator, a 304 when the client holds it, compressed when it may be."""
    if status != 200:
        return status, headers, body
    etag = entry.etag if entry is not None else header(headers, "etag") or strong_etag(body)
    gz = accepts_gzip(request_headers.get("accept-encoding")) and compressible(headers, body)
    out = [(n, v) for n, v in headers if n.lower() not in ("etag", "content-length")]
    vary = header(out, "vary")
    if compressible(headers, body):
        out = [(n, v) for n, v in out if n.lower() != "vary"]
        out.append(("Vary", f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"))
    tag = etag[:-1] + '-gzip"' if gz and etag.endswith('"') else etag
    out.append(("ETag", tag))
    if header(out, "cache-control") is None:
        out.append(("Cache-Control", "no-cache"))  # may be kept, but asked again: a write may change it
    if matches(request_headers.get("if-none-match"), tag):
        return 304, [(n, v) for n, v in out if n.lower() not in ("content-type",)], b""
    if gz:
        if entry is not None:
            if entry.gzipped is None:
                entry.gzipped = gzip.compress(body, compresslevel=5, mtime=0)
            body = entry.gzipped
        else:
            body = gzip.compress(body, compresslevel=5, mtime=0)
        out.append(("Content-Encoding", "gzip"))
    return 200, out, body


class ResponseCache:
    """An LRU of answers by (state, key), at most ``max_bytes`` (see the module docstring)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, state: object, key: tuple) -> Entry | None:
        with self.lock:
            entry = self.entries.get((state, key))
            if entry is None:
                self.misses += 1
                return None
            self.entries.move_to_end((state, key))
            self.hits += 1
            return entry

    def peek(self, state: object, key: tuple) -> Entry | None:
        """The entry of ``key`` in ``state`` if kept, counted as neither hit nor miss (an earlier state's answer,
        looked up after the miss of the current one)."""
        with self.lock:
            return self.entries.get((state, key))

    def put(self, state: object, key: tuple, status: int, headers: list[tuple[str, str]], body: bytes,
            route: str = "", reads: Reads | None = None) -> Entry:
        return self.add(state, key, Entry(status, headers, body, header(headers, "etag") or strong_etag(body), route=route,
                                          reads=reads))

    def add(self, state: object, key: tuple, entry: Entry) -> Entry:
        """Keep ``entry`` (one made elsewhere: another reader's, with its validator) unless it is too large."""
        if len(entry.body) > MAX_ENTRY or self.max_bytes <= 0:
            return entry
        with self.lock:
            old = self.entries.pop((state, key), None)
            if old is not None:
                self.size -= old.size
            self.entries[(state, key)] = entry
            self.size += entry.size
            while self.size > self.max_bytes and self.entries:
                _key, dropped = self.entries.popitem(last=False)
                self.size -= dropped.size
        return entry
