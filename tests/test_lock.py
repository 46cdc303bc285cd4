"""The lock files say exactly what pyproject.toml and bench/peers.in ask for, with a hash for everything.

Installs come from the locks only (``make install`` runs ``pip install --require-hashes``), so a
dependency added to pyproject.toml and not locked would be missing from every install, and one locked
and no longer asked for would linger in them. ``make lock`` mends both.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from graph.settings import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MAIN_LOCK = ROOT / "requirements.lock"
FUZZ_LOCK = ROOT / "requirements-fuzz.lock"
PEERS_LOCK = ROOT / "bench" / "peers.lock"
PEERS_IN = ROOT / "bench" / "peers.in"

ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


@dataclass
class Pin:
    name: str
    version: str
    marker: str | None
    hashes: int
    via: list[str]


def read_lock(path) -> list[Pin]:
    """The pins of a lock written by ``uv pip compile --generate-hashes`` (requirements format)."""
    pins: list[Pin] = []
    in_via = False
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = ENTRY.match(line)
        if entry:
            pins.append(Pin(canonicalize_name(entry["name"]), entry["version"], entry["marker"], 0, []))
            in_via = False
        elif line.strip().startswith("--hash=sha256:"):
            pins[-1].hashes += 1
        elif line.strip().startswith("# via"):
            rest = line.strip()[len("# via"):].strip()
            pins[-1].via += [rest] if rest else []
            in_via = not rest
        elif in_via and line.strip().startswith("#   "):
            pins[-1].via.append(line.strip()[1:].strip())
        elif line.strip() and not line.startswith("#"):
            pytest.fail(f"{path.name}: a line the lock format does not have: {line!r}")
    return pins


def requirements(names: list[str]) -> list[Requirement]:
    return [Requirement(text) for text in names]


def project_requirements(*extras: str) -> list[Requirement]:
    found = requirements(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        found += requirements(PYPROJECT["project"]["optional-dependencies"][extra])
    return found


def peer_requirements() -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in PEERS_IN.read_text(encoding="utf-8").splitlines()]
    return requirements([line for line in lines if line])


def check(lock, wanted: list[Requirement], direct_via: str | None) -> list[str]:
    """Everything wanted is pinned within its range; every pin is hashed; nothing is pinned for no one."""
    pins = {pin.name: pin for pin in read_lock(lock)}
    problems = []
    for req in wanted:
        if req.marker is not None and not req.marker.evaluate():
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            problems.append(f"{req} is asked for and not in {lock.name}")
        elif not req.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{lock.name} pins {pin.name}=={pin.version}, outside {req}")
    wanted_names = {canonicalize_name(req.name) for req in wanted}
    for pin in pins.values():
        if not pin.hashes:
            problems.append(f"{lock.name}: {pin.name} has no hash")
        if pin.marker is not None:
            Marker(pin.marker)  # a marker pip could not read would stop every install
        if direct_via and direct_via in pin.via and pin.name not in wanted_names:
            problems.append(f"{lock.name} pins {pin.name} for {direct_via}, which no longer asks for it")
        if not pin.via and pin.name not in wanted_names:
            problems.append(f"{lock.name} pins {pin.name}, which nothing asks for")
    return problems


def test_the_main_lock_is_pyproject_toml_locked():
    wanted = project_requirements("test") + requirements(PYPROJECT["build-system"]["requires"])
    assert not (problems := check(MAIN_LOCK, wanted, "tscgraph (pyproject.toml)")), "run `make lock`:\n" + "\n".join(problems)


def test_the_fuzz_lock_is_the_main_lock_plus_the_fuzz_extra():
    wanted = project_requirements("test", "fuzz")
    assert not (problems := check(FUZZ_LOCK, wanted, "tscgraph (pyproject.toml)")), "run `make lock`:\n" + "\n".join(problems)
    main = {pin.name: pin.version for pin in read_lock(MAIN_LOCK)}
    differ = [f"{pin.name}: {pin.version} here, {main[pin.name]} in {MAIN_LOCK.name}"
              for pin in read_lock(FUZZ_LOCK) if pin.name in main and main[pin.name] != pin.version]
    assert not differ, "the fuzz lock must pin what the main lock pins (run `make lock`):\n" + "\n".join(differ)


def test_the_peers_lock_is_bench_peers_in_locked():
    wanted = peer_requirements()
    assert wanted, "bench/peers.in names no peer"
    assert not (problems := check(PEERS_LOCK, wanted, "-r bench/peers.in")), "run `make lock`:\n" + "\n".join(problems)


def test_the_check_finds_a_dependency_added_to_one_side_only(tmp_path):
    """The guard itself: a requirement missing from the lock, one out of range, and a stale pin are all named."""
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "flask==3.1.3 \\\n    --hash=sha256:00 \\\n    # via tscgraph (pyproject.toml)\n"
        "gone==1.0 \\\n    --hash=sha256:11 \\\n    # via tscgraph (pyproject.toml)\n"
        "orphan==2.0 \\\n    --hash=sha256:22\n",
        encoding="utf-8",
    )
    problems = check(lock, requirements(["flask>=4", "rdflib>=7"]), "tscgraph (pyproject.toml)")
    assert any("outside flask>=4" in p for p in problems)
    assert any("rdflib>=7 is asked for and not in" in p for p in problems)
    assert any("pins gone for tscgraph" in p for p in problems)
    assert any("pins orphan, which nothing asks for" in p for p in problems)


def test_installs_come_from_the_locks():
    """The Makefile and the peers' installer install with --require-hashes from the locks, never from ranges."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line.strip() for line in makefile.splitlines() if re.search(r"\bpip\b.*\binstall\b|\$\(PIP\) install", line)]
    assert installs, "no install line found in the Makefile"
    for line in installs:
        assert "--require-hashes" in line or "--no-deps" in line or "uv==" in line, f"an install not from a lock: {line}"
    peers = (ROOT / "bench" / "peers.py").read_text(encoding="utf-8")
    assert '"--require-hashes", "-r", PEERS_LOCK' in peers
