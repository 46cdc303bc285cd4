"""What public SPARQL may not make the server do: fetch other addresses.

pyoxigraph really performs ``SERVICE`` calls and ``LOAD`` fetches over HTTP, so a public query
could make the server reach any address (server-side request forgery). ``SERVICE`` is allowed only
to endpoints listed in the ``service_allowlist`` setting, written as full IRIs; ``LOAD`` is refused
(upload data with the Graph Store Protocol instead).
"""

from __future__ import annotations

import re

# Comments and string literals are blanked first, so a word inside them is never taken for a keyword.
_COMMENTS_AND_STRINGS = re.compile(
    r"#[^\n]*|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'''(?:[^\\]|\\.)*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
)
_SERVICE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?(<[^>\s]*>|\S+)", re.IGNORECASE)
_LOAD = re.compile(r"\bLOAD\b", re.IGNORECASE)
# A keyword-looking word inside an IRI (<http://x/SERVICE/y>) must not count either.
_IRIS = re.compile(r"<[^>\s]*>")


class ForbiddenOperation(ValueError):
    """The request asks the server to reach another address; the message says what and how to do without."""


def check_query(sparql: str, service_allowlist: tuple[str, ...]) -> None:
    text = _COMMENTS_AND_STRINGS.sub(" ", sparql)
    for match in _SERVICE.finditer(text):
        target = match.group(1)
        if not (target.startswith("<") and target[1:-1] in service_allowlist):
            allowed = ", ".join(service_allowlist) or "none"
            raise ForbiddenOperation(
                f"SERVICE {target} is not allowed: federated queries may only call the endpoints of the "
                f"service_allowlist setting, written as full IRIs (allowed: {allowed})"
            )


def check_update(sparql: str, service_allowlist: tuple[str, ...]) -> None:
    text = _COMMENTS_AND_STRINGS.sub(" ", sparql)
    if _LOAD.search(_IRIS.sub(" ", text)):
        raise ForbiddenOperation("LOAD is not allowed: upload the data with the Graph Store Protocol (PUT or POST /data)")
    check_query(sparql, service_allowlist)
