"""The code passes the linter configured in pyproject.toml (unused imports, undefined names, import order)."""

from __future__ import annotations

import subprocess
import sys

from graph.settings import ROOT


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
