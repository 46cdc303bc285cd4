"""The serving processes: what runs in which process, a module per role.

``tscgraph serve`` (:mod:`serving.supervisor`) starts one **writer** (:mod:`serving.writer`: owns the store,
answers every write, publishes a snapshot after each) and ``web_processes`` **readers** (:mod:`serving.reader`:
answer every read from the newest snapshot, hand writes to the writer), all behind granian and the bridge of
:mod:`serving.rsgi` (whole requests only, a per-state answer cache, validators and compression:
:mod:`serving.httpcache`). The work that cannot be interrupted runs in the worker processes of
:mod:`graph.workers` — query workers under each reader, validation workers under the writer — which a time
limit kills. docs/architecture.md draws it.
"""

import ctypes
import os
import signal


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``), so that no process
    of the server outlives the one that started it — a writer's worker left behind a killed writer would keep
    the store locked against the writer started in its place. Elsewhere: nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request: follow it now
        os.kill(os.getpid(), signal.SIGKILL)
