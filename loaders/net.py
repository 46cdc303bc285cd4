"""The one HTTP client for everything a partner can steer: harvested documents, the links in them, redirects,
SPARQL endpoints' answers. A partner node is an untrusted network client's counterpart: what it names is
checked before any byte leaves, and what it sends is read with a cap.

The policy is pure and tested on its own (:func:`check_link`, :func:`address_class`, :func:`check_addresses`):

* a link is ``http`` or ``https`` with a host — never a local path, ``file:``, ``gopher:``…;
* it stays on the policy's origins (``scheme://host:port``): for a harvest, the source's own and those the
  sources file allows for it (``allow_origins``); a source read from a local file has no origin of its own;
* every address its host resolves to is checked, and the connection goes to a checked address (no second
  look-up that DNS could answer differently): loopback, link-local, private, unspecified, multicast and
  reserved addresses, IPv4 and IPv6 (an IPv4 address inside an IPv6 one — mapped, 6to4, NAT64 — is judged as
  IPv4), are refused unless the policy allows them (``allow_private_addresses``, for a source on the
  operator's own network; the project's two-node tests on loopback need it). ``https`` keeps SNI and the
  certificate check on the host name;
* redirects are never followed by a library: each ``Location`` is checked by the same rules, at most
  :data:`MAX_REDIRECTS` hops;
* a body is read streaming and refused past ``max_bytes`` (announced or not: an endless answer ends at the
  cap), each read within ``timeout``, the whole answer within ``deadline`` (a trickling body ends there).

Every failure is a :class:`FetchError` whose message is a classified reason — fixed words and numbers,
never a byte of what was read — so that it can be stored and published as it is.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

#: Largest body read (bytes): 100 MiB, ten times the default request limit.
MAX_BYTES = 100 * 1024 * 1024
#: Seconds to connect, and between two reads of an answer.
TIMEOUT = 20.0
#: Seconds one answer may take in all, redirects included.
DEADLINE = 300.0
#: Redirects followed (each checked as the first link was).
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "tscgraph-harvester (+https://w3id.org/tscgraph)"
_CHUNK = 64 * 1024

NOT_HTTP = "refused link (not http(s))"
OFF_ORIGIN = "refused link (not on the source's origin)"
WITH_CREDENTIALS = "refused link (credentials in the link)"
#: IPv6 ranges that carry an IPv4 address in their last 32 bits (NAT64, the deprecated IPv4-compatible form).
_EMBEDDING = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


class FetchError(Exception):
    """A document was not fetched. The message is a classified reason, safe to store and publish;
    ``transient`` says whether trying again later may help (a timeout, a refused connection, HTTP 5xx)."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.transient = reason, transient


@dataclass(frozen=True)
class Policy:
    """Who may be contacted. ``origins`` None means any origin; ``private`` allows every address class;
    ``trusted`` are origins whose addresses are not checked (an operator typed them in a command);
    ``own_file`` is the local path the operator named as the source itself, the only file ever read."""

    origins: frozenset[str] | None = frozenset()
    private: bool = False
    trusted: frozenset[str] = frozenset()
    own_file: str = ""
    max_redirects: int = MAX_REDIRECTS

    @classmethod
    def for_source(cls, url: str, allow_origins: tuple[str, ...] | list[str] = (), allow_private: bool = False
                   ) -> Policy:
        """A harvest source's policy: its own origin (none for a local file) and the origins allowed for it."""
        own = {origin(url)} if is_http(url) else set()
        return cls(frozenset(own | {origin(o) for o in allow_origins}), allow_private,
                   own_file="" if is_http(url) else url)

    @classmethod
    def for_operator(cls, url: str, *, max_redirects: int = MAX_REDIRECTS) -> Policy:
        """A URL an operator typed (``check-endpoint``, ``refresh-labels``): its own address is not judged, any
        redirect is — to any public origin, never silently to a private address."""
        return cls(None, False, frozenset({origin(url)}) if is_http(url) else frozenset(),
                   max_redirects=max_redirects)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str


# ------------------------------------------------------------------ the policy (pure)


def _parts(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def is_http(url: str) -> bool:
    return _parts(url) is not None


def origin(url: str) -> str:
    """``scheme://host:port``, lower-cased, the port always given; "" when ``url`` is not http(s)."""
    parts = _parts(url)
    if parts is None:
        return ""
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{parts.port or (443 if scheme == 'https' else 80)}"


def check_link(url: str, policy: Policy) -> SplitResult:
    """The link's parts, or FetchError: not http(s), credentials in it, or off the policy's origins."""
    parts = _parts(url)
    if parts is None:
        raise FetchError(NOT_HTTP)
    if parts.username is not None or parts.password is not None:
        raise FetchError(WITH_CREDENTIALS)
    if policy.origins is not None and origin(url) not in policy.origins:
        raise FetchError(OFF_ORIGIN)
    return parts


def address_class(address: str) -> str | None:
    """Why an address is refused ("loopback", "private network"…), or None for a public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "reserved"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and any(ip in net for net in _EMBEDDING):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_class(str(inner))
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "private network"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def check_addresses(addresses: list[str], policy: Policy, link_origin: str) -> list[str]:
    """The addresses, or FetchError naming the class of the first refused one (one refused refuses all)."""
    if policy.private or link_origin in policy.trusted:
        return addresses
    for address in addresses:
        refused = address_class(address)
        if refused:
            raise FetchError(f"refused address ({refused})")
    return addresses


# ------------------------------------------------------------------ the I/O shell


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError("host not found", transient=True) from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def request(url: str, policy: Policy, *, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
            deadline: float = DEADLINE) -> Answer:
    """The answer to ``url`` (any status), redirects followed as the policy allows; FetchError else.

    With ``policy.max_redirects == 0`` a redirect is the answer (not followed, not an error)."""
    stop = time.monotonic() + deadline
    for hop in range(policy.max_redirects + 1):
        try:
            answer = _exchange(url, policy, method, body, headers or {}, timeout, max_bytes, stop)
        except FetchError as exc:
            if hop and exc.reason.startswith("refused"):  # the address a redirect led to
                raise FetchError("redirect: " + exc.reason) from None
            raise
        if answer.status not in REDIRECTS or policy.max_redirects == 0:
            return answer
        location = answer.headers.get("Location", "").strip()
        if not location:
            raise FetchError("redirect without a Location")
        url = urljoin(url, location)
        try:
            check_link(url, policy)
        except FetchError as exc:
            raise FetchError("redirect: " + exc.reason) from None
        if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
            method, body = "GET", None
    raise FetchError(f"too many redirects (over {policy.max_redirects})")


def fetch_body(url: str, policy: Policy, **options) -> bytes:
    """The body of a 2xx answer to ``url``; FetchError ("HTTP 404", a refusal, "timed out"…) else."""
    answer = request(url, policy, **options)
    if not 200 <= answer.status < 300:
        raise FetchError(f"HTTP {answer.status}", transient=answer.status >= 500 or answer.status == 429)
    return answer.body


def _exchange(url: str, policy: Policy, method: str, body: bytes | None, headers: dict[str, str],
              timeout: float, max_bytes: int, stop: float) -> Answer:
    """One request and its answer, on a connection to an address checked by the policy."""
    parts = check_link(url, policy)
    https = parts.scheme.lower() == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    if not host.isascii():  # an internationalised name: http.client sends ASCII only
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError("host not found") from None
    if time.monotonic() >= stop:
        raise FetchError("timed out", transient=True)
    addresses = check_addresses(resolve(host, port), policy, origin(url))
    opened: list[socket.socket] = []
    fired = threading.Event()

    def connect_checked(_address, connect_timeout=None, source_address=None):
        """http.client's connect, to the checked addresses only (SNI and certificate stay on ``host``)."""
        last: OSError = OSError("no address")
        for address in addresses:
            try:
                sock = socket.create_connection((address, port), connect_timeout, source_address)
            except OSError as exc:
                last = exc
                continue
            opened.append(sock)
            return sock
        raise last

    def cut() -> None:  # the deadline: whatever the connection is waiting for ends now
        fired.set()
        for sock in opened:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    connection: http.client.HTTPConnection
    if https:
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection._create_connection = connect_checked  # type: ignore[attr-defined]
    watchdog = threading.Timer(max(0.0, stop - time.monotonic()), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        if response.status in REDIRECTS:
            return Answer(response.status, response.headers, b"", url)
        announced = (response.getheader("Content-Length") or "").strip()
        if announced.isdigit() and int(announced) > max_bytes:
            raise FetchError(f"too large (over {max_bytes} bytes)")
        chunks, size = [], 0
        while chunk := response.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"too large (over {max_bytes} bytes)")
            chunks.append(chunk)
        if fired.is_set():
            raise FetchError("timed out", transient=True)
        return Answer(response.status, response.headers, b"".join(chunks), url)
    except FetchError:
        raise
    except (TimeoutError, socket.timeout):
        raise FetchError("timed out", transient=True) from None
    except ssl.SSLCertVerificationError:
        raise FetchError("TLS certificate not valid for the host") from None
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set():
            raise FetchError("timed out", transient=True) from None
        if isinstance(exc, ConnectionRefusedError):
            raise FetchError("connection refused", transient=True) from None
        if isinstance(exc, ssl.SSLError):
            raise FetchError("TLS failed", transient=True) from None
        if isinstance(exc, http.client.HTTPException):
            raise FetchError("not a readable HTTP answer", transient=True) from None
        raise FetchError("connection failed", transient=True) from None
    finally:
        watchdog.cancel()
        connection.close()
