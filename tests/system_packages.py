"""System packages some tests need, installed idempotently from Debian so a fresh machine needs nothing by hand."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
BROWSER_PACKAGES = {CHROMIUM: "chromium"}


def ensure_debian_packages(paths_to_packages: dict[str, str]) -> None:
    """Install the packages whose files are missing (apt-get, as root); fail loudly if that is impossible."""
    missing = [pkg for path, pkg in paths_to_packages.items() if not os.path.exists(path)]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(f"these tests need the Debian packages {', '.join(missing)}: install them (apt-get install {' '.join(missing)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
