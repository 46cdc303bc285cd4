"""A hostile partner node of the tests' own, and an internal service it tries to make us reach.

:class:`Internal` is a listener on loopback standing for a service inside our network (an admin API, a cloud
metadata endpoint): it counts the connections it is offered and answers each with :data:`INTERNAL_SECRET`,
so a test asserts that it saw none, and that the secret is nowhere. :class:`Partner` is an HTTP server on
loopback whose answers are whatever a test puts in its ``routes`` (path → :class:`Reply`), plus the nasty
ones every hostile test needs: redirects, an endless body, a huge announced length, a slow body.
Both run in daemon threads and stop with :meth:`close`; every wait is bounded.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INTERNAL_SECRET = b"INTERNAL-SECRET-7f3a91c0 root:x:0:0:root:/root:/bin/bash"
#: What /etc/passwd starts with: no page or graph may ever hold it.
PASSWD = "root:x:0:0"


class Internal:
    """A loopback listener that must never be reached: it counts connections (and answers, to make a leak show)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                conn.settimeout(1)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: "
                             + str(len(INTERNAL_SECRET)).encode() + b"\r\n\r\n" + INTERNAL_SECRET)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@dataclass
class Reply:
    """One answer: status, headers, body; ``kind`` "endless" (zeros until the client hangs up), "huge" (a
    Content-Length of 1 TB, then a few bytes), "slow" (``body`` one byte each ``delay`` seconds)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "plain"
    delay: float = 0.05


def redirect(status: int, location: str) -> Reply:
    return Reply(status, headers={"Location": location})


class Partner:
    """The hostile partner node: ``routes`` maps a path (no query) to a Reply; anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[tuple[str, str]] = []
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                partner.answer(self)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(min(length, 1 << 20))
                partner.answer(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        self.requests.append((handler.command, path))
        reply = self.routes.get(path, Reply(404, b"not here"))
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        try:
            if reply.kind == "endless":  # no length: the body ends when the connection does (HTTP/1.0)
                handler.end_headers()
                zeros = b"0" * 65536
                for _ in range(100_000):  # bounded: 6.5 GB, far past any cap
                    handler.wfile.write(zeros)
            elif reply.kind == "huge":
                handler.send_header("Content-Length", str(10**12))
                handler.end_headers()
                handler.wfile.write(b"@prefix : <http://x/> .\n")
            elif reply.kind == "slow":
                handler.send_header("Content-Length", str(len(reply.body)))
                handler.end_headers()
                for i in range(len(reply.body)):
                    handler.wfile.write(reply.body[i:i + 1])
                    handler.wfile.flush()
                    time.sleep(reply.delay)
            else:
                handler.send_header("Content-Length", str(len(reply.body)))
                handler.end_headers()
                handler.wfile.write(reply.body)
        except OSError:  # the client hung up (the point of most of these answers)
            pass

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
