"""Start and stop SPARQL servers over the same data, for side-by-side HTTP benchmarks.

Each server runs on a free loopback port (127.0.0.1 only) as a context manager yielding a
:class:`Server` whose ``url`` is its SPARQL endpoint:

* :func:`ours` — ``tscgraph setup``, ``tscgraph load --no-validate --replace --graph <local> DATA``
  into a fresh store, then ``tscgraph serve`` (granian, query worker processes over snapshots).
* :func:`oxigraph_server` — the raw Oxigraph server (PyPI ``oxigraph``, the Rust CLI):
  ``oxigraph load`` of DATA into the local graph and of ``ontology/*.ttl`` into the ontology graph,
  then ``oxigraph serve-read-only --union-default-graph`` (or, ``in_memory=True``, ``oxigraph serve``
  without a location, filled through its Graph Store endpoint).
* :func:`rdflib_endpoint` — ``rdflib-endpoint serve DATA ontology/*.ttl`` (FastAPI + uvicorn,
  rdflib's in-memory Dataset with ``default_union=True``); its endpoint is ``/``.

All three see the same quads: DATA in ``{base}graph/local``, the ontology and vocabularies in
``{base}graph/ontology``, and queries without ``GRAPH`` read the union, as ours do.

The peers live in a separate virtualenv, ``.venv-peers`` at the repository root, so their
dependencies never touch ours; :func:`ensure_peers` creates it and installs them when missing.
:func:`ensure_wrk` installs Debian's ``wrk`` (apt-get, as root) when it is missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://chm.example.org/"
LOCAL_GRAPH = BASE + "graph/local"
ONTOLOGY_GRAPH = BASE + "graph/ontology"
ONTOLOGY_FILES = sorted((ROOT / "ontology").glob("*.ttl"))
PEERS_VENV = ROOT / ".venv-peers"
#: The peers, exactly as locked (``bench/peers.in`` says what they are; ``make lock`` resolves it).
PEERS_LOCK = ROOT / "bench" / "peers.lock"
START_TIMEOUT_S = 180.0


# ------------------------------------------------------------------ installing what is needed


def run_command(cmd: list[str], *, timeout: float = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``cmd`` to the end; raise with the tail of its output if it fails: a failed install or setup stops it all."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[None]:
    """One process at a time across this machine (an flock on ``{tmp}/tscgraph-{name}.lock``): installers run
    from several pytest-xdist workers at once would otherwise race on one folder, or on apt's own lock. Every
    installer checks again, inside, whether another did the work meanwhile."""
    with open(Path(tempfile.gettempdir()) / f"tscgraph-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_wrk() -> str | None:
    """Path of ``wrk``, installed from Debian if missing (needs root and apt-get); None if impossible."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        with exclusive("apt"):
            if shutil.which("wrk"):
                return shutil.which("wrk")
            run_command(["apt-get", "update", "-qq"], env=env)
            run_command(["apt-get", "install", "-y", "-qq", "wrk"], env=env)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"bench: cannot install wrk ({exc}); using the Python load generator", file=sys.stderr)
        return None
    return shutil.which("wrk")


def peer_bin(name: str) -> Path:
    return PEERS_VENV / "bin" / name


def ensure_peers() -> Path:
    """Make ``.venv-peers`` hold exactly ``bench/peers.lock`` (idempotent: nothing is done while the lock is unchanged).

    The virtualenv is made anew when the lock changes, so it never keeps a package the lock dropped; the
    stamp records which lock it was installed from.
    """
    stamp = PEERS_VENV / ".installed-lock"
    wanted = hashlib.sha256(PEERS_LOCK.read_bytes()).hexdigest()

    def ready() -> bool:
        return stamp.exists() and stamp.read_text() == wanted and peer_bin("python").exists()

    if ready():
        return PEERS_VENV
    with exclusive("peers"):
        if not ready():  # another worker may have made it while this one waited
            run_command([shutil.which("python3") or sys.executable, "-m", "venv", "--clear", PEERS_VENV])
            run_command([peer_bin("python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                         "--require-hashes", "-r", PEERS_LOCK])
            stamp.write_text(wanted)
    return PEERS_VENV


def peer_versions() -> dict[str, str]:
    """Installed versions of the peers (for the report)."""
    code = (
        "import importlib.metadata as m\n"
        "for p in ('oxigraph', 'rdflib-endpoint', 'rdflib', 'uvicorn', 'fastapi'):\n"
        "    print(p, m.version(p))\n"
    )
    out = run_command([peer_bin("python"), "-c", code], timeout=60).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def our_bin(name: str) -> Path:
    here = Path(sys.executable).parent / name
    return here if here.exists() else ROOT / ".venv" / "bin" / name


# ------------------------------------------------------------------ processes, ports, memory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (kB) summed over the process tree of ``pid``, and how many processes it has."""
    rss = hwm = n = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        n += 1
        rss += int(fields.get("VmRSS", "0 kB").split()[0])
        hwm += int(fields.get("VmHWM", "0 kB").split()[0])
    return {"rss_kib": rss, "hwm_kib": hwm, "processes": n}


def _cmdline(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return None


@dataclass
class Server:
    """A running server: ``url`` is its SPARQL endpoint, ``base`` its root URL."""

    name: str
    url: str
    base: str
    process: subprocess.Popen
    log_path: Path
    commands: list[str] = field(default_factory=list)
    started_s: float = 0.0

    def memory(self) -> dict[str, float]:
        """Resident memory now (VmRSS) and the sum of each process's peak (VmHWM), MiB, whole process tree."""
        m = memory_kib(self.process.pid)
        return {"rss_mib": round(m["rss_kib"] / 1024, 1), "hwm_mib": round(m["hwm_kib"] / 1024, 1), "processes": m["processes"]}

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _http_ok(url: str, headers: dict | None = None, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(server: Server, probe: str, headers: dict | None = None, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll ``probe`` until it answers 2xx; bounded in time; fails if the process dies."""
    deadline = time.monotonic() + timeout_s
    while True:
        if _http_ok(probe, headers):
            return
        if server.process.poll() is not None or time.monotonic() > deadline:
            terminate_server(server)
            raise RuntimeError(f"{server.name} did not start:\n{server.log()[-4000:]}")
        time.sleep(0.2)


def terminate_server(server: Server) -> None:
    """SIGTERM the server, then SIGKILL it and any of its descendants still alive (by pid, checked)."""
    proc = server.process
    family = [(p, _cmdline(p)) for p in process_tree(proc.pid)] if proc.poll() is None else []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
    deadline = time.monotonic() + 10
    for pid, cmdline in family[1:]:
        while _cmdline(pid) == cmdline and cmdline is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if _cmdline(pid) == cmdline and cmdline is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def spawn_server(name: str, cmd: list, log_path: Path, url: str, base: str, env: dict | None = None,
                 commands: list[str] | None = None) -> Server:
    """Start ``cmd`` in the background (output to ``log_path``) and return at once; :func:`wait_ready` follows."""
    log = open(log_path, "w")
    try:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=log, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL)
    finally:
        log.close()
    return Server(name, url, base, proc, log_path, [*(commands or []), _shell(cmd)], time.monotonic())


def _shell(cmd: list) -> str:
    import shlex

    return " ".join(shlex.quote(str(c)) for c in cmd)


def _is_dataset(path: Path) -> bool:
    return path.suffix.lower() in (".nq", ".trig")


def _workdir(workdir: Path | None, name: str) -> Path:
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix=f"tscgraph-bench-{name}-"))
    workdir = Path(workdir) / name
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    return workdir


_ASK = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
_JSON = {"Accept": "application/sparql-results+json"}


# ------------------------------------------------------------------ the servers


@contextlib.contextmanager
def ours(data_file: Path, workdir: Path | None = None, *, query_workers: int = 3, max_result_rows: int = 1_000_000,
         query_time_limit: int = 60, extra_settings: dict | None = None) -> Iterator[Server]:
    """tscgraph: setup, load DATA (replacing the local graph, no validation), serve."""
    data_file = Path(data_file).resolve()
    work = _workdir(workdir, "ours")
    store = work / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSCGRAPH_")}
    settings = {
        "STORE_DIR": str(store), "BASE_IRI": BASE, "QUERY_WORKERS": str(query_workers),
        "MAX_RESULT_ROWS": str(max_result_rows), "QUERY_TIME_LIMIT": str(query_time_limit),
        **{k.upper(): str(v) for k, v in (extra_settings or {}).items()},
    }
    env.update({"TSCGRAPH_" + k: v for k, v in settings.items()})
    tscgraph = our_bin("tscgraph")
    # Load first, into the empty local graph (the engine's fast path), then `setup` installs the
    # ontology and leaves the now non-empty local graph alone (no bundled data mixed in).
    load = [tscgraph, "load", "--no-validate", "--graph", LOCAL_GRAPH, data_file]
    setup = [tscgraph, "setup"]
    run_command(load, env=env, timeout=1800)
    run_command(setup, env=env, timeout=600)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    prefix = " ".join(f"TSCGRAPH_{k}={v}" for k, v in settings.items())
    server = spawn_server("ours", [tscgraph, "serve", "--host", "127.0.0.1", "--port", port], work / "server.log",
                          base + "/sparql", base, env=env,
                          commands=[f"{prefix} {_shell(load)}", f"{prefix} {_shell(setup)}"])
    server.commands[-1] = f"{prefix} {server.commands[-1]}"
    wait_ready(server, base + "/health")
    wait_ready(server, base + "/sparql?" + _ASK, _JSON)  # the query workers are up
    try:
        yield server
    finally:
        terminate_server(server)


@contextlib.contextmanager
def oxigraph_serving(work: Path, *options: str | Path, name: str = "oxigraph",
                     timeout_s: float = START_TIMEOUT_S) -> Iterator[Server]:
    """``oxigraph serve`` with ``options`` (none: an empty, writable store in memory) on a free loopback port,
    ready to answer; its logs in ``work``. ``server.url`` is its query endpoint, ``server.base`` the base of
    ``/update`` and ``/store``."""
    ensure_peers()
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [peer_bin("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}", *options]
    server = spawn_server(name, cmd, work / "server.log", base + "/query", base)
    try:
        wait_ready(server, base + "/query?" + _ASK, _JSON, timeout_s)
        yield server
    finally:
        terminate_server(server)


@contextlib.contextmanager
def oxigraph_store_server(work: Path) -> Iterator[tuple[str, str, int]]:
    """``oxigraph serve`` on disk, writable, union default graph, on a free loopback port, as a store for
    tscgraph (``store_kind = "oxigraph"``): yields its query URL, update URL and process id."""
    with oxigraph_serving(work, "--location", work / "db", "--union-default-graph", name="oxigraph-store") as server:
        yield server.url, server.base + "/update", server.process.pid


@dataclass(frozen=True)
class StoreServer:
    """A store started for tscgraph to run on: the settings pointing there, and its process."""

    settings: dict
    pid: int | None = None  # None: the embedded store, inside tscgraph's own processes


@contextlib.contextmanager
def store_server(name: str, work: Path) -> Iterator[StoreServer]:
    """A fresh, empty store of backend ``name`` ("embedded", "oxigraph-server", "virtuoso") on loopback, and
    the settings (``store_url``…) that make tscgraph run on it; the embedded store needs none (it lives in
    tscgraph's own ``store_dir``)."""
    if name == "embedded":
        yield StoreServer({})
        return
    if name == "oxigraph-server":
        with oxigraph_store_server(work) as (query, update, pid):
            yield StoreServer({"store_url": query, "store_update_url": update, "store_kind": "oxigraph"}, pid)
        return
    if name != "virtuoso":
        raise ValueError(f"no store backend named {name!r}")
    with virtuoso_server(work) as server:
        yield StoreServer({"store_url": server.url, "store_update_url": server.update_url, "store_kind": "virtuoso",
                           "store_user": server.user or "", "store_password": server.password or ""},
                          server.process.pid)


@contextlib.contextmanager
def oxigraph_server(data_file: Path, workdir: Path | None = None, *, in_memory: bool = False) -> Iterator[Server]:
    """The raw Oxigraph server (Rust CLI) over DATA + the ontology, union default graph, read-only on disk.

    No ``--timeout-s``: in oxigraph 0.5.13 it starts one "SPARQL evaluation timeout" thread per query
    that lives as long as the timeout, so a few seconds of load at thousands of req/s exhaust threads
    ("Resource temporarily unavailable" 500s, then an abort: seen here with 60 s)."""
    ensure_peers()
    data_file = Path(data_file).resolve()
    work = _workdir(workdir, "oxigraph-mem" if in_memory else "oxigraph")
    oxigraph = peer_bin("oxigraph")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    commands: list[str] = []
    if in_memory:
        cmd = [oxigraph, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
        server = spawn_server("oxigraph-mem", cmd, work / "server.log", base + "/query", base)
        wait_ready(server, base + "/query?" + _ASK, _JSON)
        try:
            post_file(base + "/store", data_file, None if _is_dataset(data_file) else LOCAL_GRAPH)
            for path in ONTOLOGY_FILES:
                post_file(base + "/store", path, ONTOLOGY_GRAPH)
        except Exception:
            terminate_server(server)
            raise
        server.commands.append(f"POST {base}/store?graph=<local> DATA; POST {base}/store?graph=<ontology> ontology/*.ttl")
    else:
        location = work / "db"
        data_load = [oxigraph, "load", "--location", location, "--base", BASE, "--file", data_file]
        if not _is_dataset(data_file):
            data_load += ["--graph", LOCAL_GRAPH]
        onto_load = [oxigraph, "load", "--location", location, "--base", BASE, "--graph", ONTOLOGY_GRAPH,
                     "--file", *ONTOLOGY_FILES]
        for cmd in (data_load, onto_load):
            run_command(cmd, timeout=1800)
            commands.append(_shell(cmd))
        cmd = [oxigraph, "serve-read-only", "--location", location, "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]
        server = spawn_server("oxigraph", cmd, work / "server.log", base + "/query", base, commands=commands)
        wait_ready(server, base + "/query?" + _ASK, _JSON)
    try:
        yield server
    finally:
        terminate_server(server)


_RDF_TYPES = {".nt": "application/n-triples", ".nq": "application/n-quads", ".ttl": "text/turtle",
              ".trig": "application/trig", ".rdf": "application/rdf+xml", ".owl": "application/rdf+xml"}


def post_file(store_url: str, path: Path, graph: str | None) -> None:
    """POST the RDF file ``path`` into ``graph`` (None: default) of a Graph Store endpoint: fills a running server."""
    url = store_url + ("?" + urllib.parse.urlencode({"graph": graph}) if graph else "")
    request = urllib.request.Request(url, data=path.read_bytes(), method="POST",
                                     headers={"Content-Type": _RDF_TYPES[path.suffix.lower()]})
    with urllib.request.urlopen(request, timeout=600) as resp:
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"POST {url} answered {resp.status}")


@contextlib.contextmanager
def rdflib_endpoint(data_file: Path, workdir: Path | None = None) -> Iterator[Server]:
    """rdflib-endpoint's CLI over DATA + the ontology (rdflib in-memory Dataset, union default graph)."""
    ensure_peers()
    data_file = Path(data_file).resolve()
    work = _workdir(workdir, "rdflib-endpoint")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [peer_bin("rdflib-endpoint"), "serve", data_file, *ONTOLOGY_FILES, "--host", "127.0.0.1", "--port", port]
    server = spawn_server("rdflib-endpoint", cmd, work / "server.log", base + "/", base)
    wait_ready(server, base + "/?" + _ASK, _JSON)
    try:
        yield server
    finally:
        terminate_server(server)


SERVERS = {"ours": ours, "oxigraph": oxigraph_server, "rdflib-endpoint": rdflib_endpoint,
           "oxigraph-mem": lambda data, workdir=None: oxigraph_server(data, workdir, in_memory=True)}


# ------------------------------------------------------------------ Virtuoso Open Source (issue #8)

VIRTUOSO_PACKAGE = "virtuoso-opensource"
VIRTUOSO_SERVICE = "virtuoso-opensource-7"
VIRTUOSO_DEBIAN_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
#: Answers to the package's debconf questions, so that installing never prompts: an empty DBA password
#: (the postinst then leaves the system instance disabled), no ODBC DSN for it.
VIRTUOSO_DEBCONF = (
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password \n"
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password \n"
    "virtuoso-opensource-7 virtuoso-opensource-7/register-odbc-dsn boolean false\n"
)
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def ensure_virtuoso() -> Path:
    """``virtuoso-t``, installed from Debian (``virtuoso-opensource``, apt-get as root) when missing.

    Idempotent. The package would start a system instance (HTTP 8890 and SQL 1111 on all interfaces) and
    enable it at boot: a ``policy-rc.d`` answering 101 keeps ``invoke-rc.d`` from starting it during the
    install (removed afterwards unless it was already there), then the boot links are disabled and any
    system instance still running is stopped through its init script."""
    found = shutil.which("virtuoso-t")
    if found and shutil.which("isql-vt"):
        return Path(found)
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError(f"Virtuoso is missing: install the Debian package {VIRTUOSO_PACKAGE} (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "DEBCONF_NONINTERACTIVE_SEEN": "true"}
    with exclusive("apt"):
        if not (shutil.which("virtuoso-t") and shutil.which("isql-vt")):
            subprocess.run(["debconf-set-selections"], input=VIRTUOSO_DEBCONF, text=True, check=True, timeout=60)
            own_policy = not POLICY_RC_D.exists()
            if own_policy:
                POLICY_RC_D.write_text("#!/bin/sh\n# tscgraph: installing Virtuoso, start no service\nexit 101\n")
                POLICY_RC_D.chmod(0o755)
            try:
                run_command(["apt-get", "update", "-qq"], env=env)
                run_command(["apt-get", "install", "-y", "-qq", "--no-install-recommends", VIRTUOSO_PACKAGE], env=env)
            finally:
                if own_policy:
                    POLICY_RC_D.unlink(missing_ok=True)
            _disable_virtuoso_service(env)
    found = shutil.which("virtuoso-t")
    if not found or not shutil.which("isql-vt"):
        raise RuntimeError(f"{VIRTUOSO_PACKAGE} installed but virtuoso-t/isql-vt not on PATH")
    return Path(found)


def _disable_virtuoso_service(env: dict) -> None:
    """No system instance at boot, none running (no systemd in a container: SysV links and the init script)."""
    init_script = Path("/etc/init.d") / VIRTUOSO_SERVICE
    if shutil.which("update-rc.d") and init_script.exists():
        subprocess.run(["update-rc.d", VIRTUOSO_SERVICE, "disable"], env=env, capture_output=True, timeout=60)
    if shutil.which("systemctl") and Path("/run/systemd/system").exists():
        subprocess.run(["systemctl", "disable", "--now", VIRTUOSO_SERVICE], env=env, capture_output=True, timeout=60)
    elif init_script.exists():
        subprocess.run([str(init_script), "stop"], env=env, capture_output=True, timeout=60)


@dataclass
class VirtuosoServer(Server):
    """A private Virtuoso instance: ``url`` answers queries, ``update_url`` takes SPARQL Update (POST,
    ``update=``), ``gsp_url`` is the Graph Store Protocol endpoint. Writes need no authentication (the
    ``SPARQL`` user, i.e. anonymous HTTP, holds ``SPARQL_UPDATE`` on this loopback-only instance), so
    ``user``/``password`` stay None. ``isql`` is the SQL port; ``dba_password`` is random per instance."""

    update_url: str = ""
    gsp_url: str = ""
    user: str | None = None
    password: str | None = None
    isql_port: int = 0
    dba_password: str = ""

    def isql(self, *statements: str, timeout: float = 120) -> str:
        """Run SQL statements through ``isql-vt`` as dba; raise if any fails."""
        return _isql(self.isql_port, self.dba_password, *statements, timeout=timeout)


def _isql(port: int, password: str, *statements: str, timeout: float = 120) -> str:
    script = "".join(s.rstrip().rstrip(";") + ";\n" for s in statements)
    proc = subprocess.run(["isql-vt", f"127.0.0.1:{port}", "dba", password, "VERBOSE=OFF", "BANNER=OFF",
                           "ERRORS=STDOUT", f"EXEC={script}"],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "*** Error" in out:
        raise RuntimeError(f"isql-vt failed ({proc.returncode}):\n{out[-3000:]}")
    return out


#: ini keys changed from Debian's virtuoso.ini: (section, key) -> value; ``{db}`` is the database directory.
VIRTUOSO_INI = {
    ("Database", "DatabaseFile"): "{db}/virtuoso.db",
    ("Database", "ErrorLogFile"): "{db}/virtuoso.log",
    ("Database", "LockFile"): "{db}/virtuoso.lck",
    ("Database", "TransactionFile"): "{db}/virtuoso.trx",
    ("Database", "xa_persistent_file"): "{db}/virtuoso.pxa",
    ("TempDatabase", "DatabaseFile"): "{db}/virtuoso-temp.db",
    ("TempDatabase", "TransactionFile"): "{db}/virtuoso-temp.trx",
    ("Parameters", "ServerPort"): "127.0.0.1:{isql_port}",
    ("Parameters", "DirsAllowed"): "., {db}, /usr/share/virtuoso-opensource-7/vad",
    ("Parameters", "NumberOfBuffers"): "20000",  # 8 kB pages: ~160 MB, plenty for test data
    ("Parameters", "MaxDirtyBuffers"): "15000",
    ("Parameters", "MaxQueryMem"): "1G",
    ("HTTPServer", "ServerPort"): "127.0.0.1:{http_port}",
    ("URIQA", "DefaultHost"): "127.0.0.1:{http_port}",
    ("SPARQL", "ResultSetMaxRows"): "1000000",  # Debian: 10000, and longer results are cut silently
}


def virtuoso_ini(template: str, values: dict[tuple[str, str], str]) -> str:
    """Debian's virtuoso.ini with ``values`` set (lines replaced in place, missing keys added to their section).

    Not configparser: the file repeats keys and carries ``;`` comments after values."""
    lines, section, done = template.splitlines(), "", set()
    out: list[str] = []

    def flush(sec: str) -> None:
        out.extend(f"{k} = {v}" for (s, k), v in values.items() if s == sec and (s, k) not in done)
        done.update((s, k) for (s, k) in values if s == sec)

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            flush(section)
            section = stripped[1:-1]
        elif "=" in stripped and not stripped.startswith(";"):
            key = stripped.split("=", 1)[0].strip()
            if (section, key) in values:
                if (section, key) not in done:
                    out.append(f"{key} = {values[(section, key)]}")
                    done.add((section, key))
                continue
        out.append(line)
    flush(section)
    for sec in dict.fromkeys(s for (s, _k) in values if (s, _k) not in done):
        out.append(f"[{sec}]")
        flush(sec)
    return "\n".join(out) + "\n"


@contextlib.contextmanager
def virtuoso_server(tmp: Path, *, start_timeout_s: float = 120) -> Iterator[VirtuosoServer]:
    """A private Virtuoso (fresh database under ``tmp``) on free loopback ports, writable without auth.

    ``virtuoso-t +foreground +configfile tmp/virtuoso/virtuoso.ini``; ready when ``/sparql?query=ASK{}``
    answers; then dba gets a random password and ``GRANT SPARQL_UPDATE TO "SPARQL"`` lets anonymous
    HTTP clients update (SPARQL Update on /sparql, Graph Store Protocol on /sparql-graph-crud)."""
    import secrets

    virtuoso = ensure_virtuoso()
    work = Path(tmp) / "virtuoso"
    db = work / "db"
    db.mkdir(parents=True, exist_ok=True)
    http_port, isql_port = free_port(), free_port()
    while isql_port == http_port:
        isql_port = free_port()
    fill = {"db": str(db), "http_port": str(http_port), "isql_port": str(isql_port)}
    ini = work / "virtuoso.ini"
    ini.write_text(virtuoso_ini(VIRTUOSO_DEBIAN_INI.read_text(encoding="utf-8"),
                                {k: v.format(**fill) for k, v in VIRTUOSO_INI.items()}), encoding="utf-8")
    base = f"http://127.0.0.1:{http_port}"
    cmd = [virtuoso, "+foreground", "+configfile", ini]
    proc_log = work / "server.log"
    log = open(proc_log, "w")
    try:
        # cwd = db: the relative paths Virtuoso still derives (DirsAllowed ".", temp files) stay private.
        proc = subprocess.Popen([str(c) for c in cmd], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=db)
    finally:
        log.close()
    server = VirtuosoServer("virtuoso", base + "/sparql", base, proc, proc_log, [_shell(cmd)], time.monotonic(),
                            update_url=base + "/sparql", gsp_url=base + "/sparql-graph-crud",
                            isql_port=isql_port, dba_password="dba")
    try:
        wait_ready(server, base + "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), _JSON,
                   timeout_s=start_timeout_s)
        password = "t" + secrets.token_hex(12)  # an SQL identifier: must not start with a digit
        server.isql(f"SET PASSWORD dba {password}")
        server.dba_password = password
        server.isql('GRANT SPARQL_UPDATE TO "SPARQL"')
    except BaseException:
        terminate_server(server)
        raise
    try:
        yield server
    finally:
        terminate_server(server)
