"""A SPARQL 1.1 Update as the change it makes: which quads each operation deletes and inserts, computed before
anything is written, by the engine itself.

Why: a write must cost the size of its change, not of the store (a one-triple update used to copy the whole
store and validate every graph it touched whole: 45–56 s at 140k triples). Knowing the exact quads an
operation removes and adds lets the writer validate only the records they touch, write them, and log only
them in the change feeds.

How, without a SPARQL parser of our own: the update text is cut into its operations and their parts — the
prologue, ``WITH``, ``USING``, the templates, the ``WHERE`` pattern — by the terminals of SPARQL's grammar,
strings, IRIs and comments read whole (:func:`graph.querytext.terminals`, the one reading of SPARQL text outside
the engine; :func:`split`); the pattern is evaluated by the engine as a ``SELECT *`` over the
operation's dataset; and each template is instantiated by the engine too, by running ``INSERT { template }
WHERE { VALUES … }`` with those solutions on an **empty in-memory store** and reading back what it inserted.
So every rule of SPARQL's instantiation holds as the engine applies it — a triple with an unbound variable
or a literal subject is skipped, a template's blank node is fresh for each solution and the same across
the template's graphs — and every term is the engine's own (no rdflib normalisation on the way: a
``"2006-08-23Z"^^xsd:date`` keeps its zone). ``INSERT DATA``/``DELETE DATA`` are read the same way.

In an update, **the default graph is the local graph** (the clearing-house's curated data): what the
operation reads or writes without ``GRAPH`` or ``WITH`` is there. ``DEFAULT`` names it, ``NAMED`` every
other graph the writer may see, ``ALL`` both — never a private graph (``visible``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urljoin

import pyoxigraph as ox

from graph.querytext import terminals

#: The punctuation the splitter follows: braces (blocks) and semicolons (between operations).
_PUNCTUATION = {"{": "open", "}": "close", ";": "semi"}
DEFAULT_GRAPH = ox.DefaultGraph()
#: The default graph of an update allowed to read none of the graphs it names (never written: see _modify).
INTERNAL = "urn:tscgraph:"
EMPTY_GRAPH = INTERNAL + "no-graph"
#: Begins the IRI that stands for a stored blank node inside ``VALUES`` (which cannot hold one), turned back
#: after; each instantiation adds a random part of its own.
_BNODE = INTERNAL + "bnode:"


class UpdateError(ValueError):
    """The update cannot be read or done as written; the message says why (nothing was written)."""


class NotWritable(UpdateError):
    """The update would change a graph it may not (a private graph, for a client): the caller says why."""

    def __init__(self, graph: str) -> None:
        super().__init__(f"the update may not change the graph <{graph}>")
        self.graph = graph


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Target:
    """A graph an operation names: ``DEFAULT``, ``NAMED``, ``ALL`` or one IRI."""

    kind: str  # default | named | all | iri
    iri: str | None = None


@dataclass
class Operation:
    """One operation of an update request, cut into the parts the engine evaluates."""

    kind: str  # insert-data | delete-data | modify | clear | drop | create | add | move | copy | load
    prologue: str
    text: str
    silent: bool = False
    data: str | None = None
    delete: str | None = None
    insert: str | None = None
    where: str | None = None
    with_graph: str | None = None
    using: list[str] = field(default_factory=list)
    using_named: list[str] = field(default_factory=list)
    source: Target | None = None
    target: Target | None = None


@dataclass
class Change:
    """The quads an operation removes and adds, as the engine's terms (applied in that order)."""

    deletes: list[ox.Quad] = field(default_factory=list)
    inserts: list[ox.Quad] = field(default_factory=list)

    def graphs(self) -> set[str]:
        return {q.graph_name.value for q in self.deletes + self.inserts if isinstance(q.graph_name, ox.NamedNode)}


def check_syntax(sparql: str, base_iri: str) -> None:
    """Refuse an update the engine cannot read, with its message, before anything is evaluated: the engine reads
    it on an empty store — unless it calls a SERVICE, which it would then call (its operations are read by the
    engine anyway as they are evaluated)."""
    from graph.store.base import QuerySyntaxError

    if re.search(r"(?i)\bSERVICE\b", sparql):
        return
    try:
        ox.Store().update(sparql, base_iri=base_iri)
    except SyntaxError as exc:
        raise QuerySyntaxError(str(exc)) from None
    except (OSError, ValueError, RuntimeError):
        pass  # read fine; what it does on an empty store is not the question


# ------------------------------------------------------------------ reading the request


def tokens(text: str) -> list[Token]:
    """The terminals of an update (:func:`graph.querytext.terminals`, comments left out), its braces and
    semicolons named."""
    found = []
    for kind, match in terminals(text):
        if kind == "comment":
            continue
        if kind == "other":
            kind = _PUNCTUATION.get(match.group(), "other")
        found.append(Token(kind or "other", match.group(), match.start(), match.end()))
    return found


class _Cursor:
    def __init__(self, toks: list[Token], text: str) -> None:
        self.toks, self.text, self.i = toks, text, 0

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def word(self, ahead: int = 0) -> str:
        tok = self.peek(ahead)
        return tok.text.upper() if tok is not None and tok.kind == "word" else ""

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise UpdateError("the update ends too early")
        self.i += 1
        return tok

    def expect(self, *words: str) -> None:
        for word in words:
            if self.word() != word:
                raise UpdateError(f"expected {word} near {self._where()}")
            self.i += 1

    def block(self) -> str:
        """The text inside the braces that start here (matched, strings and IRIs read whole)."""
        if self.peek() is None or self.peek().kind != "open":
            raise UpdateError(f"expected {{ near {self._where()}")
        start, depth = self.take().end, 1
        while depth:
            tok = self.take()
            depth += {"open": 1, "close": -1}.get(tok.kind, 0)
        return self.text[start:tok.start]

    def _where(self) -> str:
        tok = self.peek()
        return repr(tok.text) if tok is not None else "the end"


def split(update: str) -> list[Operation]:
    """The operations of an update request, each with the prologue in force (``PREFIX``/``BASE`` accumulate)."""
    toks = tokens(update)
    ops: list[Operation] = []
    prologue: list[str] = []
    start = 0
    depth = 0
    for index, tok in enumerate([*toks, Token("semi", ";", len(update), len(update))]):
        depth += {"open": 1, "close": -1}.get(tok.kind, 0)
        if tok.kind == "semi" and depth == 0:
            part = toks[start:index]
            start = index + 1
            cursor = _Cursor(part, update)
            while cursor.word() in ("PREFIX", "BASE"):
                first = cursor.take()
                if first.text.upper() == "PREFIX":
                    cursor.take()
                last = cursor.take()
                prologue.append(update[first.start:last.end])
            if cursor.peek() is None:
                continue
            ops.append(_operation(cursor, "\n".join(prologue), update[cursor.peek().start:part[-1].end]))
    return ops


def _operation(cursor: _Cursor, prologue: str, text: str) -> Operation:
    first = cursor.word()
    op = Operation(kind="", prologue=prologue, text=text)
    if first in ("INSERT", "DELETE") and cursor.word(1) == "DATA":
        cursor.i += 2
        op.kind, op.data = ("insert-data" if first == "INSERT" else "delete-data"), cursor.block()
        return op
    if first == "DELETE" and cursor.word(1) == "WHERE":
        cursor.i += 2
        pattern = cursor.block()
        op.kind, op.delete, op.where = "modify", pattern, "{" + pattern + "}"
        return op
    if first in ("WITH", "INSERT", "DELETE"):
        op.kind = "modify"
        if first == "WITH":
            cursor.i += 1
            op.with_graph = cursor.take().text
        if cursor.word() == "DELETE":
            cursor.i += 1
            op.delete = cursor.block()
        if cursor.word() == "INSERT":
            cursor.i += 1
            op.insert = cursor.block()
        while cursor.word() == "USING":
            cursor.i += 1
            if cursor.word() == "NAMED":
                cursor.i += 1
                op.using_named.append(cursor.take().text)
            else:
                op.using.append(cursor.take().text)
        cursor.expect("WHERE")
        op.where = "{" + cursor.block() + "}"
        return op
    if first in ("CLEAR", "DROP", "CREATE", "LOAD", "ADD", "MOVE", "COPY"):
        cursor.i += 1
        op.kind = first.lower()
        if cursor.word() == "SILENT":
            cursor.i += 1
            op.silent = True
        if first in ("CLEAR", "DROP"):
            op.target = _target(cursor, allow=("DEFAULT", "NAMED", "ALL"))
        elif first == "CREATE":
            cursor.expect("GRAPH")
            op.target = Target("iri", cursor.take().text)
        elif first != "LOAD":
            op.source = _target(cursor, allow=("DEFAULT",), graph_optional=True)
            cursor.expect("TO")
            op.target = _target(cursor, allow=("DEFAULT",), graph_optional=True)
        return op
    raise UpdateError(f"not an update operation: {text[:40]!r}")


def _target(cursor: _Cursor, *, allow: tuple[str, ...], graph_optional: bool = False) -> Target:
    word = cursor.word()
    if word in allow:
        cursor.i += 1
        return Target(word.lower())
    if word == "GRAPH":
        cursor.i += 1
    elif not graph_optional:
        raise UpdateError(f"expected GRAPH or {' or '.join(allow)}")
    return Target("iri", cursor.take().text)


# ------------------------------------------------------------------ terms


def resolve(token: str, prologue: str, base_iri: str) -> str:
    """The IRI an IRI token or prefixed name of the request stands for."""
    prefixes, base = _prologue(prologue, base_iri)
    if token.startswith("<") and token.endswith(">"):
        return urljoin(base, token[1:-1]) if token[1:-1] else base
    prefix, sep, local = token.partition(":")
    if not sep or prefix not in prefixes:
        raise UpdateError(f"unknown prefix in {token!r}")
    return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)


_DECLARATION = re.compile(r"(?i)\bPREFIX\s+([^\s:]*):\s*<([^>]*)>|\bBASE\s+<([^>]*)>")


def _prologue(prologue: str, base_iri: str) -> tuple[dict[str, str], str]:
    prefixes: dict[str, str] = {}
    base = base_iri
    for match in _DECLARATION.finditer(prologue):
        if match.group(3) is not None:
            base = urljoin(base, match.group(3))
        else:
            prefixes[match.group(1)] = urljoin(base, match.group(2))
    return prefixes, base


def term_text(term, stand_in: str) -> str:
    """A stored term as the engine writes it in a query (a blank node as an IRI starting with ``stand_in``)."""
    if isinstance(term, ox.BlankNode):
        return f"<{stand_in}{term.value}>"
    return str(term)


def _back(term, stand_in: str):
    if isinstance(term, ox.NamedNode) and term.value.startswith(stand_in):
        return ox.BlankNode(term.value[len(stand_in):])
    return term


# ------------------------------------------------------------------ evaluating


@dataclass
class Context:
    """What an update is evaluated against: the store's engine (``query``), the graph the update calls its
    default graph, the graphs it may see, and the base IRI its relative IRIs resolve against."""

    query: Callable[..., object]  # pyoxigraph Store.query of the live store
    quads: Callable[[str], list[ox.Quad]]  # every quad of one named graph
    default_graph: str
    visible: Callable[[str], bool]
    graphs: Callable[[], list[str]]  # every named graph of the store
    base_iri: str


def instantiate(prologue: str, template: str, variables: list[str], rows: list[list], base_iri: str,
                default_graph: str) -> list[ox.Quad]:
    """The quads ``template`` gives for ``rows`` (solutions over ``variables``), instantiated by the engine."""
    scratch = ox.Store()
    stand_in = f"{_BNODE}{uuid.uuid4().hex}:"  # unguessable: an IRI a client writes is never taken for a blank node
    if variables and rows:
        values = " ".join("(" + " ".join(term_text(t, stand_in) if t is not None else "UNDEF" for t in row) + ")"
                          for row in rows)
        where = f"VALUES ({' '.join('?' + v for v in variables)}) {{ {values} }}"
    elif rows:  # solutions without variables: one empty solution each (instantiated once: a set)
        where = ""
    else:
        return []
    try:
        scratch.update(f"{prologue}\nINSERT {{ {template} }} WHERE {{ {where} }}", base_iri=base_iri)
    except SyntaxError as exc:
        raise UpdateError(f"the update's template cannot be read: {exc}") from None
    found = []
    graph = ox.NamedNode(default_graph)
    for quad in scratch:
        s, p, o = _back(quad.subject, stand_in), _back(quad.predicate, stand_in), _back(quad.object, stand_in)
        g = graph if isinstance(quad.graph_name, ox.DefaultGraph) else _back(quad.graph_name, stand_in)
        if isinstance(p, ox.BlankNode) or isinstance(g, ox.BlankNode):
            continue  # a stored blank node where only an IRI may stand: the engine would skip the triple
        found.append(ox.Quad(s, p, o, g))
    return found


def evaluate(op: Operation, ctx: Context) -> Change:
    """The change ``op`` makes to the store's current state (nothing is written here)."""
    if op.kind in ("insert-data", "delete-data"):
        quads = instantiate(op.prologue, op.data or "", [], [[]], ctx.base_iri, ctx.default_graph)
        _check_visible(quads, ctx)
        return Change(inserts=quads) if op.kind == "insert-data" else Change(deletes=quads)
    if op.kind == "modify":
        return _modify(op, ctx)
    if op.kind == "load":
        raise UpdateError("LOAD is not allowed: upload the data with the Graph Store Protocol (PUT or POST /data)")
    return _graph_operation(op, ctx)


def _modify(op: Operation, ctx: Context) -> Change:
    with_graph = resolve(op.with_graph, op.prologue, ctx.base_iri) if op.with_graph else None
    template_graph = with_graph or ctx.default_graph
    if op.using or op.using_named:
        default = [resolve(t, op.prologue, ctx.base_iri) for t in op.using]
        named = [resolve(t, op.prologue, ctx.base_iri) for t in op.using_named]
    else:
        default, named = [template_graph], list(ctx.graphs())
    # A graph the update may not read is, to it, a graph that does not exist: empty (as a query's FROM of it).
    default = [g for g in default if _sees(ctx, g)] or [EMPTY_GRAPH]
    options: dict = {"default_graph": [ox.NamedNode(g) for g in default]}
    options["named_graphs"] = [ox.NamedNode(g) for g in named if _sees(ctx, g)]
    try:
        solutions = ctx.query(f"{op.prologue}\nSELECT * WHERE {op.where}", base_iri=ctx.base_iri, **options)
    except SyntaxError as exc:
        raise UpdateError(f"the update's WHERE cannot be read: {exc}") from None
    variables = [v.value for v in solutions.variables]
    rows = [[solution[i] for i in range(len(variables))] for solution in solutions]
    change = Change()
    if op.delete is not None:
        change.deletes = instantiate(op.prologue, op.delete, variables, rows, ctx.base_iri, template_graph)
    if op.insert is not None:
        change.inserts = instantiate(op.prologue, op.insert, variables, rows, ctx.base_iri, template_graph)
    _check_visible(change.deletes + change.inserts, ctx)
    return change


def _graph_operation(op: Operation, ctx: Context) -> Change:
    def graphs_of(target: Target) -> list[str]:
        if target.kind == "default":
            return [ctx.default_graph]
        if target.kind == "named":  # every graph but the update's default graph, never a private one
            return [g for g in ctx.graphs() if g != ctx.default_graph and _sees(ctx, g)]
        if target.kind == "all":
            return [ctx.default_graph] + [g for g in ctx.graphs() if g != ctx.default_graph and _sees(ctx, g)]
        return [resolve(target.iri or "", op.prologue, ctx.base_iri)]

    def written(target: Target) -> list[str]:
        graphs = graphs_of(target)
        _check_writable(graphs, ctx)
        return graphs

    def quads_of(graph: str) -> list[ox.Quad]:  # a graph the update may not read is, to it, empty
        return ctx.quads(graph) if _sees(ctx, graph) else []

    existing = {g for g in ctx.graphs() if _sees(ctx, g)}
    change = Change()
    if op.kind in ("clear", "drop"):
        assert op.target is not None
        for graph in written(op.target):
            if op.target.kind == "iri" and graph not in existing and not op.silent and graph != ctx.default_graph:
                raise UpdateError(f"there is no graph <{graph}> to {op.kind} (add SILENT to ignore)")
            change.deletes += quads_of(graph)
        return change
    if op.kind == "create":
        assert op.target is not None
        graph = written(op.target)[0]
        if graph in existing and not op.silent:
            raise UpdateError(f"the graph <{graph}> exists already (add SILENT to ignore)")
        return change  # an empty graph does not exist here: nothing to write
    assert op.source is not None and op.target is not None
    source, target = graphs_of(op.source)[0], written(op.target)[0]
    if source == target:
        return change
    if op.source.kind == "iri" and source not in existing and not op.silent:
        raise UpdateError(f"there is no graph <{source}> to {op.kind} (add SILENT to ignore)")
    moved = quads_of(source)
    target_node = ox.NamedNode(target)
    if op.kind in ("move", "copy"):
        change.deletes += quads_of(target)
    change.inserts += [ox.Quad(q.subject, q.predicate, q.object, target_node) for q in moved]
    if op.kind == "move":
        change.deletes += moved
    return change


def _sees(ctx: Context, graph: str) -> bool:
    """Whether an update sees ``graph``: a public graph; never a private one or our own machinery (``urn:tscgraph:``)."""
    return not graph.startswith(INTERNAL) and ctx.visible(graph)


def _check_visible(quads: Iterable[ox.Quad], ctx: Context) -> None:
    _check_writable({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}, ctx)


def _check_writable(graphs: Iterable[str], ctx: Context) -> None:
    for graph in sorted(graphs):
        if not _sees(ctx, graph):
            raise NotWritable(graph)
