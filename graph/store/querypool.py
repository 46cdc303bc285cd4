"""Queries that can be stopped: query worker processes over read-only snapshots of the embedded store.

Why this shape:

* pyoxigraph has no query timeout and a running query cannot be interrupted from Python; Oxigraph
  server's own ``--timeout-s`` was seen to leave a COUNT over a cross product burning a core. So every
  public query runs in a worker *process* of a :class:`graph.workers.pool.WorkerPool`; at the time limit that
  process is killed (SIGKILL) — the CPU really stops — and a fresh worker takes its place.
* Workers never open the live store: they open the newest published **snapshot**
  (:mod:`graph.store.snapshots`) and move to a newer one at their next query.
* Everything a query's text can cost happens in the worker, under its time limit: the ``SERVICE``/``LOAD``
  text check (:mod:`graph.guard`), parsing, evaluation and rendering (:mod:`graph.formats`, cut at the
  result-size limit with the cut reported), so only bounded bytes cross the pipe.
* Which graphs a public query may see is decided in the worker, on the snapshot the query runs on: a
  graph made private after the snapshot was taken is not listed in it, and one taken later is judged
  by the same rule (deciding on the live store let a query see a private graph written in between).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib.term import Identifier

from graph.formats import ALL_FORMATS, NotAcceptable, Rendered, render
from graph.guard import ForbiddenOperation, check_query
from graph.querytext import requested_dataset
from graph.settings import Settings
from graph.store.base import QueryEvaluationError, QuerySyntaxError, StoreError
from graph.store.view import PrivateGraph, PublicView
from graph.workers.pool import PoolBusy, PoolTimeout, WorkerCrashed, WorkerPool


@dataclass(frozen=True)
class QueryJob:
    """One query to run in a worker, with everything it needs (picklable).

    ``default_graphs``/``named_graphs`` are the protocol's dataset (both empty: none asked, the query's own
    ``FROM`` then counts); with ``public`` the worker keeps only the graphs the public may read (plus
    ``extra_graphs``, an editor's preview) on the snapshot it runs on. ``base_iri`` is what relative IRIs
    resolve against when the query has no ``BASE``: the request's IRI.
    """

    sparql: str
    format_key: str
    max_rows: int
    bindings: tuple[tuple[str, Identifier], ...] = ()
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    public: bool = True
    extra_graphs: tuple[str, ...] = ()
    check_services: bool = True
    base_iri: str | None = None


def job_dataset(job: QueryJob, public_view) -> dict:
    """The store's dataset options for ``job``: the dataset its request names (the protocol's graphs, else the
    query's own ``FROM`` / ``FROM NAMED``), for a public job filtered by ``public_view()``'s visibility."""
    asked = requested_dataset(job.sparql, job.default_graphs, job.named_graphs, job.base_iri)
    if job.public:
        return public_view().dataset(asked)
    if asked is None:
        return {"default_graphs": None, "named_graphs": None}
    return {"default_graphs": list(asked.default_graphs), "named_graphs": list(asked.named_graphs)}


class QueryTimeout(StoreError):
    """The query ran past the time limit; its worker was killed."""


class QueryPoolBusy(StoreError):
    """Every worker (or every one of the client's share) stayed busy for the whole queue wait."""


class QueryWorkerCrashed(StoreError):
    """The worker process died while answering (for example, out of memory)."""


class QueryForbidden(StoreError):
    """The query asks the server to reach another address (``SERVICE`` outside the allow-list, ``LOAD``)."""


def query_handler(settings: Settings):
    """A query worker's handler (built once per worker process): ``(snapshot, job)`` → a reply tuple."""
    from graph.store.oxigraph import OxigraphStore

    state: dict = {"store": None, "opened": None}

    def answer(work: tuple[str, QueryJob]) -> tuple[str, object]:
        snapshot, job = work
        try:
            if job.check_services:
                check_query(job.sparql, settings.service_allowlist)
            if snapshot != state["opened"]:
                if state["store"] is not None:
                    state["store"].close()
                state["store"] = OxigraphStore.open_read_only(snapshot)
                state["opened"] = snapshot
            store = state["store"]
            dataset = job_dataset(job, lambda: PublicView(store, settings.is_public_graph, extra=job.extra_graphs))
            # The engine's own terms go to the renderers: each literal is written as the engine holds it.
            result = store.query(job.sparql, bindings=dict(job.bindings) or None, base_iri=job.base_iri,
                                 engine_terms=True, **dataset)
            return "ok", render(result, ALL_FORMATS[job.format_key], job.max_rows)
        except ForbiddenOperation as exc:
            return "forbidden", str(exc)
        except PrivateGraph as exc:
            return "private", str(exc)
        except QuerySyntaxError as exc:
            return "syntax", str(exc)
        except QueryEvaluationError as exc:
            return "evaluation", str(exc)
        except NotAcceptable as exc:
            return "format", str(exc)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the client as a message
            return "error", f"{type(exc).__name__}: {exc}"

    return answer


class QueryPool:
    """Query workers over the newest snapshot; :meth:`run` answers or raises within ``time_limit`` seconds
    of getting a worker (``queue_wait`` bounds the wait for one; one client holds at most ``per_client``).

    **The express lane.** Besides its ``size`` workers, the pool keeps ``express`` workers for short queries:
    a query that finds every regular worker busy runs there at once, with the short ``express_limit``; one
    that outgrows it is stopped (503, busy). So runaway queries can hold every regular worker, and a cheap
    query from anyone still answers at once — the share of capacity kept for short queries. (A query cannot
    be known short before it runs; one that is not is found out within ``express_limit``.)
    """

    def __init__(self, snapshots, settings: Settings, *, size: int, time_limit: float, queue_wait: float,
                 per_client: int | None = None, express: int = 0, express_limit: float = 1.0,
                 lazy: bool = False) -> None:
        self.snapshots = snapshots
        self.time_limit = time_limit
        self.queue_wait = queue_wait
        self.express_limit = express_limit
        self.workers = WorkerPool("graph.store.querypool.query_handler", (settings,), size=size, time_limit=time_limit,
                                  queue_wait=queue_wait, per_client=per_client, name="tscgraph-query", lazy=lazy)
        self.express = WorkerPool("graph.store.querypool.query_handler", (settings,), size=express,
                                  time_limit=express_limit, queue_wait=0.0, per_client=per_client,
                                  name="tscgraph-query-express", lazy=lazy) if express else None

    def worker_pids(self) -> list[int]:
        return self.workers.worker_pids() + (self.express.worker_pids() if self.express else [])

    @property
    def capacity(self) -> int:
        """How many queries may run at once (the live workers, express lane included)."""
        return len(self.worker_pids())

    def run(self, job: QueryJob, *, client: object = None) -> Rendered:
        """Run ``job`` in a worker. A worker that dies under it (killed from outside, out of memory) is replaced
        and the query — a read, so safe to repeat — tried once more on another; a second death is the client's
        503, since it may well be the query's own doing."""
        try:
            return self._run_once(job, client)
        except QueryWorkerCrashed:
            return self._run_once(job, client)

    def _run_once(self, job: QueryJob, client: object) -> Rendered:
        # A public query reads the public state's snapshot, which private writes do not replace: the workers
        # open a store once per public state, not once per write (~14 ms of CPU each, measured on the bundled data).
        public = job.public and not job.extra_graphs
        work = (self.snapshots.public_current() if public else self.snapshots.current(), job)
        try:
            if self.express is not None and not self.workers.has_idle():
                try:
                    status, payload = self.express.run(work, client=client)
                except PoolBusy:  # the express lane is taken too: wait for a regular worker
                    status, payload = self.workers.run(work, client=client)
                except PoolTimeout:
                    raise QueryPoolBusy(
                        f"every query worker is running a long query, and this one needed more than the "
                        f"{self.express_limit:g} s the express lane gives short queries meanwhile; try again shortly"
                    ) from None
            else:
                status, payload = self.workers.run(work, client=client)
        except PoolTimeout:
            raise QueryTimeout(f"the query ran past the time limit of {self.time_limit:g} s and was stopped") from None
        except PoolBusy as exc:
            raise QueryPoolBusy(str(exc).replace("workers", "query workers")) from None
        except WorkerCrashed as exc:
            raise QueryWorkerCrashed(f"the query worker died while answering ({exc})") from None
        if status == "ok":
            return payload  # type: ignore[return-value]
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "evaluation":
            raise QueryEvaluationError(payload)
        if status == "format":
            raise NotAcceptable(payload)
        if status == "forbidden":
            raise QueryForbidden(payload)
        if status == "private":
            raise PrivateGraph(payload)
        raise StoreError(payload)

    def start(self) -> None:
        self.workers.start()
        if self.express is not None:
            self.express.start()

    def close(self) -> None:
        self.workers.close()
        if self.express is not None:
            self.express.close()
