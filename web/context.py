"""What every view needs from the running app: its settings, store, validator, query pool, catalogue.

They are created once per app in :func:`server.create_app` and kept in ``app.extensions``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable, Iterable, Sequence, TypeVar

from flask import current_app, g, request

from graph.changekeys import READS_HEADER, Change, changed_subjects, reads_data, unchanged_for
from graph.queries import NamedQuery
from graph.settings import Settings
from graph.store import Store, StoreError
from graph.store.oxigraph import OxigraphStore
from graph.store.querypool import QueryPool
from graph.store.view import PublicView
from graph.validation import Validator
from graph.workers.validation import PooledValidator, ValidationPool


def settings() -> Settings:
    return current_app.config["TSCGRAPH"]


def store() -> PublicView:
    """The store as the public sees it (private graphs hidden): what every read goes through.

    An editor's preview (:func:`previewing`) adds a submission's graph for the current request.
    """
    return PublicView(raw_store(), settings().is_public_graph, extra=g.get("preview_graphs") or ())


def previewing(*graph_iris: str) -> None:
    """For the rest of this request, reads also see ``graph_iris`` (an editor previewing a submission).
    Answers computed meanwhile are cached under their own data version, never the public one."""
    g.preview_graphs = tuple(graph_iris)


def raw_store() -> Store:
    """The whole store, private graphs included: for writes and moderation only. A reader pins one snapshot
    for the whole request (:mod:`serving.reader`), so a page is read from one state."""
    pinned = g.get("pinned_store")
    return pinned if pinned is not None else current_app.extensions["tscgraph.store"]


def snapshots():
    """What names the store's state (:mod:`graph.store.snapshots`); ``refresh(public=…)`` after a write."""
    return current_app.extensions["tscgraph.snapshots"]


def validator() -> Validator:
    """The shapes and vocabularies parsed in this process, for what is read from them (forms, hints, shape
    documentation); validating is :func:`validation`'s."""
    return current_app.extensions["tscgraph.validator"]


def validation() -> ValidationPool:
    """The validation workers: every ``validate`` of the web process happens there (see
    :mod:`graph.workers.validation`); ``validation().validator(client=…)`` validates a graph made here."""
    return current_app.extensions["tscgraph.validation"]


def validating(*, trusted: bool = False) -> PooledValidator:
    """A validator for graphs made in this request, done by a validation worker on the client's share;
    ``trusted`` for writes by a token or an editor (see :meth:`ValidationPool.validator`)."""
    return validation().validator(client=request.remote_addr, trusted=trusted)


def query_pool() -> QueryPool:
    return current_app.extensions["tscgraph.pool"]


def catalogue() -> dict[str, NamedQuery]:
    return current_app.extensions["tscgraph.queries"]


def data_version(*, private: bool = False) -> str:
    """Names the store's state, for caches and ETags: the state of the public graphs (renewed by every write
    of this process that changes them), or with ``private`` of every graph — for answers that read private
    graphs (an editor's lists). A preview is its own state."""
    pinned = g.get("pinned_versions")  # a reader's request reads one snapshot: its versions are that one's
    every, public = pinned if pinned is not None else (snapshots().version(), snapshots().public_version())
    extra = g.get("preview_graphs")
    version = every if private or extra else public
    return version + ("|preview:" + ",".join(extra) if extra else "")


def _public_state(version: str):
    """This request's state (a reader's pinned one, else the publisher's) when ``version`` is its public one."""
    state = g.get("pinned_state") or getattr(snapshots(), "state", None)
    return state if getattr(state, "public_version", None) == version else None


def public_changes(version: str) -> list[tuple[str, Change | None]]:
    """The earlier public states whose changes up to ``version`` the publisher names, nearest first, each with what
    the writes since changed (:mod:`graph.changekeys`), when ``version`` is this request's public state; else none
    (a preview, a private state, an external store's). For answers kept across writes that cannot have changed
    them, or brought up to date (:meth:`StateCache.remember`, :func:`web.facets.run_listing`)."""
    state = _public_state(version)
    return [] if state is None else state.public_changes()


def public_store_of(version: str) -> Callable[[str], Store | None]:
    """``opened(earlier)``: the public store of the earlier public state named ``earlier`` (one of
    :func:`public_changes`; its snapshot, opened read-only once in the request and closed after it:
    :func:`close_earlier_stores`), for answers brought up to date for the items a write touched
    (:func:`web.facets.run_listing`); None when that snapshot is not at hand (dropped, or no snapshots here)."""
    def opened(earlier: str) -> Store | None:
        stores = g.setdefault("earlier_stores", {})
        if earlier not in stores:
            stores[earlier] = None
            state = _public_state(version)
            number = earlier.rsplit(":", 1)[-1]
            if state is not None and state.path and number.isdigit():
                path = Path(state.path).parent / f"{int(number):010d}"
                if path.is_dir():
                    try:
                        stores[earlier] = OxigraphStore.open_read_only(path)
                    except StoreError:
                        pass
        return None if stores[earlier] is None else PublicView(stores[earlier], settings().is_public_graph)
    return opened


def close_earlier_stores(_exc=None) -> None:
    for found in (g.pop("earlier_stores", None) or {}).values():
        if found is not None:
            found.close()


T = TypeVar("T")


class StateCache:
    """Answers computed once per state of the data: a small LRU keyed by (state, question).

    Pages whose queries cost 0.2-3 s at 1M triples (coverage counts, sorted listings, facet counts)
    pay it once per change rather than once per view, and a load or an approved write still shows
    at the next request, because the state's name changes with every write that changes what the answer
    reads (:func:`data_version`). Each answer is computed by one thread at a time: the others asking for it wait.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.answers: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        #: (state, question) → set once the one thread computing it is done: threads asking the same question
        #: meanwhile (two requests after a write, a visitor during the reader's warm-up) wait for that answer
        #: instead of computing it again.
        self.computing: dict[tuple, threading.Event] = {}

    def remember(self, version: object, key: Hashable, compute: Callable[[], T], *, reads: frozenset | None = None,
                 since: Sequence[tuple[str, Change | None]] = (), visible: Callable[[str], bool] | None = None) -> T:
        """``compute()`` for ``key`` in state ``version``: answers of earlier states age out of the LRU (several
        states are current at once: the public one and that of every graph) and are never returned — except the
        answer of an earlier state (``since``: earlier states, nearest first, each with what changed since it:
        :func:`public_changes`) when the change touched nothing the answer ``reads`` in the graphs it sees
        (``visible``), keys of :mod:`graph.changekeys`: then it is the same answer, and is kept for ``version`` too."""
        entry = (version, key)
        while True:
            with self.lock:
                if entry in self.answers:
                    self.answers.move_to_end(entry)
                    return self.answers[entry]
                if reads is not None and visible is not None:
                    for earlier, change in since:
                        if (earlier, key) in self.answers:
                            if unchanged_for(change, reads, visible):
                                return self._keep(entry, self.answers[(earlier, key)])
                            break  # the nearest state it was computed in: what changed since says it changed
                pending = self.computing.get(entry)
                if pending is None:
                    pending = self.computing[entry] = threading.Event()
                    break
            pending.wait()  # another thread computes it: its answer, or (it failed) this thread's turn
        try:
            value = compute()
            with self.lock:
                return self._keep(entry, value)
        finally:
            with self.lock:
                del self.computing[entry]
            pending.set()

    def peek(self, version: object, key: Hashable) -> object | None:
        """The answer kept for ``key`` in state ``version``, or None (not computed: nothing is)."""
        with self.lock:
            return self.answers.get((version, key))

    def _keep(self, entry: tuple, value: T) -> T:
        self.answers[entry] = value
        while len(self.answers) > self.size:
            self.answers.popitem(last=False)
        return value


def state_cache() -> StateCache:
    return current_app.extensions.setdefault("tscgraph.state_cache", StateCache())


def per_state(key: Hashable, compute: Callable[[], T], *, private: bool = False) -> T:
    """``compute()``, once per state of the data (see :class:`StateCache`); ``private`` for answers that read
    private graphs, which change without the public state changing."""
    return state_cache().remember(data_version(private=private), key, compute)


@dataclass(frozen=True)
class About:
    """An answer of a :class:`SubjectTable` and what it read: the triples of ``subjects`` (IRIs) and, whatever their
    subject, those of the keys ``reads`` (:mod:`graph.changekeys`: a scheme's members, ``skos:inScheme``)."""

    value: object
    subjects: frozenset
    reads: frozenset = frozenset()


class SubjectTable:
    """Answers about a few subjects each (a term's labels, a scheme's JSON-LD), kept across the writes that did not
    change those subjects — not only for one state, as :class:`StateCache` keeps them.

    Why: the load test's writes (a harvest every ~2 s, an actor inserted every ~1.5 s) change projects and actors,
    and every page computed again after them asked the labels of the same vocabulary terms and described the same
    schemes anew (labels: 13 % of a reader's samples under those writes; the GBF scheme's JSON-LD: 70 % of the
    ``/gbf`` page). The table follows the public state: moving to a newer one, it drops the answers about the
    subjects the writes since changed (of the keys ``only`` names, or of any; all of them when that cannot be
    said: :func:`graph.changekeys.changed_subjects`). A request on a state the table cannot follow (an editor's
    preview, a state older than the table's) computes its answers and keeps none. Bounded by ``size`` answers.
    """

    def __init__(self, size: int, only: frozenset | None = None) -> None:
        self.size, self.only = size, only
        self.lock = threading.Lock()
        self.version: str | None = None  #: the public state the answers hold for
        self.earlier: frozenset = frozenset()  #: the states before it: a request still on one reads past the table
        self.answers: OrderedDict[Hashable, About] = OrderedDict()
        self.by_subject: dict[str, set] = {}  #: subject → keys of the answers that read it
        self.by_reads: set = set()  #: keys of the answers that read keys whatever the subject

    def get(self, key: Hashable, compute: Callable[[], About]) -> object:
        return self.get_many([key], lambda missing: {key: compute()})[key]

    def get_many(self, keys: Sequence[Hashable], compute: Callable[[list], dict[Hashable, About]]) -> dict:
        """The answer for each of ``keys``: kept ones, and ``compute(missing)`` (an :class:`About` per missing key)
        for the rest, in one call (a page's labels in one query)."""
        version = data_version()
        with self.lock:
            follows = self._follow(version)
            found = {}
            for key in keys if follows else ():
                about = self.answers.get(key)
                if about is not None:
                    self.answers.move_to_end(key)
                    found[key] = about.value
        missing = [key for key in keys if key not in found]
        if missing:
            computed = compute(missing)
            with self.lock:
                for key, about in computed.items():
                    found[key] = about.value
                    if follows and self.version == version:
                        self._put(key, about)
        return found

    def _follow(self, version: str) -> bool:
        """Whether the table holds the answers of ``version``: moved to it when it is a newer public state."""
        if version == self.version:
            return True
        if version in self.earlier:
            return False
        since = public_changes(version)
        if not since and _public_state(version) is None:
            return False  # a preview, a private state: not the public state the table follows
        changes = dict(since)
        touched = changed_subjects(changes[self.version], settings().is_public_graph, self.only) \
            if self.version in changes else None
        if touched is None:
            self.answers.clear()
            self.by_subject.clear()
            self.by_reads.clear()
        else:
            subjects, keys = touched
            dropped = {key for subject in subjects for key in self.by_subject.get(subject, ())}
            dropped |= {key for key in self.by_reads if self.answers[key].reads & keys}
            for key in dropped:
                self._remove(key)
        self.version, self.earlier = version, frozenset(changes)
        return True

    def _put(self, key: Hashable, about: About) -> None:
        self._remove(key)
        self.answers[key] = about
        for subject in about.subjects:
            self.by_subject.setdefault(subject, set()).add(key)
        if about.reads:
            self.by_reads.add(key)
        while len(self.answers) > self.size:
            self._remove(next(iter(self.answers)))

    def _remove(self, key: Hashable) -> None:
        about = self.answers.pop(key, None)
        if about is None:
            return
        for subject in about.subjects:
            keys = self.by_subject.get(subject)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_subject[subject]
        self.by_reads.discard(key)


def subject_table(name: str, size: int, only: frozenset | None = None) -> SubjectTable:
    """The app's :class:`SubjectTable` called ``name`` (made at first use)."""
    return current_app.extensions.setdefault("tscgraph.subjects." + name, SubjectTable(size, only))


#: Past this many subjects an answer is not described (it is computed again after every public write).
MAX_READ_SUBJECTS = 2000


def answer_reads(subjects: Iterable[str], keys: Iterable[str] = ()) -> None:
    """Say that this request's answer was made of the triples of ``subjects`` (IRIs) alone and, whatever their
    subject, of those of ``keys`` (:mod:`graph.changekeys`), over the public graphs: a reader's cache may then keep
    it across the writes that changed none of them (``serving.rsgi.Front.carried``). Only for answers made of
    nothing else — not the language, not a session, not a preview (ignored then)."""
    found = frozenset(subjects)
    if len(found) <= MAX_READ_SUBJECTS and not g.get("preview_graphs"):
        g.answer_reads = (found, frozenset(keys))


def say_reads(response):
    """After a reader's request: what its answer read, when its view said so (:func:`answer_reads`), for the bridge."""
    reads = g.pop("answer_reads", None)
    if reads is not None and response.status_code == 200 and current_app.extensions.get("tscgraph.role") == "reader":
        response.headers[READS_HEADER] = json.dumps(reads_data(reads))
    return response
