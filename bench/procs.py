"""The processes of a running ``tscgraph serve`` by role, and the CPU each role uses while a benchmark runs.

``tscgraph serve`` is a tree (docs/architecture.md): the supervisor (granian's main process for the readers),
the readers (granian workers, same command line as the supervisor) with their query workers, and the writer
(``python -m serving.writer``: granian's main, then its one worker) with its validation workers. The roles are
read from ``/proc`` (parent and command line), as ``tests/test_serving.py`` reads them.

:class:`CpuMeter` samples every process of the tree twice a second and adds up, per role, the CPU time each one
used since the sample before (``utime + stime``): a query worker killed at its time limit and replaced still
counts for what it used until its last sample, and the new one from its start.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from bench.peers import process_tree

#: The roles, in the order reports list them.
ROLES = ("supervisor", "reader", "query worker", "writer", "writer worker", "validation worker", "other")
TICKS = os.sysconf("SC_CLK_TCK")


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU of ``pid`` in clock ticks (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def role_of(pid: int, top: int) -> str:
    """The role of ``pid`` in the tree of the supervisor ``top`` (see the module docstring)."""
    if pid == top:
        return "supervisor"
    cmd = _cmdline(pid)
    if "resource_tracker" in cmd:
        return "other"
    parent = _parent(pid)
    if parent == top:
        return "writer" if "serving.writer" in cmd else "reader"
    grandparent = _parent(parent) if parent is not None else None
    if "spawn_main" in cmd and grandparent == top:
        return "writer worker" if "serving.writer" in _cmdline(parent) else "query worker"  # type: ignore[arg-type]
    if "serving.writer" in cmd and grandparent == top:
        return "writer worker"
    if "spawn_main" in cmd:
        return "validation worker"
    return "other"


def server_roles(top: int) -> dict[str, list[int]]:
    """Every process of the tree of ``top`` by role."""
    found: dict[str, list[int]] = {role: [] for role in ROLES}
    for pid in process_tree(top):
        found[role_of(pid, top)].append(pid)
    return found


class CpuMeter:
    """CPU seconds per role of the server tree of ``top`` between :meth:`start` and :meth:`stop` (a thread samples
    every ``interval`` seconds; bounded by the life of the measurement)."""

    def __init__(self, top: int, interval: float = 0.5) -> None:
        self.top, self.interval = top, interval
        self.last: dict[int, tuple[str, int]] = {}
        self.used: dict[str, int] = {role: 0 for role in ROLES}
        self.seen: dict[str, set[int]] = {role: set() for role in ROLES}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-cpu-meter")
        self.started = self.stopped = 0.0
        self.self_before = self.self_after = os.times()

    def _sample(self, first: bool = False) -> None:
        for pid in process_tree(self.top):
            ticks = cpu_ticks(pid)
            if ticks is None:
                continue
            if pid not in self.last:
                role = role_of(pid, self.top)
                self.last[pid] = (role, ticks)
                self.seen[role].add(pid)
                if not first:  # born during the measurement: all its CPU is the measurement's
                    self.used[role] += ticks
                continue
            role, before = self.last[pid]
            self.used[role] += max(0, ticks - before)
            self.last[pid] = (role, ticks)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> CpuMeter:
        self.started = time.monotonic()
        self.self_before = os.times()
        self._sample(first=True)
        self._thread.start()
        return self

    def stop(self) -> dict:
        """Per role: CPU seconds, the share of one core over the wall time (100 = one core busy), and how many
        processes of that role were seen; also the wall time, this process's own CPU (the load test's writer
        threads and partner node) and its children's reaped meanwhile (``wrk``)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample()
        self.stopped = time.monotonic()
        self.self_after = os.times()
        wall = max(1e-9, self.stopped - self.started)
        roles = {role: {"cpu_s": round(self.used[role] / TICKS, 2),
                        "core_pct": round(100 * self.used[role] / TICKS / wall, 1),
                        "processes": len(self.seen[role])}
                 for role in ROLES if self.seen[role]}
        mine = (self.self_after.user - self.self_before.user) + (self.self_after.system - self.self_before.system)
        kids = (self.self_after.children_user - self.self_before.children_user) + \
            (self.self_after.children_system - self.self_before.children_system)
        total = sum(self.used.values()) / TICKS
        return {"wall_s": round(wall, 2), "roles": roles, "server_cpu_s": round(total, 2),
                "server_core_pct": round(100 * total / wall, 1),
                "bench_process_core_pct": round(100 * mine / wall, 1),
                "load_generator_core_pct": round(100 * kids / wall, 1)}


def format_cpu(cpu: dict) -> str:
    """One line: each role's share of a core (100 % = one core busy for the whole measurement)."""
    parts = [f"{role} {v['core_pct']:.0f}% ({v['processes']})" for role, v in cpu["roles"].items() if v["cpu_s"] > 0]
    return (", ".join(parts) + f"; server total {cpu['server_core_pct']:.0f}%; load generator "
            f"{cpu['load_generator_core_pct']:.0f}%; bench process {cpu['bench_process_core_pct']:.0f}%")
