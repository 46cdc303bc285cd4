"""Answers the readers of one host share: each answer of a public state computed once, by one reader.

Why: each reader keeps its own cache (:mod:`serving.httpcache`), so after a write every busy page was computed
again by every reader — on this 2-core machine twice, on a 16-core host sixteen times — and that recomputation,
not the cached reads, is what the writes cost the reads. So a reader that computes an answer to an anonymous
read also leaves it here, under the public state it was computed on, and a reader that misses looks here before
it computes. With ``cache_stale_seconds`` set, while one reader computes the new state's answer (it *claims*
it: a file created exclusively), the others keep answering from the state before (:mod:`serving.rsgi`,
stale-while-revalidate) instead of computing it too.

The files live in ``<store>-answers/<state>/``: a directory per public state, the current one and the one before
kept, older ones removed by the first reader that sees a newer state. An entry is written aside and renamed, so
a reader finds it whole or not at all. Nothing here is trusted more than the directory: an entry that does not
parse is a miss. A claim older than :data:`CLAIM_SECONDS` (its reader died) is taken over.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

from graph.changekeys import reads_data, reads_from_data
from serving.httpcache import MAX_ENTRY, Entry

#: A claim this old is of a reader that died or gave up: another may take it.
CLAIM_SECONDS = 30.0


def _name(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class SharedAnswers:
    """Answers by (public state, request key) in a directory every reader of this host reads and writes."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._newest: object = None  # the newest public state this reader has seen
        self._written = 0  # bytes this reader wrote for the newest state (each reader keeps to the bound)

    def _dir(self, state: object) -> Path:
        return self.directory / _name(str(state))

    def _file(self, state: object, key: tuple) -> Path:
        return self._dir(state) / _name(repr(key))

    def get(self, state: object, key: tuple) -> Entry | None:
        """The entry some reader left for ``key`` in ``state``, or None."""
        try:
            data = self._file(state, key).read_bytes()
            head, _, body = data.partition(b"\n")
            meta = json.loads(head)
            return Entry(int(meta["status"]), [(str(n), str(v)) for n, v in meta["headers"]], body, str(meta["etag"]),
                         route=str(meta.get("route", "")), reads=reads_from_data(meta.get("reads")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def claim(self, state: object, key: tuple) -> bool:
        """Whether this reader is the one to compute ``key`` in ``state`` (no other claimed it lately)."""
        claim = self._file(state, key).with_suffix(".claim")
        try:
            claim.parent.mkdir(exist_ok=True)
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            try:
                if time.time() - claim.stat().st_mtime > CLAIM_SECONDS:
                    os.utime(claim)
                    return True
            except OSError:
                pass
            return False
        except OSError:
            return False

    def put(self, state: object, key: tuple, entry: Entry) -> None:
        """Leave ``entry`` for the other readers (written aside, then renamed)."""
        path = self._file(state, key)
        try:
            if len(entry.body) <= MAX_ENTRY and self._count(state, len(entry.body)):
                reads = None if entry.reads is None else reads_data(entry.reads)
                head = json.dumps({"status": entry.status, "headers": entry.headers, "etag": entry.etag,
                                   "route": entry.route, "reads": reads}).encode("utf-8")
                path.parent.mkdir(exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
                tmp.write_bytes(head + b"\n" + entry.body)
                os.replace(tmp, path)
        except OSError:
            pass  # its state's directory was removed meanwhile (a newer state): nobody needs it

    def release(self, state: object, key: tuple) -> None:
        """Drop this reader's claim once its answer is left, or when there is none to share."""
        try:
            self._file(state, key).with_suffix(".claim").unlink()
        except OSError:
            pass

    def _count(self, state: object, size: int) -> bool:
        with self._lock:
            if self._newest is not None and self._newest != state:
                return False  # computed on a state no longer the newest: not worth keeping
            if self._written + size > self.max_bytes:
                return False
            self._written += size
            return True

    def follow(self, state: object, prior: object | None) -> None:
        """Seen at each request: on a new public state, remove the directories of states older than ``prior``."""
        if self._newest == state:
            return
        with self._lock:
            if self._newest == state:
                return
            self._newest, self._written = state, 0
        keep = {self._dir(state).name} | ({self._dir(prior).name} if prior is not None else set())
        try:
            for path in self.directory.iterdir():
                if path.name not in keep:
                    shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass
