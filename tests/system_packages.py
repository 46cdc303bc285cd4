"""System packages some tests need, installed idempotently from Debian so a fresh machine needs nothing by hand."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from bench.peers import exclusive

CHROMIUM = "/usr/bin/chromium"
BROWSER_PACKAGES = {CHROMIUM: "chromium"}


def install_debian_packages(paths_to_packages: dict[str, str]) -> str | None:
    """Install the packages whose files are missing (apt-get, as root, quietly; one installer at a time across
    pytest-xdist workers). None when everything is there; else why it cannot be."""
    def missing() -> list[str]:
        return sorted({pkg for path, pkg in paths_to_packages.items() if not os.path.exists(path)})

    if not missing():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return f"needs the Debian packages {', '.join(missing())}: install them (apt-get install {' '.join(missing())})"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with exclusive("apt"):  # another worker may be installing the same packages
        if not missing():
            return None
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing()]):
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
            if proc.returncode != 0:
                return f"{' '.join(command)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return None if not missing() else f"apt-get did not install {', '.join(missing())}"


def ensure_debian_packages(paths_to_packages: dict[str, str]) -> None:
    """Install the packages whose files are missing (apt-get, as root); fail loudly if that is impossible."""
    reason = install_debian_packages(paths_to_packages)
    if reason:
        pytest.fail(f"these tests {reason}")
