"""What a write changed, in words an answer's reads can be checked against: so an answer computed on the state
before a write is kept when the write cannot have changed it.

A change is described by **keys**, a set of short strings:

* ``"p <iri>"`` — triples with the predicate ``<iri>`` were added or removed (in any graph);
* ``"t <iri>"`` — ``rdf:type <iri>`` triples were added or removed (they also give ``"p rdf:type"``);
* ``"g <iri>"`` — something unknown changed in the named graph ``<iri>`` (a graph dropped, bulk-loaded, or replaced
  whole when too large to say which of its triples changed; any write to a private graph, which public answers do
  not see);

and ``None`` means "unknown": anything may have changed. A :class:`Change` also keeps, per key, the subjects of the
triples it changed (IRIs; ``None`` when not known: a blank node, a write that did not say, more than
:data:`MAX_SUBJECTS`), so an answer built item by item may be brought up to date for those items alone
(:func:`touched`). An answer says what it **reads** the same way, as
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
from dataclasses import dataclass

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: Subjects kept per key; past it, the key's subjects are "not known" (a bulk write: answers are computed anew).
MAX_SUBJECTS = 1000


@dataclass(frozen=True)
class Change:
    """What some writes changed: each key, with the IRIs of the subjects of its changed triples (None: not known)."""

    subjects: Mapping[str, frozenset | None]

    @property
    def keys(self) -> frozenset:
        return frozenset(self.subjects)

    def to_json(self) -> dict:
        return {key: None if found is None else sorted(found) for key, found in sorted(self.subjects.items())}

    @classmethod
    def from_json(cls, data: Mapping) -> "Change":
        return cls({str(key): None if found is None else frozenset(map(str, found)) for key, found in data.items()})


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


def merge(first: Change | None, second: Change | None) -> Change | None:
    """Two changes one after the other (unknown absorbs)."""
    if first is None or second is None:
        return None
    subjects = dict(first.subjects)
    for key, found in second.subjects.items():
        subjects[key] = _union(subjects[key], found) if key in subjects else found
    return Change(subjects)


def _union(first: frozenset | None, second: frozenset | None) -> frozenset | None:
    if first is None or second is None or len(first) + len(second) > MAX_SUBJECTS:
        return None
    return first | second


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


def unchanged_for(change: Change | None, read: frozenset, visible: Callable[[str], bool]) -> bool:
    """Whether an answer that reads ``read`` (over the graphs ``visible`` says it sees) is the same after
    ``change``: the change is known, touches none of its keys, and changed no graph it sees blindly."""
    return touched(change, read, visible) == frozenset()


def touched(change: Change | None, read: frozenset, visible: Callable[[str], bool]) -> frozenset | None:
    """The subjects whose triples that an answer reads (``read``, over the graphs ``visible`` says it sees)
    ``change`` changed; None when they are not known (an unknown change, a graph it sees changed blindly, a key it
    reads whose subjects were not kept). Empty: the answer is as it was."""
    if change is None:
        return None
    found: set[str] = set()
    for key, subjects in change.subjects.items():
        if key.startswith("g "):
            if visible(key[2:]):
                return None
        elif key in read:
            if subjects is None:
                return None
            found |= subjects
    return frozenset(found)


def changed_subjects(change: Change | None, visible: Callable[[str], bool],
                     only: frozenset | None = None) -> tuple[frozenset, frozenset] | None:
    """``(subjects, keys)``: the IRIs whose triples ``change`` changed and the keys it changed — of the keys
    ``only`` names, or of every key — over the graphs ``visible`` says an answer sees; None when that cannot be
    said (an unknown change, a graph it sees changed blindly, a key whose subjects were not kept). For answers
    about a few subjects (a term's labels, a scheme's description), kept across a change that changed none of
    them (:class:`web.context.SubjectTable`)."""
    if change is None:
        return None
    subjects: set[str] = set()
    keys: set[str] = set()
    for key, found in change.subjects.items():
        if key.startswith("g "):
            if visible(key[2:]):
                return None
            continue
        if only is not None and key not in only:
            continue
        if found is None:
            return None
        subjects |= found
        keys.add(key)
    return frozenset(subjects), frozenset(keys)


#: The header by which a reader's app tells its bridge what an answer read (``web.context.answer_reads``,
#: ``serving.rsgi.Front.carried``): never sent to a client.
READS_HEADER = "X-Tscgraph-Reads"
#: What an answer read: the IRIs of the subjects whose triples it read, and the keys it read whatever the subject.
Reads = tuple[frozenset, frozenset]


def reads_data(reads: Reads) -> dict:
    """``reads`` as JSON data (:data:`READS_HEADER`'s value, a shared answer's record): ``{"s": [...], "k": [...]}``."""
    subjects, keys = reads
    return {"s": sorted(subjects), "k": sorted(keys)}


def reads_from_data(data: object) -> Reads | None:
    """What :func:`reads_data` wrote, back; None when it is not that (absent, or written otherwise)."""
    try:
        return frozenset(map(str, data["s"])), frozenset(map(str, data["k"]))  # type: ignore[index]
    except (KeyError, TypeError):
        return None


def note_subject(noted: dict[str, set[str] | None], key: str, subject: str | None) -> None:
    """Add ``subject`` (an IRI; None: a blank node, not known) to the subjects ``noted`` keeps of ``key``: None once
    one is not known or past :data:`MAX_SUBJECTS`."""
    kept = noted.setdefault(key, set())
    if kept is None:
        return
    if subject is None or len(kept) >= MAX_SUBJECTS:
        noted[key] = None
    else:
        kept.add(subject)


class ChangeLedger:
    """The keys of the writes made since the last :meth:`take`, with their subjects (a store's; thread-safe). It
    starts unknown: what happened before it was made (a store opened, a cut write undone) cannot be said."""

    def __init__(self) -> None:
        self._subjects: dict[str, set[str] | None] | None = None
        self._lock = threading.Lock()

    def note(self, keys: Iterable[str] | Mapping[str, Iterable[str] | None] | None) -> None:
        """What one write changed: keys (their subjects not known), or key → subjects (an IRI each; None: not
        known); None: the write cannot say what it changed."""
        with self._lock:
            if keys is None:
                self._subjects = None
                return
            if self._subjects is None:
                return
            pairs = keys.items() if isinstance(keys, Mapping) else ((key, None) for key in keys)
            for key, subjects in pairs:
                self._subjects.setdefault(key, set())
                for subject in (None,) if subjects is None else subjects:
                    note_subject(self._subjects, key, subject)

    def take(self) -> Change | None:
        """What changed since the last take (None: unknown), and start again from nothing."""
        with self._lock:
            subjects, self._subjects = self._subjects, {}
        if subjects is None:
            return None
        return Change({key: None if found is None else frozenset(found) for key, found in subjects.items()})
