"""Handing a request to the writer: one HTTP/1.1 exchange over its Unix socket (or, for a reader on another
host, its TCP address), asynchronously — the reader's event loop waits, none of its threads does.

The request goes as it came (method, path, query, headers, body), with the client's address in
``X-Tscgraph-Client`` and, over TCP, the readers' shared key in ``X-Tscgraph-Reader`` (the writer believes the
address only from a reader: over its own socket, or with the key). The answer comes back whole, with the
writer's state in ``X-Tscgraph-Generation``: the writer answers only once the snapshot of its write is
published, so whichever reader the client asks next reads it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

#: Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), and those set here.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "content-length", "host", "x-tscgraph-client", "x-tscgraph-reader"}
CLIENT_HEADER, KEY_HEADER, STATE_HEADER = "x-tscgraph-client", "x-tscgraph-reader", "x-tscgraph-generation"


class WriterUnavailable(Exception):
    """The writer did not answer (restarting, or gone): nothing was written by this request."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def reader_key(secret: str) -> str:
    """The key readers on other hosts show the writer: derived from the shared ``secret_key``."""
    return hmac.new(secret.encode(), b"tscgraph reader", hashlib.sha256).hexdigest()


class Forwarder:
    """Sends requests to the writer at ``address`` (``unix:/path`` or ``http://host:port``)."""

    def __init__(self, address: str, *, key: str, timeout: float) -> None:
        self.address, self.key, self.timeout = address, key, timeout
        if address.startswith("unix:"):
            self.unix, self.host, self.port = address[5:], "writer", 0
        else:
            parts = urlsplit(address)
            self.unix, self.host, self.port = None, parts.hostname or "127.0.0.1", parts.port or 80

    async def send(self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes,
                   client: str) -> Answer:
        try:
            return await asyncio.wait_for(self._exchange(method, path, query, headers, body, client), self.timeout)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            raise WriterUnavailable(f"the writer did not answer ({type(exc).__name__})") from None
        except asyncio.TimeoutError:
            raise WriterUnavailable(f"the writer did not answer within {self.timeout:g} s") from None

    async def _exchange(self, method, path, query, headers, body, client) -> Answer:
        if self.unix is not None:
            reader, writer = await asyncio.open_unix_connection(self.unix)
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            target = quote(path, safe="/:@!$&'()*+,;=-._~%") + (f"?{query}" if query else "")
            lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}",
                     "Connection: close", f"X-Tscgraph-Client: {client}"]
            if self.unix is None:
                lines.append(f"X-Tscgraph-Reader: {self.key}")
            lines += [f"{name}: {value}" for name, value in headers if name.lower() not in HOP_BY_HOP]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            return await read_answer(reader)
        finally:
            writer.close()


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    """An HTTP/1.1 answer: status line, headers, and a body by Content-Length, chunks, or to the end."""
    status_line = (await reader.readuntil(b"\r\n")).decode("latin-1")
    status = int(status_line.split(" ", 2)[1])
    headers: list[tuple[str, str]] = []
    while (line := (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")):
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    fields = {name.lower(): value for name, value in headers}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        chunks = []
        while (size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif "content-length" in fields:
        body = await reader.readexactly(int(fields["content-length"]))
    else:
        body = await reader.read()
    kept = [(n, v) for n, v in headers if n.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive")]
    return Answer(status, kept, body)
