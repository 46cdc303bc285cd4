"""No secret in the repository: every file it holds is scanned for credentials, and the places where a
running server keeps its own (the session key, the store) are ignored by git.

Credentials that are not secrets exist: the tests' tokens and passwords, made up for servers on
127.0.0.1 that live for one test run. They are plain constants in ``tests/`` and the rule for
``name = "value"`` assignments skips that folder only; the patterns of real credentials (keys,
provider tokens, passwords in URLs) apply to every file.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from graph.settings import ROOT, load_settings

#: Shapes of credentials issued by key tools and providers: never in a file of the repository.
CREDENTIALS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "JSON Web Token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"<>{}]+:[^/\s@'\"<>{}]{3,}@[\w.-]+"),
}
#: ``secret_key = "…"``, ``password: '…'``, ``TOKEN = "…"`` with a literal value of 8 characters or more.
ASSIGNED = re.compile(
    r"""(?ix)\b[\w-]*(?:secret|password|passwd|token|api[_-]?key)[\w-]*["']?\s*[:=]\s*["']([^"'\s]{8,})["']""")
#: Values that are not credentials: hashes of them (what configuration holds), and placeholders.
NOT_A_SECRET = re.compile(r"^(?:sha256:[0-9a-f]{64}|scrypt:.*|pbkdf2:.*|<[^>]+>|\$\{?\w+\}?|example.*|change-?me.*)$")


def repository_files() -> list[Path]:
    """The files git holds (a checkout without git: every file but the ignored folders)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
        names = [n for n in listed.stdout.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        skipped = {".venv", ".venv-peers", "var", ".git", "__pycache__", ".pytest_cache", ".hypothesis"}
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if p.is_file() and not skipped & set(p.relative_to(ROOT).parts)]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\0" in data[:8192] else data.decode("utf-8", errors="replace")


def findings(path: Path, text: str) -> list[str]:
    found = [f"{name}: {m.group(0)[:40]}…" for name, pattern in CREDENTIALS.items() for m in pattern.finditer(text)]
    if path.relative_to(ROOT).parts[0] != "tests":
        found += [f"assigned credential: {m.group(0)[:60]}" for m in ASSIGNED.finditer(text)
                  if not NOT_A_SECRET.match(m.group(1))]
    return found


def test_the_scanner_finds_what_it_looks_for(tmp_path):
    """The rules catch each kind of credential (so a clean scan means something), and let hashes pass."""
    planted = {
        "private key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----",  # split: this file is scanned too
        "AWS access key": "AKIA" + "Q" * 16,
        "GitHub token": "ghp_" + "a1" * 18,
        "password in a URL": "https://editor:" + "hunter22" + "@chm.example.org/sparql",
        "assigned credential": 'secret_key = "' + "3f" * 16 + '"',
    }
    for kind, text in planted.items():
        assert any(f.startswith(kind) for f in findings(ROOT / "graph" / "x.py", text)), kind
    hashed = 'update_tokens = ["sha256:' + "0" * 64 + '"]\npassword = "scrypt:32768:8:1$abc$def"'
    assert findings(ROOT / "graph" / "x.py", hashed) == []


def test_no_file_of_the_repository_holds_a_credential():
    files = repository_files()
    assert len(files) > 100  # the scan saw the repository
    found = {}
    for path in files:
        text = text_of(path)
        if text is not None and (hits := findings(path, text)):
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}


def ignored_by_git(path: Path) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, timeout=60).returncode == 0


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="a checkout without git has nothing to ignore")
def test_what_a_server_keeps_stays_out_of_git():
    settings = load_settings(environ={})
    for kept in (settings.secret_key_file, settings.store_dir / "x"):
        assert ignored_by_git(kept), kept
