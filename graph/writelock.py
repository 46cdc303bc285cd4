"""The lock that makes the threads of the one writing process take turns.

The embedded store admits one read-write process (the writer); inside it, every write — updates, Graph Store
writes, approvals, imports, harvests, feed syncs, sessions — holds this lock, so no write validates against a
state another is about to change. Re-entrant: a write holds it while its feed sync (:mod:`graph.changes`)
takes it again for the change numbers. Its own module, so that the write paths and the feeds, which call
each other, both import it from below.
"""

from __future__ import annotations

import threading

WRITE_LOCK = threading.RLock()
