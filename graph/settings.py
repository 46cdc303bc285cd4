"""Configuration, in one place.

Every setting is declared once with its default and help text (the Datasette way), and is read
in this order, later winning: defaults → TOML file (``TSCGRAPH_CONFIG`` or ``--config``) →
environment variables ``TSCGRAPH_<NAME>`` → explicit overrides (CLI flags, test config).
A test fails when a setting has no help text or is missing from ``docs/configuration.md``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

#: The repository root: ontology, shapes, queries and bundled data ship beside the package.
ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "TSCGRAPH_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


#: The language the messages are written in (gettext msgids); other languages are translations of it.
SOURCE_LANG = "en"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    base_iri: str = _setting(
        "https://chm.example.org/",
        "Base IRI of this clearing-house's records and named graphs; relative IRIs in loaded "
        "files resolve against it. Each deployment sets its own (it must end with '/').",
    )
    store_dir: Path = _setting(
        ROOT / "var" / "store",
        "Directory of the embedded on-disk store (created on first use). One process may open it "
        "for writing at a time.",
    )
    store_url: str = _setting(
        "",
        "SPARQL 1.1 query endpoint of an external store (Oxigraph server, Virtuoso, Fuseki, GraphDB, QLever…) "
        "to run on instead of the embedded one; empty: the embedded store in store_dir. See docs/backends.md.",
    )
    store_update_url: str = _setting("", "SPARQL 1.1 Update endpoint of the external store (empty: store_url).")
    store_kind: str = _setting(
        "generic",
        "Which external store store_url is (oxigraph, virtuoso, fuseki, graphdb, qlever, generic): how its "
        "default graph, time-limit parameter and own system graphs behave (graph/store/remote.py PROFILES).",
    )
    store_user: str = _setting("", "User for the external store's endpoints (empty: no authentication).")
    store_password: str = _setting("", "Password of store_user (prefer the TSCGRAPH_STORE_PASSWORD variable to a file).")
    ontology_dir: Path = _setting(ROOT / "ontology", "Directory of the ontology and reference vocabularies (Turtle).")
    shapes_dir: Path = _setting(ROOT / "shapes", "Directory of the SHACL shapes (Turtle).")
    queries_dir: Path = _setting(ROOT / "queries", "Directory of the named SPARQL queries (.rq).")
    translations_dir: Path = _setting(
        ROOT / "translations",
        "Directory of the message catalogues: one folder per language ('fr/', 'es/'…) of gettext .po files. "
        "English is the source language; a language is offered once its folder exists.",
    )
    bundled_data_dir: Path = _setting(ROOT / "data", "Directory of the bundled data loaded by 'tscgraph setup'.")
    host: str = _setting("127.0.0.1", "Address the server listens on.")
    port: int = _setting(8000, "Port the server listens on.")
    server_threads: int = _setting(
        8, "Threads of each web process (each reader and the writer) that run the application; a connection is read "
        "by the HTTP server itself, so a request reaches a thread only once it is whole.")
    web_processes: int = _setting(
        0, "Reader processes of 'tscgraph serve' — how many web processes answer reads; 0: one per core.")
    reader_nice: int = _setting(
        10, "How much lower the CPU priority of the reader processes (and of their query and validation workers) is "
        "than the writer's, as a nice increment (0-19): under any read load a write gets the CPU at once, and the "
        "readers use every cycle the writer leaves.")
    writer_url: str = _setting(
        "",
        "Where readers hand writes: empty, the writer 'tscgraph serve' starts beside them (its Unix socket beside the "
        "store); 'http://host:port' for a writer on another host ('tscgraph serve --role reader' there: readers "
        "of an external store on several hosts, one writer). See docs/backends.md.",
    )
    writer_listen: str = _setting(
        "",
        "Where the writer listens: empty, a Unix socket beside the store ('{store_dir}-writer.sock', this host's "
        "readers only); 'host:port' to take writes from readers on other hosts too (they show a key derived from "
        "secret_key, which every host must then share).",
    )
    response_cache_bytes: int = _setting(
        64 * 1024 * 1024,
        "Bytes each reader may keep of answers to anonymous reads, reused until a write changes what the public "
        "reads; 0 turns the cache off.",
    )
    cache_stale_seconds: float = _setting(
        0.0,
        "For this many seconds after a write changes what the public reads, a reader may answer an anonymous read "
        "from the state just before it (never older) while it computes the new answer once in the background "
        "(stale-while-revalidate); signed-in users, token holders and requests sent with 'Cache-Control: no-cache' "
        "always get the newest state. 0 (the default): every read after a write waits for the new answer, so a client that "
        "writes with a token and reads anonymously reads its write at once.",
    )
    default_lang: str = _setting("en", "Language of messages and labels when a client does not ask for one (English or a language of translations_dir).")
    page_size: int = _setting(50, "Rows per page in the browsing pages.")
    change_page_size: int = _setting(
        500,
        "Activities per page of the change feeds (/changes): pages are fixed ranges of change numbers, so "
        "every page but the last never changes; changing this setting moves the pages' addresses.",
    )
    query_time_limit: float = _setting(
        30.0,
        "Seconds a SPARQL query may run; past it the query's worker process is killed and the client "
        "gets a 503 timeout error.",
    )
    max_result_rows: int = _setting(
        10000,
        "Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one answer carries; a longer answer is cut "
        "and says so (header X-Tscgraph-Truncated, and \"truncated\": true in JSON results).",
    )
    max_request_bytes: int = _setting(
        10 * 1024 * 1024, "Largest request body accepted (queries, updates, uploaded RDF); larger gets 413."
    )
    query_workers: int = _setting(
        3, "Query worker processes: how many SPARQL queries run at the same time."
    )
    query_queue_wait: float = _setting(
        10.0, "Seconds a query waits for a free worker before the client gets a 503 'busy' error."
    )
    query_express_workers: int = _setting(
        1,
        "Query workers kept for short queries: a query that finds every other worker busy runs there at once, for at "
        "most query_express_time_limit seconds — so runaway queries never keep a cheap one waiting; 0: none.",
    )
    query_express_time_limit: float = _setting(
        1.0, "Seconds a query may run in the express lane (past it: 503 busy, the worker killed)."
    )
    max_client_jobs: int = _setting(
        2,
        "Most queries (and, separately, most validations) one client address may have running at the same time; "
        "its further ones wait for one of its own to end (within the queue wait), so that no single client holds "
        "every worker.",
    )
    validation_workers: int = _setting(
        2,
        "Validation worker processes: how many documents sent by clients (/validate, submissions, forms) are "
        "parsed and checked against the shapes at the same time, each where it can be stopped.",
    )
    load_workers: int = _setting(
        0,
        "Validation processes of a checked bulk load ('tscgraph load' of N-Triples, Turtle… into the embedded store): "
        "batches of records are validated this many at a time; 0: one per core.",
    )
    validation_time_limit: float = _setting(
        20.0,
        "Seconds the parsing and SHACL validation of one document sent by a client may take; past it the worker "
        "is killed and the client gets a 503 saying so (split the document and send the parts).",
    )
    validation_queue_wait: float = _setting(
        10.0, "Seconds a document waits for a free validation worker before the client gets a 503 'busy' error."
    )
    max_input_triples: int = _setting(
        50000,
        "Most triples one document sent by a client (/validate, /submissions, a form) may hold; more gets 413 "
        "saying so.",
    )
    max_literal_length: int = _setting(
        100000,
        "Longest literal (in characters) a document sent by a client may hold; longer gets 413 saying so.",
    )
    service_allowlist: tuple = _setting(
        (),
        "SPARQL endpoints (full IRIs) that public queries may call with SERVICE; any other SERVICE "
        "is refused with 400, so the server cannot be made to reach arbitrary addresses. "
        "Comma-separated in the environment variable.",
    )
    update_tokens: tuple = _setting(
        (),
        "Hashes ('sha256:…', made by 'tscgraph token') of the bearer tokens allowed to write through "
        "SPARQL Update and the Graph Store Protocol, each with an optional scope: 'sha256:…' writes the "
        "public graphs but the ontology and the server's own; 'admin:sha256:…' ('tscgraph token --admin') "
        "writes those too; private graphs are beyond every token (graph/auth.py). None means writes are "
        "disabled. Comma-separated in the environment variable.",
    )
    editors: tuple = _setting(
        (),
        "The editors who may sign in to moderate submissions, as 'login:hash' (the hash made by "
        "'tscgraph editor-password'); none means moderation is closed. Comma-separated in the "
        "environment variable.",
    )
    secret_key: str = _setting(
        "",
        "Key that signs the editors' session cookies and the forms' CSRF tokens. Empty: a random key is "
        "made on first start and kept in 'secret-key' beside the store (mode 0600).",
    )
    rate_limit: int = _setting(
        20, "Most submissions and validations (POST) one client may send per rate_limit_window; more get 429."
    )
    rate_limit_window: float = _setting(60.0, "The window, in seconds, of rate_limit.")
    public_url: str = _setting(
        "",
        "The site's public address, e.g. 'https://chm.example.org/' (scheme, host, optional port, ending with "
        "'/'): every absolute URL the server writes (sitemap, robots.txt, VoID, SPARQL service description, "
        "feeds, Location) starts with it, never with the request's Host header. Empty: http://host:port/ of "
        "the host and port settings. When it is https, the session cookie is Secure and answers carry "
        "Strict-Transport-Security.",
    )
    trusted_proxies: int = _setting(
        0,
        "How many reverse proxies stand in front of the server: the client address (for rate limits and the "
        "request log) is read that many entries from the right of X-Forwarded-For. 0: the header is never "
        "read, the address is the connection's.",
    )
    harvest_sources: Path = _setting(
        ROOT / "harvest.toml",
        "The sources file of 'tscgraph harvest': the partner nodes to harvest, as [[source]] tables "
        "(name, kind, url, schedule, lang); see harvest.example.toml and docs/loaders.md.",
    )

    @property
    def writer_socket(self) -> Path:
        """The Unix socket the writer listens on (unless ``writer_listen`` names a TCP address): beside the store,
        or — when that path is too long for a socket (108 bytes) — in a folder of this user's only, under the
        temporary directory, named by a digest of the store's path."""
        beside = self.store_dir.with_name(self.store_dir.name + "-writer.sock")
        if len(str(beside.resolve())) < 100:
            return beside
        import hashlib
        import tempfile

        folder = Path(tempfile.gettempdir()) / f"tscgraph-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o077:
            raise SettingsError(f"{folder} is not this user's own folder: cannot place the writer's socket there")
        digest = hashlib.sha256(str(self.store_dir.resolve()).encode()).hexdigest()[:20]
        return folder / f"{digest}.sock"

    @property
    def secret_key_file(self) -> Path:
        return self.store_dir.with_name(self.store_dir.name + "-secret-key")

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages pages are offered in: English (the source) and every folder of .po catalogues."""
        found = sorted(
            d.name for d in self.translations_dir.glob("*") if d.is_dir() and any(d.glob("*.po"))
        ) if self.translations_dir.is_dir() else []
        return (SOURCE_LANG, *[lang for lang in found if lang != SOURCE_LANG])

    @property
    def dumps_dir(self) -> Path:
        """Where the server keeps the compressed data dumps it publishes (rebuilt when the data change)."""
        return self.store_dir.with_name(self.store_dir.name + "-dumps")

    @property
    def snapshots_dir(self) -> Path:
        """Where the server keeps the read-only snapshots its query workers read."""
        return self.store_dir.with_name(self.store_dir.name + "-snapshots")

    @property
    def answers_dir(self) -> Path:
        """Where the readers of this host leave the answers they computed for each other (the newest public
        state's and the one before: :mod:`serving.sharedanswers`)."""
        return self.store_dir.with_name(self.store_dir.name + "-answers")

    @property
    def graph_base(self) -> str:
        return self.base_iri + "graph/"

    @property
    def ontology_graph(self) -> str:
        """Named graph holding the ontology and the reference vocabularies."""
        return self.graph_base + "ontology"

    @property
    def local_graph(self) -> str:
        """Named graph holding the clearing-house's curated data."""
        return self.graph_base + "local"

    @property
    def log_graph(self) -> str:
        """Named graph of the record log: when each record entered the local graph (graph.recordlog)."""
        return self.graph_base + "log"

    @property
    def moderation_graph(self) -> str:
        """Private named graph of the moderation records: submissions, submitters, editors' decisions."""
        return self.graph_base + "moderation"

    @property
    def thesaurus_graph(self) -> str:
        """Private named graph of the labels last taken from the CBD thesaurus, re-applied to the ontology
        graph whenever 'tscgraph setup' installs the shipped vocabularies again (kept apart, not public:
        the public reads them in the ontology graph, once)."""
        return self.graph_base + "thesaurus"

    @property
    def changes_graph(self) -> str:
        """Named graph of the change feeds: one ActivityStreams activity per record created, updated or
        deleted in a graph that has a feed (graph.changes)."""
        return self.graph_base + "changes"

    @property
    def summary_graph(self) -> str:
        """Public named graph of the derived summaries that canned queries read (projects' actors, each actor's
        partnerships and projects), refreshed by every write (graph.summaries)."""
        return self.graph_base + "summary"

    @property
    def sessions_graph(self) -> str:
        """Private named graph of the editors' sessions: one record per signed-in session, named by a hash
        of its id (graph.sessions)."""
        return self.graph_base + "sessions"

    @property
    def site_url(self) -> str:
        """The base of every absolute URL the server writes: ``public_url``, else ``http://host:port/``."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def is_public_graph(self, graph_iri: str) -> bool:
        """Whether the public may read ``graph_iri``: everything but pending submissions, moderation,
        the harvest quarantine (records of partner nodes that violate the shapes, with their reports),
        the CBD thesaurus labels kept for re-applying (the public reads them in the ontology graph) and
        the editors' sessions."""
        return not (graph_iri.startswith(self.graph_base + "submission/") or graph_iri == self.moderation_graph
                    or graph_iri.startswith(self.graph_base + "quarantine/") or graph_iri == self.thesaurus_graph
                    or graph_iri == self.sessions_graph)

    def submission_graph(self, submission_id: str) -> str:
        return self.graph_base + "submission/" + submission_id

    def harvest_graph(self, source: str) -> str:
        return self.graph_base + "harvest/" + source


def setting_help() -> dict[str, str]:
    """Name → help text of every setting (for docs and the docs test)."""
    return {f.name: f.metadata.get("help", "") for f in fields(Settings)}


def _coerce(name: str, raw: Any) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind in ("Path", Path):
            return Path(raw).expanduser()
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
        if kind in ("tuple", tuple):
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(str(item).strip() for item in items if str(item).strip())
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name}: cannot use {raw!r} ({exc})") from None


def load_settings(
    config_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, file, environment and overrides (in that order)."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read configuration file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"configuration file {path} is not valid TOML: {exc}") from None
        unknown = set(data) - names
        if unknown:
            raise SettingsError(f"configuration file {path}: unknown setting(s) {', '.join(sorted(unknown))}")
        values.update(data)
    for name in names:
        if ENV_PREFIX + name.upper() in environ:
            values[name] = environ[ENV_PREFIX + name.upper()]
    for name, value in (overrides or {}).items():
        if name not in names:
            raise SettingsError(f"unknown setting {name}")
        if value is not None:
            values[name] = value
    settings = Settings(**{name: _coerce(name, value) for name, value in values.items()})
    if not settings.base_iri.endswith("/") or "://" not in settings.base_iri:
        raise SettingsError(f"base_iri must be an absolute IRI ending with '/', got {settings.base_iri!r}")
    for editor in settings.editors:
        if not re.fullmatch(r"[A-Za-z0-9._@-]+:\S+\$\S+", editor):
            raise SettingsError("editors holds 'login:hash' entries (see 'tscgraph editor-password'), not passwords")
    for name in ("query_time_limit", "max_result_rows", "max_request_bytes", "query_workers", "query_queue_wait",
                 "rate_limit", "rate_limit_window", "change_page_size", "max_client_jobs", "validation_workers",
                 "validation_time_limit", "validation_queue_wait", "max_input_triples", "max_literal_length",
                 "query_express_time_limit", "server_threads"):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{name} must be positive, got {getattr(settings, name)!r}")
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = parts._replace(scheme="")
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path != "/" or parts.query
                or parts.fragment or "@" in parts.netloc or any(c.isspace() for c in settings.public_url)):
            raise SettingsError("public_url is the site's address, like 'https://chm.example.org/' (http or https, "
                                f"a host, an optional port, nothing after the final '/'), got {settings.public_url!r}")
    if settings.trusted_proxies < 0:
        raise SettingsError(f"trusted_proxies counts proxies: 0 or more, got {settings.trusted_proxies!r}")
    for name in ("web_processes", "query_express_workers", "response_cache_bytes", "load_workers", "cache_stale_seconds"):
        if getattr(settings, name) < 0:
            raise SettingsError(f"{name} must be 0 or more, got {getattr(settings, name)!r}")
    if not 0 <= settings.reader_nice <= 19:
        raise SettingsError(f"reader_nice is a nice increment from 0 to 19, got {settings.reader_nice!r}")
    if settings.writer_url and not re.fullmatch(r"https?://[^/\s]+/?", settings.writer_url):
        raise SettingsError(f"writer_url is empty or 'http://host:port', got {settings.writer_url!r}")
    if settings.writer_listen and not re.fullmatch(r"[^:\s/]*:\d{1,5}", settings.writer_listen):
        raise SettingsError(f"writer_listen is empty or 'host:port', got {settings.writer_listen!r}")
    for token_hash in settings.update_tokens:
        if not re.fullmatch(r"(?:(?:write|admin):)?sha256:[0-9a-f]{64}", token_hash):
            raise SettingsError("update_tokens holds token hashes like 'sha256:<64 hex digits>' or, for the admin "
                                "scope, 'admin:sha256:<64 hex digits>' (see 'tscgraph token'), not tokens")
    if settings.default_lang not in settings.languages:
        raise SettingsError(
            f"default_lang must be one of the languages with messages ({', '.join(settings.languages)}), "
            f"got {settings.default_lang!r}"
        )
    return settings
