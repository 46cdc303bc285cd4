"""A WSGI application served over granian's RSGI interface: whole requests only, and HTTP done in front of it.

Why: the server must withstand slow clients on its own. A WSGI server that hands a connection to a thread
before the request is whole lets each slow client hold a thread: four to six connections sending their
bodies a byte at a time stopped the gunicorn server that came before. Here granian (Rust, tokio) reads
headers and bodies asynchronously — a slow client costs a socket and a little memory, never a thread — and
the WSGI app is called in a thread of a bounded pool only once its request has fully arrived:

* the body is read as it comes, and refused with **413** once it passes ``max_body`` bytes (a declared
  ``Content-Length`` over the cap is refused before any byte is read);
* the whole body must arrive within ``body_timeout`` seconds, else **408**;
* headers must arrive within granian's own header timeout.

In a reader, a :class:`Front` acts before any thread is taken: a write is handed to the writer
(:mod:`serving.forward`), and an anonymous read is answered from the per-state cache when it can be
(:mod:`serving.httpcache`); every whole answer gets its validator, its 304 and its compression there. In the
writer, the client address a reader passes on (``X-Tscgraph-Client``) is believed only from a reader.

**After a write** every cached answer is of the state before, and the next anonymous reads all wait for their
pages to be computed afresh — each busy page once per reader, at every write: measured, the reads while the load
test's writers write fell to 6–11 % of the reads without them. Two answers to it. The readers of a host share
what they compute (:mod:`serving.sharedanswers`): a reader that misses looks there before computing. And with
``cache_stale_seconds`` set (off by default), for that long after the public state changes an anonymous read
whose answer is kept for the **state just before** (``State.prior``: never older) is answered from it at once,
while one reader — the one that claims it — computes the new answer in the background for the next requests
(RFC 5861's *stale-while-revalidate*). A client that must see the newest state says ``Cache-Control: no-cache``
(a browser's reload sends ``max-age=0``: the same); reads with credentials or a session never come from a cache.

The bridge follows PEP 3333 for what the app sees (``PATH_INFO`` as latin-1 of the UTF-8 path, headers as
``HTTP_*``, repeated headers joined) and streams the app's answer: a list is sent whole, an iterator
chunk by chunk (each chunk pulled in the pool, so a long download holds no thread while the client reads).
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import io
import json
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from graph.changekeys import READS_HEADER, Change, Reads, changed_subjects
from serving import httpcache
from serving.forward import CLIENT_HEADER, KEY_HEADER, STATE_HEADER, Forwarder, WriterUnavailable
from serving.sharedanswers import SharedAnswers

log = logging.getLogger("tscgraph.server")
requests_log = logging.getLogger("tscgraph.requests")

_DONE = object()
#: An internal header by which the app tells the bridge which route answered (for the cache's metrics and
#: log lines); it never leaves the server.
ROUTE_HEADER = "X-Tscgraph-Route"


def _status_code(status: str) -> int:
    return int(status.split(" ", 1)[0])


def _plain(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("content-type", "text/plain; charset=utf-8"), *(extra or [])], (text + "\n").encode("utf-8")


@dataclass
class Front:
    """What a reader does before its app: hand writes over, answer from the cache."""

    forwards: Callable[[str, str, str, bytes], bool]
    forwarder: Forwarder
    cache: httpcache.ResponseCache
    public_state: Callable[[], object]
    saw_state: Callable[[int, int, str, int | None], None] | None = None
    on_hit: Callable[[str, Any, int, float, bool], None] | None = None  #: (route, scope, status, seconds, stale)
    #: The public state just before the current one (None: there is none), and how long after a change its
    #: answers may still be given while the new ones are computed (0: never; see the module docstring).
    prior_state: Callable[[], object | None] = lambda: None
    stale_seconds: float = 0.0
    shared: SharedAnswers | None = None  #: the answers this host's readers share (:mod:`serving.sharedanswers`)
    #: The earlier public states, nearest first, each with what changed from it to the current one
    #: (:meth:`graph.store.snapshots.State.changes_since`), and which graphs the public reads: for the answers
    #: that said what they read, kept across the writes that changed none of it (:meth:`cached`).
    changes: Callable[[], list[tuple[object, Change | None]]] = lambda: []
    visible: Callable[[str], bool] = lambda _graph: True

    def __post_init__(self) -> None:
        self._state: object = None
        self._since = 0.0

    def cached(self, state: object, key: tuple) -> httpcache.Entry | None:
        """The answer of ``key`` in ``state`` from this reader's cache, else from the one the readers share."""
        entry = self.cache.get(state, key)
        if entry is None and self.shared is not None:
            self.shared.follow(state, self.prior_state())
            entry = self.shared.get(state, key)
            if entry is not None:
                entry = self.cache.add(state, key, entry)
        return entry if entry is not None else self.carried(state, key)

    def carried(self, state: object, key: tuple) -> httpcache.Entry | None:
        """The answer of the nearest earlier state this reader (or another) kept for ``key``, when it said what it
        read (:data:`graph.changekeys.READS_HEADER`) and the writes since changed none of it: the same answer, now
        the current state's too (a record's Turtle after a write about another record; its ETag holds, so a client
        that has it gets a 304). Else None: computed anew."""
        for earlier, change in self.changes():
            entry = self.cache.peek(earlier, key)
            if entry is None and self.shared is not None:
                entry = self.shared.get(earlier, key)
            if entry is None:
                continue
            touched = changed_subjects(change, self.visible) if entry.reads is not None else None
            if touched is None or not touched[0].isdisjoint(entry.reads[0]) \
                    or not touched[1].isdisjoint(entry.reads[1]):  # type: ignore[index]
                return None
            entry = self.cache.add(state, key, entry)
            if self.shared is not None:
                self.shared.put(state, key, entry)
            return entry
        return None

    def keep(self, state: object, key: tuple, status: int, headers: list[tuple[str, str]], body: bytes,
             route: str, reads: Reads | None = None) -> httpcache.Entry:
        """Keep an answer this reader computed, and leave it for the other readers."""
        entry = self.cache.put(state, key, status, headers, body, route, reads)
        if self.shared is not None:
            self.shared.put(state, key, entry)
        return entry

    def stale_entry(self, state: object, key: tuple, request_headers: dict[str, str]) -> httpcache.Entry | None:
        """The answer of the state just before ``state`` when it may stand in for the new one (see the module
        docstring), else None."""
        now = time.monotonic()
        if state != self._state:  # the first request to see a new state starts its window
            self._state, self._since = state, now
        if self.stale_seconds <= 0 or now - self._since > self.stale_seconds \
                or not httpcache.may_be_stale(request_headers):
            return None
        prior = self.prior_state()
        if prior is None:
            return None
        entry = self.cache.peek(prior, key)
        if entry is None and self.shared is not None:
            entry = self.shared.get(prior, key)
        return entry


class WSGIOverRSGI:
    """An RSGI application (granian ``--interface rsgi``) that runs ``wsgi_app`` (see the module docstring)."""

    def __init__(self, wsgi_app: Callable, *, threads: int, max_body: int, body_timeout: float,
                 server_name: str = "localhost", server_port: int = 80, front: Front | None = None,
                 reader_key: str | None = None) -> None:
        self.app = wsgi_app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.server_name, self.server_port = server_name, str(server_port)
        self.front = front
        self.reader_key = reader_key  # set in the writer: who may name the client's address
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tscgraph-wsgi")
        #: (state, key) → done when the one request computing that answer ends. After a write every reader's
        #: cache starts again, and N clients asking one page at once would each compute it (a busy page after a
        #: write, times the clients): the first computes, the others wait for its answer (single flight).
        self.computing: dict[tuple, asyncio.Future] = {}
        self._refreshing: set[asyncio.Task] = set()  # held: the loop keeps only weak references to tasks

    # ------------------------------------------------------------------ RSGI entry

    async def __call__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":  # websockets: not served
            return
        started = time.perf_counter()
        body = await self._read_body(scope, proto)
        if isinstance(body, tuple):
            proto.response_bytes(*body)
            return
        request_headers = {name.lower(): value for name, value in scope.headers.items()}
        front = self.front
        if front is not None and front.forwards(scope.method, scope.path, request_headers.get("content-type", ""), body):
            await self._forward(scope, proto, body)
            return
        key = httpcache.request_key(scope.method, scope.path, scope.query_string, request_headers) \
            if front is not None else None
        state = front.public_state() if key is not None else None
        leading = None
        if key is not None:
            entry = front.cached(state, key)
            stale = front.stale_entry(state, key, request_headers) if entry is None else None
            if stale is not None:
                if scope.method == "GET" and (state, key) not in self.computing \
                        and (front.shared is None or front.shared.claim(state, key)):
                    self._refresh(self._environ(scope, body), key, state)
                self._send_cached(scope, proto, stale, request_headers, started, True)
                return
            if entry is None and (state, key) in self.computing:
                # the same answer is being computed for another client: wait for it rather than compute it again
                await asyncio.shield(self.computing[(state, key)])
                entry = front.cache.get(state, key)
            if entry is not None:
                self._send_cached(scope, proto, entry, request_headers, started, False)
                return
            if scope.method == "GET" and (state, key) not in self.computing:
                leading = self.computing[(state, key)] = asyncio.get_running_loop().create_future()

        def release() -> None:  # once the answer is known (kept, or not to be shared): the waiting may go on
            if leading is not None and not leading.done():
                del self.computing[(state, key)]
                leading.set_result(None)

        try:
            await self._answer(scope, proto, body, request_headers, key, state, release)
        finally:
            release()

    def _send_cached(self, scope: Any, proto: Any, entry: httpcache.Entry, request_headers: dict[str, str],
                     started: float, stale: bool) -> None:
        status, headers, out = httpcache.finish(entry.status, entry.headers, entry.body, request_headers, entry)
        proto.response_bytes(status, headers, b"" if scope.method == "HEAD" else out)
        if self.front.on_hit is not None:  # type: ignore[union-attr]
            self.front.on_hit(entry.route, scope, status, time.perf_counter() - started, stale)  # type: ignore[union-attr]

    def _refresh(self, environ: dict, key: tuple, state: object) -> None:
        """Compute, in the background, the answer of ``state`` to a request just answered from the state before
        (the clients asking it meanwhile get the old answer, or wait for this one once the window has passed)."""
        loop = asyncio.get_running_loop()
        front = self.front
        assert front is not None
        done = self.computing[(state, key)] = loop.create_future()

        async def run() -> None:
            try:
                status, headers, first, rest = await loop.run_in_executor(self.executor, self._start, environ)
                if rest is not None:  # a stream is not kept: let it go unread
                    await loop.run_in_executor(self.executor, rest.close)
                    return
                route, reads, headers = _internal_of(headers)
                if httpcache.cacheable(status, headers):
                    front.keep(state, key, status, headers, first, route, reads)
            except Exception:  # noqa: BLE001 - the next request computes it in its own time and says what failed
                log.exception("refreshing a cached answer failed (%s)", environ.get("PATH_INFO"))
            finally:
                if front.shared is not None:
                    front.shared.release(state, key)
                del self.computing[(state, key)]
                done.set_result(None)

        task = loop.create_task(run())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def _answer(self, scope: Any, proto: Any, body: bytes, request_headers: dict[str, str], key, state,
                      release: Callable[[], None]) -> None:
        """Run the app for a request the cache could not answer, and keep its answer when it may be shared."""
        front = self.front
        loop = asyncio.get_running_loop()
        environ = self._environ(scope, body)
        try:
            status, headers, first, rest = await loop.run_in_executor(self.executor, self._start, environ)
        except Exception:  # noqa: BLE001 - the app failed outside its own error handling
            log.exception("the application failed on %s %s", scope.method, scope.path)
            proto.response_bytes(*_plain(500, "internal server error"))
            return
        route, reads, headers = _internal_of(headers)
        if rest is not None:
            release()  # a streamed answer is not kept: the others compute their own rather than wait for the stream
            await self._stream(loop, proto, status, headers, first, rest)
            return
        entry = None
        if key is not None and scope.method == "GET" and httpcache.cacheable(status, headers):  # a HEAD has no body
            entry = front.keep(state, key, status, headers, first, route, reads)
        release()
        if scope.method == "GET" or entry is not None:
            status, headers, first = httpcache.finish(status, headers, first, request_headers, entry)
        proto.response_bytes(status, headers, b"" if scope.method == "HEAD" else first)

    async def _forward(self, scope: Any, proto: Any, body: bytes) -> None:
        """Hand a write to the writer and relay its answer (503 with ``Retry-After`` when it is away)."""
        client = scope.client.rsplit(":", 1)[0].strip("[]")
        try:
            answer = await self.front.forwarder.send(scope.method, scope.path, scope.query_string,  # type: ignore[union-attr]
                                                     list(scope.headers.items()), body, client)
        except WriterUnavailable as exc:
            proto.response_bytes(*_plain(503, f"busy: writes are not taken right now ({exc}); nothing was written; "
                                              "try again shortly", [("Retry-After", "2")]))
            return
        state = httpcache.header(answer.headers, STATE_HEADER)
        if state and self.front.saw_state is not None:  # type: ignore[union-attr]
            generation, public, run, prior = (state.split(" ") + ["", "", ""])[:4]
            self.front.saw_state(int(generation), int(public or generation), run,  # type: ignore[union-attr]
                                 int(prior) if prior.isdigit() else None)
        headers = [(n, v) for n, v in answer.headers if n.lower() != STATE_HEADER]
        proto.response_bytes(answer.status, headers, answer.body)

    async def _read_body(self, scope: Any, proto: Any) -> bytes | tuple:
        declared = scope.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_body:
                    return _plain(413, f"the request body is larger than {self.max_body} bytes")
            except ValueError:
                return _plain(400, "the Content-Length header is not a number")
        chunks: list[bytes] = []
        size = 0

        async def read() -> bytes | tuple:
            nonlocal size
            async for chunk in proto:
                size += len(chunk)
                if size > self.max_body:
                    return _plain(413, f"the request body is larger than {self.max_body} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

        try:
            return await asyncio.wait_for(read(), self.body_timeout)
        except asyncio.TimeoutError:
            return _plain(408, f"the request body did not arrive within {self.body_timeout:g} s")
        except Exception:  # noqa: BLE001 - the client went away while sending
            return _plain(400, "the request body could not be read")

    def _environ(self, scope: Any, body: bytes) -> dict:
        client = scope.client.rsplit(":", 1)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": client[0].strip("[]"),
            "REMOTE_PORT": client[1] if len(client) == 2 else "",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                continue
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            if key in environ:
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                environ[key] = value
        forwarded_for = environ.pop("HTTP_" + CLIENT_HEADER.upper().replace("-", "_"), None)
        shown_key = environ.pop("HTTP_" + KEY_HEADER.upper().replace("-", "_"), "")
        if forwarded_for and self.reader_key is not None and (
                scope.client == "" or hmac.compare_digest(shown_key.encode(), self.reader_key.encode())):
            environ["REMOTE_ADDR"] = forwarded_for  # a reader's: over the writer's own socket, or with the key
        return environ

    # ------------------------------------------------------------------ running the app (in the pool)

    def _start(self, environ: dict) -> tuple[int, list, bytes, Iterator[bytes] | None]:
        """Call the app; return its status, headers and either its whole body or its first chunk and the rest.

        The app runs in a context of its own (``contextvars``), in which the rest of a stream is read too
        (:class:`_Closing`): the pool's threads take turns at a stream, and Flask's request context, pushed by
        the stream's first chunk and popped after its last, must be popped in the context it was pushed in — else
        the pop raises and the stream's end is lost."""
        context = contextvars.copy_context()
        return context.run(self._start_here, environ, context)

    def _start_here(self, environ: dict, context: contextvars.Context) -> tuple[int, list, bytes, Iterator[bytes] | None]:
        started: dict = {}
        written: list[bytes] = []

        def start_response(status: str, headers: list, exc_info=None):
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"], started["headers"] = status, headers
            return written.append

        result: Iterable[bytes] = self.app(environ, start_response)
        if isinstance(result, (list, tuple)):
            try:
                return _status_code(started["status"]), list(started["headers"]), b"".join([*written, *result]), None
            finally:
                _close(result)
        iterator = iter(result)
        head: list[bytes] = []
        try:
            for _ in range(2):  # an answer of one chunk (most: Flask's) is whole; a second chunk means a stream
                head.append(next(iterator))
        except StopIteration:
            _close(result)
            return _status_code(started["status"]), list(started["headers"]), b"".join([*written, *head]), None
        except BaseException:
            _close(result)
            raise
        return _status_code(started["status"]), list(started["headers"]), b"".join([*written, *head]), \
            _Closing(iterator, result, context)

    async def _stream(self, loop, proto, status: int, headers: list, first: bytes, rest: "_Closing") -> None:
        transport = proto.response_stream(status, headers)
        try:
            chunk: object = first
            while chunk is not _DONE:
                if chunk:
                    await transport.send_bytes(chunk)  # type: ignore[arg-type]
                chunk = await loop.run_in_executor(self.executor, rest.next_or_done)
        except Exception:  # noqa: BLE001 - the client went away, or the app failed half-way: stop sending
            log.info("a streamed answer ended early (%s %s)", status, "client gone or app error")
        finally:
            await loop.run_in_executor(self.executor, rest.close)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class _Closing:
    """The rest of an app's answer, and the close() PEP 3333 says must follow it, read in the context the app
    began it in (see :meth:`WSGIOverRSGI._start`)."""

    def __init__(self, iterator: Iterator[bytes], result: Iterable[bytes], context: contextvars.Context) -> None:
        self.iterator, self.result, self.context = iterator, result, context

    def next_or_done(self) -> object:
        return self.context.run(next, self.iterator, _DONE)

    def close(self) -> None:
        self.context.run(_close, self.result)


def _internal_of(headers: list[tuple[str, str]]) -> tuple[str, Reads | None, list[tuple[str, str]]]:
    """The route the app named (:data:`ROUTE_HEADER`), what the answer read (:data:`READS_HEADER`), and
    the headers without them (they never leave the server)."""
    internal = (ROUTE_HEADER.lower(), READS_HEADER.lower())
    return (httpcache.header(headers, ROUTE_HEADER) or "", httpcache.parse_reads(httpcache.header(headers, READS_HEADER)),
            [(n, v) for n, v in headers if n.lower() not in internal])


def _close(result: object) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def log_hit(route: str, scope: Any, status: int, seconds: float) -> None:
    """The request log line of an answer the cache gave (the app logs the others)."""
    requests_log.info(json.dumps({"method": scope.method, "path": scope.path, "route": route, "status": status,
                                  "ms": round(seconds * 1000, 2), "client": scope.client.rsplit(":", 1)[0],
                                  "cache": "hit"}))
