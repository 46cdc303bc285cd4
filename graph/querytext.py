"""What a query's text says before and after the engine reads it: the RDF dataset it runs over, and, when the
engine refuses it, what is wrong with it in words.

**The dataset**, as SPARQL 1.1 says (Query §13.2, Protocol §2.1.4):

* The protocol's ``default-graph-uri`` / ``named-graph-uri``, when a request has either, are the dataset:
  exactly the graphs named — one parameter without the other means no graph of the other kind — and they
  replace the query's own ``FROM`` / ``FROM NAMED``.
* Else the query's ``FROM`` / ``FROM NAMED`` clauses are: the default graph is the merge of the ``FROM``
  graphs (empty when there are only ``FROM NAMED``), the named graphs are the ``FROM NAMED`` ones (none when
  there are only ``FROM``).
* Else the store's own dataset: the union of its graphs as the default graph, every graph by name.

pyoxigraph 0.5 has no query object that would tell its ``FROM`` clauses, and asking it for the union
default graph (or for a dataset of our own) overrides them; so :func:`from_clauses` reads them from the
text. It finds the clauses with a tokenizer of the query grammar's terminals (an IRI, a string, a comment,
a variable, a prefixed or blank node name, a language tag are each taken whole, so ``ex:from``, ``?from``,
``"from"`` or ``<…#from>`` are never the keyword), then lets the engine itself resolve what each clause
names — a relative IRI, a prefixed name, escapes — by running a one-row ``VALUES`` query with the same
prologue and base IRI on an empty in-memory store: the graphs are the ones the engine would have read.
Graphs a reader may not see are filtered out of the dataset afterwards (:class:`graph.store.view.PublicView`),
never by replacing it.

**Syntax errors** (:func:`describe_syntax_error`): the engine's parser reports where it stopped and a list of
its grammar's symbols ("expected [_]"); the same tokenizer names the usual causes — an unclosed string or
bracket, an undeclared prefix, a relative IRI without a base, a query that does not start as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import pyoxigraph as ox

_PN_CHARS_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
                  "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_PN_CHARS = _PN_CHARS_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
#: One terminal of the grammar where it starts (whitespace is skipped between them).
_TOKEN = re.compile(
    r"(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)"
    r"|(?P<string>'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")"
    r"|(?P<comment>#[^\r\n]*)"
    rf"|(?P<var>[?$][{_PN_CHARS}]*)"
    r"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    rf"|(?P<bnode>_:(?:[{_PN_CHARS}.:]|{_PLX})*)"
    rf"|(?P<pname>(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:(?:[{_PN_CHARS}:]|{_PLX})"
    rf"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
    rf"|(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<other>\S)",
    re.DOTALL,
)
_QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
_MAYBE_FROM = re.compile(r"from", re.IGNORECASE)


@dataclass(frozen=True)
class QueryDataset:
    """A dataset: the graphs merged into the default graph, and the named graphs (either may be empty)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


def values_clause(variable: str, terms) -> str:
    """``VALUES ?variable { … }`` of rdflib terms (IRIs from the store's own answers or checked to be IRIs: each is
    written by its ``n3()``, never pasted from free text)."""
    return f"VALUES ?{variable} {{ " + " ".join(term.n3() for term in terms) + " }"


def protocol_dataset(default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = ()) -> QueryDataset | None:
    """The dataset the protocol's parameters name, or None when the request has neither parameter."""
    if not default_graph_uris and not named_graph_uris:
        return None
    return QueryDataset(tuple(default_graph_uris), tuple(named_graph_uris))


def terminals(sparql: str):
    """(kind, match) of each terminal of a query or update text, in order (whitespace skipped): the one reading of
    SPARQL text outside the engine, for the dataset clauses here and the update splitter
    (:mod:`graph.store.updates`)."""
    for match in _TOKEN.finditer(sparql):
        yield match.lastgroup, match


def from_clauses(sparql: str, base_iri: str | None = None) -> QueryDataset | None:
    """The dataset the query's own ``FROM`` / ``FROM NAMED`` clauses name, resolved as the engine resolves
    them (``base_iri``: the base a relative IRI without ``BASE`` resolves against); None when it names none,
    or when the text does not read as a query (the engine will then say what is wrong)."""
    if not _MAYBE_FROM.search(sparql):  # the common case costs one scan of the text
        return None
    prologue_end = None
    clauses: list[tuple[bool, str]] = []  # (named, the IRI or prefixed name as written)
    pending: str | None = None  # "from" after FROM, "named" after FROM NAMED
    for kind, match in terminals(sparql):
        if kind == "comment":
            continue
        text = match.group()
        if pending is not None:
            if pending == "from" and kind == "word" and text.upper() == "NAMED":
                pending = "named"
                continue
            if kind in ("iri", "pname"):
                clauses.append((pending == "named", text))
            pending = None
            continue
        if kind == "word":
            upper = text.upper()
            if prologue_end is None and upper in _QUERY_FORMS:
                prologue_end = match.start()
            elif upper == "FROM" and prologue_end is not None:
                pending = "from"
    if not clauses or prologue_end is None:
        return None
    names = " ".join(f"?g{i}" for i in range(len(clauses)))
    row = " ".join(written for _, written in clauses)
    probe = f"{sparql[:prologue_end]}\nSELECT {names} WHERE {{ VALUES ({names}) {{ ({row}) }} }}"
    try:
        solution = next(iter(ox.Store().query(probe, base_iri=base_iri)))
    except (SyntaxError, ValueError, RuntimeError, OSError, StopIteration):
        return None
    resolved = [solution[i] for i in range(len(clauses))]
    if not all(isinstance(term, ox.NamedNode) for term in resolved):
        return None
    default = tuple(dict.fromkeys(t.value for (named, _), t in zip(clauses, resolved) if not named))
    named = tuple(dict.fromkeys(t.value for (named, _), t in zip(clauses, resolved) if named))
    return QueryDataset(default, named)


def names_dataset(sparql: str) -> bool:
    """Whether the query text has a ``FROM`` or ``FROM NAMED`` clause (without resolving what it names)."""
    if not _MAYBE_FROM.search(sparql):
        return False
    seen_form = False
    for kind, match in terminals(sparql):
        if kind == "word":
            upper = match.group().upper()
            if upper in _QUERY_FORMS:
                seen_form = True
            elif upper == "FROM" and seen_form:
                return True
    return False


def requested_dataset(sparql: str, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = (),
                      base_iri: str | None = None) -> QueryDataset | None:
    """The dataset a request names: the protocol's parameters when it has either (they replace the query's own
    clauses), else the query's ``FROM`` / ``FROM NAMED``; None when it names none (the store's own dataset)."""
    return protocol_dataset(default_graph_uris, named_graph_uris) or from_clauses(sparql, base_iri)


# ------------------------------------------------------------------ syntax errors in words

_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.DOTALL)
#: What the engine's grammar lists as "expected" that is not a word a person would type.
_GRAMMAR_NOISE = re.compile(r"^(?:\[.*\]|'.*'\.\.=.*)$")


def _undeclared_prefixes(sparql: str) -> list[str]:
    declared, used = set(), []
    after_prefix = False
    for kind, match in terminals(sparql):
        text = match.group()
        if kind == "word" and text.upper() == "PREFIX":
            after_prefix = True
            continue
        if kind == "pname":
            prefix = text[:text.index(":")]
            if after_prefix:
                declared.add(prefix)
            elif prefix not in used:
                used.append(prefix)
        after_prefix = False
    return [p for p in used if p not in declared]


def _unclosed(sparql: str) -> str | None:
    depth = {"{": 0, "(": 0, "[": 0}
    closing = {"}": "{", ")": "(", "]": "["}
    for kind, match in terminals(sparql):
        text = match.group()
        if kind == "other" and text in depth:
            depth[text] += 1
        elif kind == "other" and text in closing:
            depth[closing[text]] -= 1
    for opener, closer in (("{", "}"), ("(", ")"), ("[", "]")):
        if depth[opener] > 0:
            return f"a '{opener}' is never closed (one '{closer}' missing)"
        if depth[opener] < 0:
            return f"a '{closer}' closes nothing (one '{opener}' too few)"
    return None


def _first_word_problem(sparql: str) -> str | None:
    """Why the text does not start as a query does, if it does not (the first word that is not its prologue's)."""
    for kind, match in terminals(sparql):
        if kind in ("comment", "iri", "pname"):
            continue
        word = match.group()
        if kind == "word" and word.upper() in _QUERY_FORMS | {"PREFIX", "BASE"}:
            return None
        return f"a query starts with SELECT, CONSTRUCT, DESCRIBE or ASK (after its PREFIX and BASE lines), not {word!r}"
    return "the query is empty"


def _relative_iri(sparql: str) -> str | None:
    for kind, match in terminals(sparql):
        if kind == "word" and match.group().upper() == "BASE":
            return None
        if kind == "iri" and not re.match(r"<[A-Za-z][A-Za-z0-9+.\-]*:", match.group()):
            return match.group()
    return None


def describe_syntax_error(sparql: str, message: str, *, has_base: bool = True) -> str:
    """The engine's syntax error (``error at LINE:COLUMN: expected …``, at the furthest place its parser reached)
    said so that a person sees what is wrong: an unclosed string or bracket, an undeclared prefix, a relative
    IRI with no base, a query that does not start as one are named; else the text where the parser stopped is
    quoted, with what the engine expected there (its grammar's own symbols left out). The ``error at
    LINE:COLUMN`` head is kept: the workbench marks the place from it."""
    found = _POSITION.match(message)
    if found is None:
        return message
    line, column, rest = int(found.group(1)), int(found.group(2)), found.group(3).strip()
    lines = sparql.splitlines() or [""]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    at_end = line >= len(lines) and column > len(text.rstrip())
    where = "at the end of the query" if at_end else f"at {text[column - 1:column + 29].strip() or '(a line end)'!r}"
    words: list[str] = []
    if rest.startswith("expected"):
        listed = re.split(r",\s*(?![^\[]*\])", rest.removeprefix("expected one of").removeprefix("expected"))
        words = [w.strip() for w in listed if w.strip() and not _GRAMMAR_NOISE.match(w.strip())]
    problems = [w for w in words if " " in w]  # the engine's own sentences ("Duplicated variable name in SELECT")
    if any(kind == "other" and match.group() in "'\"" for kind, match in terminals(sparql)):
        problems.append("a string is never closed (a quote is missing)")
    problems += [f"the prefix '{p}:' is used but not declared (add PREFIX {p}: <…> before the query)"
                 for p in _undeclared_prefixes(sparql)]
    relative = None if has_base else _relative_iri(sparql)
    if relative:
        problems.append(f"the IRI {relative} is relative and there is no BASE to resolve it against")
    for check in (_first_word_problem, _unclosed):
        problem = check(sparql)
        if problem:
            problems.append(problem)
    if problems:
        return f"error at {line}:{column}: " + "; ".join(problems)
    keywords = [w for w in words if " " not in w]
    expected = f" (the parser expected {' or '.join(', '.join(keywords).rsplit(', ', 1))} there)" if keywords else ""
    return f"error at {line}:{column}: the query cannot be read {where}{expected}"
