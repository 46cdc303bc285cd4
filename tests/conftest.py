"""Shared fixtures: real stores on temporary directories, the real CLI, a real server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from graph.settings import ROOT, Settings, load_settings
from graph.store.oxigraph import OxigraphStore
from graph.validation import Validator

TESTS = Path(__file__).resolve().parent
TEST_DATA = TESTS / "data"
BASE = "https://chm.example.org/"
BIN = Path(sys.executable).parent


def make_settings(tmp_path: Path, **overrides) -> Settings:
    return load_settings(overrides={"store_dir": tmp_path / "store", **overrides}, environ={})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def validator() -> Validator:
    """Shapes and vocabularies parsed once for the whole session, as the server does."""
    return Validator.from_paths(ROOT / "shapes", ROOT / "ontology")


@pytest.fixture
def store(settings: Settings):
    with OxigraphStore(settings.store_dir) as s:
        yield s


def cli_env(store_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSCGRAPH_")}
    env["TSCGRAPH_STORE_DIR"] = str(store_dir)
    return env


@pytest.fixture
def run_cli(tmp_path: Path):
    """Run the installed ``tscgraph`` command for real, on a temporary store."""
    store_dir = tmp_path / "cli-store"

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "tscgraph"), *map(str, args)],
            capture_output=True,
            text=True,
            env=cli_env(store_dir),
            input=input,
            timeout=300,
            cwd=tmp_path,
        )

    run.store_dir = store_dir  # type: ignore[attr-defined]
    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """``tscgraph setup`` then ``tscgraph serve`` (gunicorn) on a free loopback port, bundled data loaded."""
    tmp = tmp_path_factory.mktemp("server")
    env = cli_env(tmp / "store")
    port = free_port()
    subprocess.run([str(BIN / "tscgraph"), "setup"], env=env, check=True, capture_output=True, timeout=300)
    log = open(tmp / "server.log", "w+")
    proc = subprocess.Popen(
        [str(BIN / "tscgraph"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/?format=json", timeout=2)
            break
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                proc.kill()
                raise RuntimeError("server did not start:\n" + log.read())
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Guard the suite itself: a filter or a broken import must not shrink it silently."""
    full_run = not session.config.args or session.config.args == ["tests"] or session.config.args == [str(TESTS)]
    if full_run and not session.config.option.keyword and not session.config.option.markexpr:
        if len(session.items) < 350:
            raise pytest.UsageError(f"only {len(session.items)} tests collected; the full suite has at least 350")
