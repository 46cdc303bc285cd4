"""Coverage-guided fuzzing of the SSRF guard (graph.guard): for any text, the check either refuses it with a
ForbiddenOperation or lets it through — and a text it lets through never makes the real engine connect to an
address (a loopback listener counts connections; any connection is a finding).

    .venv/bin/python tests/fuzz/fuzz_guard.py -max_total_time=60
"""

from __future__ import annotations

import re
import socket
import threading

from harness import ROOT, instrumented, run

with instrumented():
    import pyoxigraph as ox

    from graph.guard import ForbiddenOperation, check_query, check_update

LISTENER = socket.create_server(("127.0.0.1", 0))
PORT = LISTENER.getsockname()[1]
CONNECTIONS: list[tuple] = []
ENGINE = ox.Store()
ENGINE.add(ox.Quad(ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p"), ox.Literal("x")))


def _accept() -> None:
    while True:  # a daemon thread: ends with the process
        conn, address = LISTENER.accept()
        CONNECTIONS.append(address)
        conn.close()


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace").replace("{TARGET}", f"http://127.0.0.1:{PORT}/")
    try:
        check_update(text, ())
        update_allowed = True
    except ForbiddenOperation:
        update_allowed = False
    try:
        check_query(text, ())
    except ForbiddenOperation:
        if not update_allowed:
            return
    if not re.search(r"service|load", text, re.IGNORECASE):
        return  # nothing the engine could fetch with
    try:
        result = ENGINE.query(text) if not update_allowed else None
        if result is not None and not isinstance(result, ox.QueryBoolean):
            list(result)
        if update_allowed:
            ox.Store().update(text)
    except (SyntaxError, OSError, ValueError, RuntimeError, TypeError):
        pass
    assert not CONNECTIONS, f"the guard let through a text that reached the listener: {text!r}"


def seeds() -> dict[str, bytes]:
    out = {path.name: path.read_bytes() for path in sorted((ROOT / "queries").glob("*.rq"))}
    out["service"] = b"PREFIX s: <http://a/#> SELECT * WHERE { ?s ?p ?o SERVICE <{TARGET}> { ?a ?b ?c } }"
    out["load"] = b"INSERT DATA { <http://a/#> <http://a/p> 'x' } ; LOAD <{TARGET}>"
    return out


if __name__ == "__main__":
    threading.Thread(target=_accept, daemon=True).start()
    run("guard", test_one_input, seeds())
