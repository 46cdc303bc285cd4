"""The tree shows the architecture: ``graph/`` is the core every process imports and imports nothing above it,
``loaders/`` sits on the core, the site and the serving processes on both — and no two modules import each
other, however lazily (a cycle hidden in a function body is a cycle all the same).

Read from the source with :mod:`ast`, every import counted (top-level or in a function), so a new arrow that
runs back up fails here with the import that draws it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from graph.settings import ROOT

PACKAGES = ("graph", "loaders", "web", "serving")
#: What each layer may import (besides itself): the arrows of the architecture, all pointing down.
MAY_IMPORT = {
    "graph": {"graph"},
    "loaders": {"graph", "loaders"},
    "web": {"graph", "loaders", "web"},
    "serving": {"graph", "loaders", "web", "serving", "server"},
    "server": {"graph", "web"},
}
#: The command line is the program's shell: its commands start a server or run a loader, so it may reach up
#: (lazily, inside the command that needs it).
SHELL = {"graph.cli"}


def modules() -> dict[str, Path]:
    found = {"server": ROOT / "server.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> dict[str, int]:
    """Project modules ``path`` imports (anywhere in it) → the line of the first such import."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.setdefault(name, node.lineno)
    return found


def layer(module: str) -> str:
    return module.split(".", 1)[0]


def test_every_import_points_down():
    mods = modules()
    wrong = []
    for name, path in sorted(mods.items()):
        if name in SHELL:
            continue
        for target, line in imports_of(path, set(mods)).items():
            if layer(target) not in MAY_IMPORT[layer(name)]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {name} imports {target}")
    assert not wrong, "imports that run back up the layers:\n" + "\n".join(wrong)


def test_no_two_modules_import_each_other():
    mods = modules()
    graph = {name: {t for t in imports_of(path, set(mods)) if t != name} for name, path in mods.items()}
    cycles = []
    for name in sorted(graph):  # a short cycle is what a reader can mend: report each module's shortest one
        frontier, seen = [[name]], {name}
        while frontier:
            path = frontier.pop(0)
            for target in sorted(graph[path[-1]]):
                if target == name:
                    cycles.append(" → ".join(path + [name]))
                    frontier = []
                    break
                if target not in seen and not _is_package_of(target, path[-1]):
                    seen.add(target)
                    frontier.append(path + [target])
    assert not cycles, "modules that import each other:\n" + "\n".join(sorted(set(cycles)))


def _is_package_of(package: str, module: str) -> bool:
    """A module importing its own package's ``__init__`` (for shared types) is not a cycle of modules."""
    return module.startswith(package + ".")
