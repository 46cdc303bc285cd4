"""What a write changed, in words an answer's reads can be checked against: so an answer computed on the state
before a write is kept when the write cannot have changed it.

A change is described by **keys**, a set of short strings:

* ``"p <iri>"`` — triples with the predicate ``<iri>`` were added or removed (in any graph);
* ``"t <iri>"`` — ``rdf:type <iri>`` triples were added or removed (they also give ``"p rdf:type"``);
* ``"g <iri>"`` — something unknown changed in the named graph ``<iri>`` (a graph replaced, dropped or loaded);

and ``None`` means "unknown": anything may have changed. An answer says what it **reads** the same way, as
``"p …"`` and ``"t …"`` keys, for the properties it follows and the classes whose members it selects. It still
holds after a change when no key of the change is one it reads and no graph it can see was changed blindly
(:func:`unchanged_for`). The description errs one way only: a key too many costs a recomputation, a key missing
would serve an old answer, so every write of the embedded store notes its keys (:class:`ChangeLedger`) and a
write that cannot say what it changed notes ``None``.

Pure: no store, no I/O. The writer notes keys as it writes (:mod:`graph.store.oxigraph`), the snapshot it
publishes carries them (:mod:`graph.store.snapshots`), and the readers' answer cache checks them
(:class:`web.context.StateCache`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

Keys = frozenset  # of str


def predicate_key(iri: str) -> str:
    return "p " + iri


def type_key(iri: str) -> str:
    return "t " + iri


def graph_key(iri: str) -> str:
    return "g " + iri


def triple_keys(predicate: str, obj: str | None) -> tuple[str, ...]:
    """The keys of one changed triple: its predicate's, and for ``rdf:type`` its class's (``obj``: the object's
    IRI, or None when it is not an IRI)."""
    if predicate == RDF_TYPE and obj is not None:
        return predicate_key(predicate), type_key(obj)
    return (predicate_key(predicate),)


def merge(first: frozenset | None, second: frozenset | None) -> frozenset | None:
    """Two changes one after the other (unknown absorbs)."""
    return None if first is None or second is None else first | second


_IRI = re.compile(r"<([^<>\s]*)>")
_PREFIXED = re.compile(r"(?<![\w<?$])([A-Za-z][\w-]*)?:([A-Za-z_][\w.-]*)?")


def path_iris(path: str, prefixes: Mapping[str, str]) -> set[str]:
    """Every IRI a SPARQL property path names (``tsc:budget/schema:value``, ``<…>|<…>``, ``^dcterms:isPartOf``);
    ``a`` is ``rdf:type``. An unknown prefix raises ``KeyError``: a path whose reads cannot be said is a bug."""
    found = set(_IRI.findall(path))
    rest = _IRI.sub(" ", path)
    for prefix, local in _PREFIXED.findall(rest):
        found.add(prefixes[prefix or ""] + (local or ""))
    if re.search(r"(?<![\w:?$])a(?![\w:])", _PREFIXED.sub(" ", rest)):
        found.add(RDF_TYPE)
    return found


def reads(*, paths: Iterable[str] = (), classes: Iterable[str] = (), prefixes: Mapping[str, str]) -> frozenset:
    """The keys an answer reads: the properties of ``paths`` and the members of ``classes``."""
    keys = {predicate_key(iri) for path in paths for iri in path_iris(path, prefixes)}
    keys |= {type_key(iri) for iri in classes}
    return frozenset(keys)


def unchanged_for(change: frozenset | None, read: frozenset, visible: Callable[[str], bool]) -> bool:
    """Whether an answer that reads ``read`` (over the graphs ``visible`` says it sees) is the same after
    ``change``: the change is known, touches none of its keys, and changed no graph it sees blindly."""
    if change is None:
        return False
    for key in change:
        if key.startswith("g "):
            if visible(key[2:]):
                return False
        elif key in read:
            return False
    return True


class ChangeLedger:
    """The keys of the writes made since the last :meth:`take` (a store's; thread-safe). It starts unknown: what
    happened before it was made (a store opened, a cut write undone) cannot be said."""

    def __init__(self) -> None:
        self._keys: set[str] | None = None
        self._lock = threading.Lock()

    def note(self, keys: Iterable[str] | None) -> None:
        """Keys of one write; None: the write cannot say what it changed."""
        with self._lock:
            if keys is None:
                self._keys = None
            elif self._keys is not None:
                self._keys.update(keys)

    def take(self) -> frozenset | None:
        """The keys since the last take (None: unknown), and start again from nothing."""
        with self._lock:
            keys, self._keys = self._keys, set()
        return None if keys is None else frozenset(keys)
