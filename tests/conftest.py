"""Shared fixtures: real stores on temporary directories, the real CLI, a real server on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from rdflib import Graph

from bench.peers import free_port
from graph.settings import ROOT, Settings, load_settings
from graph.store import open_store
from graph.store.oxigraph import OxigraphStore
from graph.validation import Validator
from tests import hypothesis_profiles  # noqa: F401 - registers and loads the Hypothesis profiles (HYPOTHESIS_PROFILE)

#: The store backends' servers (tests/backends.py) and the clients of the field (tests/field_clients.py): session fixtures.
pytest_plugins = ["tests.backends", "tests.field_clients"]

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
    """The embedded store as the server opens it (its private graphs and summary graph known from the settings)."""
    with open_store(settings) as s:
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


TOKEN = "test-token-for-writes-3f1c9a"
TOKEN_HASH = "sha256:" + __import__("hashlib").sha256(TOKEN.encode()).hexdigest()
#: The header that carries TOKEN, for the write routes.
AUTH = {"Authorization": "Bearer " + TOKEN}
#: A token of the admin scope (graph/auth.py): it may also change the ontology and the server's own graphs.
ADMIN_TOKEN = "test-admin-token-7d2e40"
ADMIN_TOKEN_HASH = "admin:sha256:" + __import__("hashlib").sha256(ADMIN_TOKEN.encode()).hexdigest()
ADMIN_AUTH = {"Authorization": "Bearer " + ADMIN_TOKEN}
#: What a browser asks for: the HTML page of a route.
HTML = {"Accept": "text/html"}


def bundled_data() -> Graph:
    """The bundled data files as one graph, read as ``tscgraph setup`` reads them (relative IRIs against BASE):
    what the site tests compute their expectations from, independently of the SPARQL under test."""
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle", publicID=BASE)
    return graph


@pytest.fixture(scope="module")
def data() -> Graph:
    return bundled_data()


def summarised(store: OxigraphStore) -> OxigraphStore:
    """A store opened in code given its summary graph as :func:`graph.store.open_store` gives it, and the summary
    computed (:mod:`graph.summaries`): what the canned queries read."""
    from graph.summaries import rebuild

    store.summary_graph = BASE + "graph/summary"
    rebuild(store)
    return store


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries (every form has one: web/security.py)."""
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from a chosen loopback address (127.0.0.2…): rate limits and shares count per client address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def client_from(address: str) -> requests.Session:
    """A client whose requests come from loopback address ``address``."""
    browser = requests.Session()
    browser.mount("http://", FromAddress(address))
    return browser


def get_page(url: str, **params) -> requests.Response:
    """``url`` as a browser asks for it (HTML), with query parameters."""
    return requests.get(url, params=params, headers=HTML, timeout=30)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    store_dir: Path
    log_path: Path
    log_file: object

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_server(tmp: Path, *, serve_args: tuple[str, ...] = (), setup: bool = True, health: str = "/health",
                 **settings: str) -> Server:
    """``tscgraph setup`` then ``tscgraph serve`` (the writer and the readers) on a free loopback port;
    settings as env vars; ``serve_args`` for ``--role``; ``setup=False`` for a host that reads another's store."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = cli_env(tmp / "store")
    # A lighter server than production's (one reader, one validation worker) unless a test asks for more: the
    # suite starts dozens of servers on two cores; tests of the processes themselves (test_serving) ask.
    settings = {"web_processes": 1, "validation_workers": 1, **settings}
    env.update({"TSCGRAPH_" + k.upper(): str(v) for k, v in settings.items()})
    port = int(settings.get("port", 0)) or free_port()
    if setup:
        subprocess.run([str(BIN / "tscgraph"), "setup"], env=env, check=True, capture_output=True, timeout=300)
    log_path = tmp / f"server-{port}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(BIN / "tscgraph"), "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: kill_server reaches every process of the server
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # bounded: 60 s at most
        try:
            if health is None or requests.get(url + health, timeout=2).status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError("server did not start:\n" + log_path.read_text())
        time.sleep(0.2)
    return Server(url, proc, tmp / "store", log_path, log)


def kill_server(server: Server) -> None:
    """SIGKILL the server's whole process group (the supervisor, the writer, the readers, their workers), as a
    crash would."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=15)
    deadline = time.monotonic() + 15
    while True:  # bounded: every process of the group gone (the store's lock is theirs until then)
        try:
            os.killpg(server.process.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the server's processes outlived SIGKILL"
        time.sleep(0.05)
    server.log_file.close()  # type: ignore[attr-defined]


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=15)
    server.log_file.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """A read-mostly server over the bundled data, default settings, writes disabled."""
    server = start_server(tmp_path_factory.mktemp("server"))
    yield server.url
    stop_server(server)


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    """A server with small limits (3 s, 100 rows) and a write token; tests must not write to it."""
    server = start_server(
        tmp_path_factory.mktemp("endpoint"), query_time_limit="3", max_result_rows="100",
        update_tokens=TOKEN_HASH, query_workers="2",
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory):
    """A server whose store the tests of a module may change (writes enabled with TOKEN)."""
    server = start_server(tmp_path_factory.mktemp("writable"), update_tokens=TOKEN_HASH, query_workers="2")
    yield server
    stop_server(server)


#: Where page tests keep their screenshots (a CI artefact); TSCGRAPH_TEST_ARTIFACTS moves it.
ARTIFACTS = Path(os.environ.get("TSCGRAPH_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download: Playwright's driver, Debian's browser)."""
    from playwright.sync_api import sync_playwright

    from tests.system_packages import BROWSER_PACKAGES, CHROMIUM, ensure_debian_packages

    ensure_debian_packages(BROWSER_PACKAGES)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (its own cookies: the language a test picks does not leak into the next)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-GB")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page, name: str) -> Path:
    """Keep a full-page screenshot of what the test sees, as a test artefact."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_finish(session: pytest.Session) -> None:
    """Guard the suite itself: a filter or a broken import must not shrink it silently."""
    full_run = not session.config.args or session.config.args == ["tests"] or session.config.args == [str(TESTS)]
    if full_run and not session.config.option.keyword and not session.config.option.markexpr:
        if len(session.items) < 350:
            raise pytest.UsageError(f"only {len(session.items)} tests collected; the full suite has at least 350")
