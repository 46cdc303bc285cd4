"""The readers' shared answers and the bounds of answering from the state before a write.

Real parts: a real on-disk store and its snapshot publisher, real files in a temp directory, the readers'
real cache and front; the whole path through two readers of a running server is in ``tests/test_serving.py``.
"""

from __future__ import annotations

import os
import time

import pytest

from graph.store.oxigraph import OxigraphStore
from graph.store.snapshots import SnapshotFollower, SnapshotPublisher, read_state
from serving import httpcache
from serving.httpcache import ResponseCache
from serving.rsgi import Front
from serving.sharedanswers import CLAIM_SECONDS, SharedAnswers

KEY = ("/projects", "", "text/html", "", "")
HEADERS = [("Content-Type", "text/html; charset=utf-8")]


def test_each_public_write_names_the_public_state_before_it(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    publisher = SnapshotPublisher(store, tmp_path / "snapshots")
    first = publisher.state
    assert first.prior is None and first.prior_public_version is None  # nothing before the writer's first state
    public = publisher.refresh()
    assert public.prior == first.public and public.prior_public_version == first.public_version
    private = publisher.refresh(public=False)  # a pending submission: the public state and its prior stay
    assert (private.public, private.prior) == (public.public, public.prior)
    again = publisher.refresh()
    assert again.prior == public.public != again.public
    assert read_state(tmp_path / "snapshots") == again
    follower = SnapshotFollower(tmp_path / "snapshots")
    assert follower.prior_public_version() == again.prior_public_version
    follower.close()
    store.close()


@pytest.mark.parametrize("headers, allowed", [
    ({}, True),
    ({"cache-control": "max-age=60"}, True),
    ({"cache-control": "no-cache"}, False),
    ({"cache-control": "max-age=0"}, False),  # a browser's reload
    ({"cache-control": "No-Store"}, False),
    ({"cache-control": "max-stale=5, no-cache"}, False),
    ({"pragma": "no-cache"}, False),
])
def test_a_client_may_insist_on_the_newest_state(headers, allowed):
    assert httpcache.may_be_stale(headers) is allowed


def test_readers_leave_answers_for_each_other_per_state(tmp_path):
    one, two = SharedAnswers(tmp_path, 1 << 20), SharedAnswers(tmp_path, 1 << 20)
    entry = httpcache.Entry(200, HEADERS, b"<p>projects</p>", httpcache.strong_etag(b"<p>projects</p>"), route="/projects")
    one.follow("run:1", None)
    assert two.get("run:1", KEY) is None
    one.put("run:1", KEY, entry)
    found = two.get("run:1", KEY)
    assert found is not None and (found.status, found.headers, found.body, found.etag, found.route) == \
        (200, HEADERS, entry.body, entry.etag, "/projects")
    assert two.get("run:2", KEY) is None and two.get("run:1", KEY[:-1] + ("fr",)) is None


def test_one_reader_claims_an_answer_and_a_dead_readers_claim_expires(tmp_path):
    one, two = SharedAnswers(tmp_path, 1 << 20), SharedAnswers(tmp_path, 1 << 20)
    assert one.claim("run:3", KEY) and not two.claim("run:3", KEY)
    one.release("run:3", KEY)
    assert two.claim("run:3", KEY)  # released: another may compute it
    claim = next(tmp_path.rglob("*.claim"))
    old = time.time() - CLAIM_SECONDS - 1
    os.utime(claim, (old, old))  # as if its reader had died long ago
    assert one.claim("run:3", KEY)


def test_a_new_state_removes_the_answers_of_states_before_the_prior(tmp_path):
    answers = SharedAnswers(tmp_path, 1 << 20)
    entry = httpcache.Entry(200, HEADERS, b"x", '"x"')
    for n in (1, 2, 3):
        answers.follow(f"run:{n}", f"run:{n - 1}" if n > 1 else None)
        answers.put(f"run:{n}", KEY, entry)
    assert answers.get("run:1", KEY) is None  # older than the state before the newest
    assert answers.get("run:2", KEY) is not None and answers.get("run:3", KEY) is not None


def test_the_shared_answers_keep_to_their_bound_and_a_broken_file_is_a_miss(tmp_path):
    answers = SharedAnswers(tmp_path, 100)
    answers.follow("run:1", None)
    answers.put("run:1", KEY, httpcache.Entry(200, HEADERS, b"a" * 80, '"a"'))
    other = KEY[:-1] + ("fr",)
    answers.put("run:1", other, httpcache.Entry(200, HEADERS, b"b" * 80, '"b"'))
    assert answers.get("run:1", KEY) is not None and answers.get("run:1", other) is None
    next(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".claim").write_bytes(b"not an entry")
    assert answers.get("run:1", KEY) is None


class States:
    """The public state a reader sees, moved by the test."""

    def __init__(self) -> None:
        self.current, self.prior = "run:1", None

    def write(self) -> None:
        self.prior, self.current = self.current, f"run:{int(self.current.split(':')[1]) + 1}"


def front(states: States, stale_seconds: float, shared: SharedAnswers | None = None) -> Front:
    return Front(forwards=lambda *_a: False, forwarder=None, cache=ResponseCache(1 << 20),  # type: ignore[arg-type]
                 public_state=lambda: states.current, prior_state=lambda: states.prior, stale_seconds=stale_seconds,
                 shared=shared)


def test_only_the_state_just_before_stands_in_and_only_within_the_window(tmp_path):
    states = States()
    reader = front(states, stale_seconds=0.5, shared=SharedAnswers(tmp_path, 1 << 20))
    reader.keep(states.current, KEY, 200, HEADERS, b"state 1", "/projects")
    states.write()
    assert reader.cached(states.current, KEY) is None
    stale = reader.stale_entry(states.current, KEY, {})
    assert stale is not None and stale.body == b"state 1"
    assert reader.stale_entry(states.current, KEY, {"cache-control": "no-cache"}) is None
    time.sleep(0.6)
    assert reader.stale_entry(states.current, KEY, {}) is None  # the window has passed: compute it
    states.write()
    assert reader.stale_entry(states.current, KEY, {}) is None  # two states old: never
    off_states = States()
    off = front(off_states, stale_seconds=0)
    off.keep(off_states.current, KEY, 200, HEADERS, b"state 1", "/projects")
    off_states.write()
    assert off.stale_entry(off_states.current, KEY, {}) is None  # cache_stale_seconds = 0: never


def test_a_reader_finds_the_answer_another_reader_computed(tmp_path):
    states = States()
    one = front(states, 10, SharedAnswers(tmp_path, 1 << 20))
    two = front(states, 10, SharedAnswers(tmp_path, 1 << 20))
    one.keep(states.current, KEY, 200, HEADERS, b"computed once", "/projects")
    found = two.cached(states.current, KEY)
    assert found is not None and found.body == b"computed once"
    states.write()  # the state before, from the other reader's answer, stands in for the second reader too
    stale = two.stale_entry(states.current, KEY, {})
    assert stale is not None and stale.body == b"computed once"
