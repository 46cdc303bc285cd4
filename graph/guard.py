"""What public SPARQL may not make the server do: fetch other addresses.

pyoxigraph really performs ``SERVICE`` calls and ``LOAD`` fetches over HTTP, so a public query
could make the server reach any address (server-side request forgery). ``SERVICE`` is allowed only
to endpoints listed in the ``service_allowlist`` setting, written as full IRIs; ``LOAD`` is refused
(upload data with the Graph Store Protocol instead).

The check reads the text as the engine's grammar does, left to right, a token where it starts: an
IRI, a string, a comment or a backslash escape is taken whole, so a ``#`` inside ``<…/core#>`` does
not hide the rest of the line as a comment, a quote inside ``<http://a/'>`` or ``ex:a\\'`` does not open
a string, and a keyword is found wherever the engine finds one — glued to what precedes it
(``1SERVICE``) or follows it (``SERVICE<http://…>``, ``SERVICESILENT``), in any case — unless it is
part of a variable or prefixed name (``?service``, ``schema:serviceArea``). Where the engine may read a
``<`` as "less than" instead of an IRI (``FILTER(?a<'>')``), a quote or a ``#`` inside what looks like
an IRI could start a string or comment the check would not see: a text that names ``SERVICE`` or
``LOAD`` and has such an IRI is refused rather than guessed at (the IRI can write them ``\\u0027``,
``\\u0023``).
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator

#: One token where it starts: an IRI (kept, as ``<n>``), a string or comment (blanked), an escape.
_TOKENS = re.compile(
    r"(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)"
    r"|'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\"|#[^\r\n]*"
    r"|(?P<escape>\\.)"
)
#: What precedes a keyword-looking word that is in fact the rest of a variable or prefixed name (only ASCII
#: name characters: a shorter name than the engine's can only make the check see a keyword it would not).
_IN_NAME = re.compile(r"(?:[?$][A-Za-z0-9_]*|(?:[A-Za-z][A-Za-z0-9_-]*)?:[A-Za-z0-9_-]*)\Z")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LONG_STRING = re.compile(r"'''|\"\"\"")


class ForbiddenOperation(ValueError):
    """The request asks the server to reach another address; the message says what and how to do without."""


def _skeleton(sparql: str) -> tuple[str, list[str]]:
    """The text with strings, comments and escapes blanked and each IRI replaced by ``<n>`` (its index in the
    list): what is left are the keywords, as the engine will see them."""
    iris: list[str] = []

    def keep(match: re.Match) -> str:
        if match.group("iri") is not None:
            iris.append(match.group("iri")[1:-1])
            return f" <{len(iris) - 1}> "
        return "__" if match.group("escape") is not None else " "

    return _TOKENS.sub(keep, sparql), iris


def _ambiguous_iri(sparql: str) -> str | None:
    """An IRI-looking token whose reading as "less than" would start a string or comment the check does not see:
    one holding a quote, or a ``#`` with a long string opening later on its line.

    Linear in the text: the long-string openers and the line ends are found once, and each IRI looks up the
    next of each (a check that copied the rest of the text for every IRI took 104 s on a 400 kB query)."""
    openers = [m.start() for m in _LONG_STRING.finditer(sparql)]
    line_ends = [m.start() for m in re.finditer(r"[\r\n]", sparql)]
    for match in _TOKENS.finditer(sparql):
        iri = match.group("iri")
        if iri is None:
            continue
        if "'" in iri:
            return iri
        if "#" in iri:
            opener = bisect.bisect_left(openers, match.end())
            line_end = bisect.bisect_left(line_ends, match.end())
            if opener < len(openers) and (line_end == len(line_ends) or openers[opener] < line_ends[line_end]):
                return iri
    return None


def _keywords(skeleton: str, word: str) -> Iterator[re.Match]:
    """Each place the engine may read ``word`` as a keyword, with what follows it (group 1)."""
    for match in re.finditer(word + r"\s*(?:SILENT\s*)?(<\d+>|[^\s{]*)", skeleton, re.IGNORECASE):
        if not _IN_NAME.search(skeleton[max(0, match.start() - 200):match.start()]):
            yield match


def _unescape(iri: str) -> str:
    def char(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _UCHAR.sub(char, iri)


def _refuse_ambiguity(sparql: str, word: str) -> None:
    if re.search(word, sparql, re.IGNORECASE | re.ASCII):
        iri = _ambiguous_iri(sparql)
        if iri is not None:
            raise ForbiddenOperation(
                f"this text names {word} and has {iri}, an IRI with a quote or a '#' that could also be read as code: "
                "write them \\u0027 and \\u0023 inside the IRI")


def check_query(sparql: str, service_allowlist: tuple[str, ...]) -> None:
    _refuse_ambiguity(sparql, "SERVICE")
    text, iris = _skeleton(sparql)
    for match in _keywords(text, "SERVICE"):
        target = match.group(1)
        iri = _unescape(iris[int(target[1:-1])]) if re.fullmatch(r"<\d+>", target) else None
        if iri is None or iri not in service_allowlist:
            allowed = ", ".join(service_allowlist) or "none"
            shown = f"<{iri}>" if iri is not None else target or "(nothing)"
            raise ForbiddenOperation(
                f"SERVICE {shown} is not allowed: federated queries may only call the endpoints of the "
                f"service_allowlist setting, written as full IRIs (allowed: {allowed})"
            )


def check_update(sparql: str, service_allowlist: tuple[str, ...]) -> None:
    _refuse_ambiguity(sparql, "LOAD")
    if next(_keywords(_skeleton(sparql)[0], "LOAD"), None) is not None:
        raise ForbiddenOperation("LOAD is not allowed: upload the data with the Graph Store Protocol (PUT or POST /data)")
    check_query(sparql, service_allowlist)
