"""The ``tscgraph`` command.

Exit codes (as pySHACL's): 0 success; 1 the data violates the shapes (nothing written);
2 unreadable input, bad arguments or an unusable store (nothing written).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from graph import __version__
from graph.loading import FileCheck, LoadRefused, check_files, load_files, setup_store, stderr_progress, write_checked
from graph.namespaces import namespace_manager
from graph.queries import QueryCatalogueError, load_catalogue, resolve_query
from graph.results import to_csv, to_json, to_table, to_tsv
from graph.settings import Settings, SettingsError, load_settings
from graph.stats import store_stats
from graph.store import QuerySyntaxError, StoreError, open_store
from graph.validation import Validator, merge_reports, read_turtle_dir

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT = 0, 1, 2


class CliError(Exception):
    """Reported as ``tscgraph: <message>`` with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tscgraph",
        description="Linked-data knowledge graph for technical and scientific cooperation under the CBD.",
    )
    parser.add_argument("--version", action="version", version=f"tscgraph {__version__}")
    parser.add_argument("--config", help="TOML configuration file (default: $TSCGRAPH_CONFIG)")
    parser.add_argument("--store", dest="store_dir", help="store directory (setting store_dir)")
    parser.add_argument("--base", dest="base_iri", help="base IRI of local records (setting base_iri)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("setup", help="install the ontology and vocabularies; load the bundled data into an empty store")
    p.add_argument("--reload-data", action="store_true", help="replace the local graph with the bundled data")

    p = sub.add_parser("load", help="validate RDF files, then load them all in one transaction (or nothing)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--graph", help="target named graph IRI (default: the local graph)")
    p.add_argument("--replace", action="store_true", help="replace the target graph instead of adding to it")
    p.add_argument("--no-validate", action="store_true", help="skip SHACL validation (trusted bulk dumps only)")
    _report_options(p)

    p = sub.add_parser("import", help="turn a spreadsheet, schema.org JSON-LD, IATI XML or RDF file into records, "
                                      "validate them, then load them in one transaction (or nothing)")
    p.add_argument("kind", choices=sorted(IMPORTERS), help="what the source is")
    p.add_argument("source", type=Path, metavar="FILE")
    p.add_argument("--mapping", type=Path, help="column mapping file (spreadsheet; see loaders/mappings/)")
    p.add_argument("--source-lang", default="en", help="language of untagged text (schemaorg; default en)")
    p.add_argument("--example", action="store_true", help="mark every record as an example (iati; illustrative files)")
    p.add_argument("--graph", help="target named graph IRI (default: the local graph)")
    p.add_argument("--check", action="store_true", help="report what the source would give; write nothing")
    p.add_argument("--allow-problems", action="store_true",
                   help="load what could be read even when some cells or elements could not (they are reported)")
    _report_options(p)

    p = sub.add_parser("refresh-labels", help="put the CBD thesaurus's own en/fr/es titles of the GBF goals, targets "
                                              "and headline indicators in place of ours (from FILEs, or fetched)")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="thesaurus answers (JSON) to read instead of "
                                                                       "fetching them from the CBD")
    p.add_argument("--domain", action="append", dest="domains", metavar="DOMAIN",
                   help="thesaurus domain to fetch (repeatable; default: GBF-GOALS, GBF-TARGETS, GBF-HEADLINE-INDICATORS)")
    p.add_argument("--check", action="store_true", help="report what would change; write nothing")
    p.add_argument("--allow-problems", action="store_true",
                   help="put in place what could be read even when some terms could not (they are reported)")

    p = sub.add_parser("harvest", help="harvest the partner nodes of the sources file, each into its own named graph "
                                       "(replaced in one transaction), quarantining records that violate the shapes")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="names of the sources to harvest (default: all)")
    p.add_argument("--sources-file", type=Path, help="the sources file (default: setting harvest_sources)")

    p = sub.add_parser("validate", help="validate RDF files against the shapes (writes nothing)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _report_options(p)

    p = sub.add_parser("query", help="run a named query or a .rq file")
    p.add_argument("query", metavar="QUERY_FILE|NAME")
    p.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="bind a query parameter")

    sub.add_parser("queries", help="list the named queries")

    p = sub.add_parser("dump", help="write every quad of the store")
    p.add_argument("--format", choices=["nquads", "trig"], default="nquads")
    p.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")

    p = sub.add_parser("backup", help="write every quad of the store, private graphs included, to a gzip N-Quads "
                                      "file — online: from the running server's newest snapshot when it holds the store")
    p.add_argument("file", type=Path, metavar="FILE", help="the backup file to write (e.g. backup.nq.gz)")

    p = sub.add_parser("restore", help="make the store hold exactly a backup's quads, in one transaction "
                                       "(stop the server first)")
    p.add_argument("file", type=Path, metavar="FILE", help="a file written by 'tscgraph backup'")
    p.add_argument("--replace", action="store_true", help="restore over a store that already holds data")

    sub.add_parser("stats", help="triples per named graph and instances per class")

    p = sub.add_parser("token", help="make a bearer token for writes, and the line to put in update_tokens")
    p.add_argument("--admin", action="store_true",
                   help="the admin scope: may also change the ontology and the graphs the server keeps itself "
                        "(record log, validation reports, change feeds, harvest log)")

    p = sub.add_parser("editor-password", help="hash an editor's password: prints the 'login:hash' to put in editors")
    p.add_argument("login", help="the editor's login (letters, digits, . _ @ -)")

    p = sub.add_parser("check-endpoint", help="check that a SPARQL endpoint is ready to be harvested (reads only)")
    p.add_argument("url", help="the endpoint's URL (http or https)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per request (default 10)")

    p = sub.add_parser("serve", help="run the web server: the writer and the reader processes (granian)")
    p.add_argument("--host", help="address to listen on (setting host)")
    p.add_argument("--port", type=int, help="port to listen on (setting port)")
    p.add_argument("--role", choices=("all", "reader", "writer"), default="all",
                   help="all (default): the writer and the readers; reader: readers only, handing writes to "
                        "writer_url; writer: the writer only (see docs/backends.md)")
    return parser


def _report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json", "turtle"], default="text", help="report format")
    p.add_argument("--lang", choices=["en", "fr"], help="language of the messages (default: setting default_lang)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            args.config,
            overrides={
                "store_dir": args.store_dir,
                "base_iri": args.base_iri,
                "host": getattr(args, "host", None),
                "port": getattr(args, "port", None),
            },
        )
        return COMMANDS[args.command](args, settings)
    except (CliError, SettingsError, StoreError, QueryCatalogueError) as exc:
        print(f"tscgraph: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK


def _validator(settings: Settings) -> Validator:
    return Validator.from_paths(settings.shapes_dir, settings.ontology_dir)


def _print_report(checks, args, settings: Settings) -> None:
    lang = args.lang or settings.default_lang
    reports = [c.report for c in checks if c.report is not None]
    if args.format == "json":
        import json

        print(json.dumps(
            {
                "conforms": all(c.ok for c in checks),
                "files": [
                    {"file": str(c.path), "error": c.error, **(c.report.to_dict(lang) if c.report else {})}
                    for c in checks
                ],
            },
            ensure_ascii=False,
            indent=2,
        ))
    elif args.format == "turtle":
        for c in checks:
            if c.error:
                print(f"# {c.error}", file=sys.stderr)
        print(merge_reports(reports).to_turtle() if reports else "")
    else:
        for c in checks:
            print(f"{c.path}: {c.error}" if c.error else c.report.to_text(lang, label=str(c.path)) if c.report else "")


def cmd_validate(args, settings: Settings) -> int:
    checks = check_files(args.files, settings.base_iri, _validator(settings))
    _print_report(checks, args, settings)
    if any(c.error for c in checks):
        return EXIT_INPUT
    return EXIT_OK if all(c.ok for c in checks) else EXIT_VIOLATIONS


def cmd_load(args, settings: Settings) -> int:
    validator = None if args.no_validate else _validator(settings)
    if validator is None:
        print("tscgraph: warning: loading without validation", file=sys.stderr)
    graph = args.graph or settings.local_graph
    with open_store(settings) as store:
        try:
            written, checks = load_files(
                store, args.files, graph, base_iri=settings.base_iri, validator=validator,
                replace=args.replace, progress=stderr_progress, settings=settings,
            )
        except LoadRefused as refused:
            _print_report(refused.checks, args, settings)
            print("tscgraph: nothing was written", file=sys.stderr)
            return refused.exit_code
    if args.format == "text":
        for c in checks:
            if c.report is not None and c.report.results:
                print(c.report.to_text(args.lang or settings.default_lang, label=str(c.path)))
    print(f"loaded {written} triples from {len(checks)} file(s) into <{graph}>", file=sys.stderr)
    return EXIT_OK


def _import_spreadsheet(args, settings: Settings):
    from loaders.spreadsheet import load_spreadsheet

    if args.mapping is None:
        raise ValueError("a spreadsheet needs --mapping FILE (examples in loaders/mappings/)")
    return load_spreadsheet(args.source, args.mapping, settings.base_iri)


def _import_schemaorg(args, settings: Settings):
    from loaders.schemaorg import load_schemaorg_file

    return load_schemaorg_file(args.source, settings.base_iri, args.source_lang)


def _import_iati(args, settings: Settings):
    from loaders.iati import read_iati

    return read_iati(args.source, base_iri=settings.base_iri, ontology_graph=read_turtle_dir(settings.ontology_dir),
                     example=args.example)


def _import_rdf(args, settings: Settings):
    from loaders.rdf import load_rdf

    return load_rdf(args.source, settings.base_iri)


#: ``tscgraph import KIND``: each kind's loader (loaders/), called with the parsed arguments.
IMPORTERS = {"spreadsheet": _import_spreadsheet, "schemaorg": _import_schemaorg, "iati": _import_iati, "rdf": _import_rdf}


def cmd_import(args, settings: Settings) -> int:
    """Loader → its problems → validation → one transaction, the same door as ``load`` (write_checked)."""
    try:
        loaded = IMPORTERS[args.kind](args, settings)
    except (OSError, ValueError) as exc:
        print(f"tscgraph: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for problem in loaded.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(f"{args.source}: {loaded.records} record(s), {len(loaded.graph)} triples, {len(loaded.problems)} problem(s)",
          file=sys.stderr)
    if loaded.problems and not args.allow_problems and not args.check:
        print("tscgraph: nothing was written: fix the source, or load what could be read with --allow-problems",
              file=sys.stderr)
        return EXIT_VIOLATIONS
    check = FileCheck(args.source, graph=loaded.graph, report=_validator(settings).validate(loaded.graph))
    if args.check or not check.ok:
        _print_report([check], args, settings)
        if not check.ok:
            print("tscgraph: nothing was written", file=sys.stderr)
        return EXIT_OK if check.ok and not loaded.problems else EXIT_VIOLATIONS
    with open_store(settings) as store:
        written = write_checked(store, [check], args.graph or settings.local_graph, replace_records=True,
                                progress=stderr_progress, settings=settings)
    print(f"tscgraph: {written} triples written", file=sys.stderr)
    return EXIT_OK


def _thesaurus_answers(args) -> list[tuple[str, bytes]]:
    """(source, bytes) of each answer: the files, else the domains fetched from the CBD."""
    from loaders.thesaurus import DEFAULT_DOMAINS, fetch_thesaurus

    if args.files:
        if args.domains:
            raise CliError("give thesaurus files or --domain, not both")
        try:
            return [(str(path), path.read_bytes()) for path in args.files]
        except OSError as exc:
            raise CliError(f"cannot read {exc.filename}: {exc.strerror}; nothing was written") from None
    answers = []
    for domain in args.domains or DEFAULT_DOMAINS:
        try:
            answers.append((domain, fetch_thesaurus(domain)))
        except ValueError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"the CBD thesaurus is unreachable ({domain}: {exc}); nothing was written") from None
    return answers


def cmd_refresh_labels(args, settings: Settings) -> int:
    """Answers → labels and problems (loaders/thesaurus.py) → put in place in one transaction (graph/vocabularies.py).

    As ``import``: problems with terms stop the write unless ``--allow-problems`` (exit 1); an answer that is
    not a JSON array of terms is exit 2. Our concepts an answer lacks are only reported: they keep their labels.
    """
    from rdflib import Graph

    from graph.vocabularies import apply_labels, changed_concepts, refresh_from_thesaurus, replace_labels
    from loaders.thesaurus import load_thesaurus

    answers = _thesaurus_answers(args)
    with open_store(settings) as store:
        ontology = store.read_graph(settings.ontology_graph)
        if not len(ontology):
            raise CliError("the store has no ontology graph: run 'tscgraph setup' first; nothing was written")
        labels, problems, missing, records = Graph(), [], [], 0
        for source, data in answers:
            loaded = load_thesaurus(data, source, ontology)
            labels = replace_labels(labels, loaded.graph)  # a later answer wins for the same concept and language
            records += loaded.records
            for problem in loaded.problems:
                (missing if problem.where == "answer" else problems).append(problem)
        for problem in problems + missing:
            print(f"problem: {problem}", file=sys.stderr)
        if any(p.where == "document" for p in problems):
            print("tscgraph: nothing was written: an answer is not a JSON array of thesaurus terms", file=sys.stderr)
            return EXIT_INPUT
        languages = sorted({label.language for label in labels.objects() if getattr(label, "language", None)})
        print(f"{records} term(s) matched with labels in {', '.join(languages) or 'no language'}; "
              f"{len(problems)} problem(s); {len(missing)} of our concept(s) not in the answer (their labels are "
              "left as they are; this does not stop the write)", file=sys.stderr)
        if problems and not args.allow_problems and not args.check:
            print("tscgraph: nothing was written: fix the answer, or put in place what could be read with "
                  "--allow-problems", file=sys.stderr)
            return EXIT_VIOLATIONS
        if args.check:
            changed = len(changed_concepts(ontology, apply_labels(ontology, labels), labels))
            print(f"tscgraph: {changed} concept(s) would change; nothing was written (--check)", file=sys.stderr)
            return EXIT_VIOLATIONS if problems else EXIT_OK
        changed = refresh_from_thesaurus(store, settings, labels)
    print(f"tscgraph: {changed} concept(s) changed (labels in {', '.join(languages)}), kept in <{settings.thesaurus_graph}> "
          "for the next setup", file=sys.stderr)
    return EXIT_OK


def cmd_harvest(args, settings: Settings) -> int:
    """Each source in its own transaction; exit 2 when a source failed (its previous harvest is kept)."""
    from loaders.harvest import harvest, read_sources

    path = args.sources_file or settings.harvest_sources
    try:
        sources = read_sources(path)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    unknown = set(args.sources) - {s.name for s in sources}
    if unknown:
        raise CliError(f"no source named {', '.join(sorted(unknown))} in {path}")
    chosen = [s for s in sources if not args.sources or s.name in args.sources]
    if not chosen:
        raise CliError(f"{path} lists no source")
    with open_store(settings) as store:
        runs = harvest(store, settings, chosen, _validator(settings), progress=stderr_progress)
    for run in runs:
        detail = run.error if run.outcome == "failed" else (
            f"{run.records} record(s), {run.triples} triples, {run.quarantined} quarantined; "
            f"+{run.added} -{run.removed} ~{run.changed}")
        print(f"{run.source.name}: {run.outcome}: {detail}")
    return EXIT_INPUT if any(r.outcome == "failed" for r in runs) else EXIT_OK


def cmd_setup(args, settings: Settings) -> int:
    with open_store(settings) as store:
        try:
            setup_store(store, settings, _validator(settings), reload_data=args.reload_data, progress=stderr_progress)
        except LoadRefused as refused:
            for c in refused.checks:
                if not c.ok:
                    print(c.error or c.report.to_text(settings.default_lang, label=str(c.path)), file=sys.stderr)  # type: ignore[union-attr]
            print("tscgraph: the bundled data was not loaded", file=sys.stderr)
            return refused.exit_code
        print(f"store ready at {settings.store_url or settings.store_dir}: {store.count()} quads", file=sys.stderr)
    return EXIT_OK


def cmd_query(args, settings: Settings) -> int:
    catalogue = load_catalogue(settings.queries_dir, settings.base_iri)
    try:
        named = resolve_query(catalogue, args.query)
    except OSError as exc:
        raise CliError(f"cannot read {args.query}: {exc.strerror}") from None
    values = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--param needs NAME=VALUE, got {item!r}")
        values[name] = value
    with open_store(settings) as store:
        try:
            result = store.query(named.text_for(values), bindings=named.bindings(values))
        except QuerySyntaxError as exc:
            raise CliError(f"{named.path}: SPARQL syntax error: {exc}") from None
        if result.kind == "graph":
            from graph.namespaces import bind_prefixes

            fmt = {"json": "json-ld", "csv": "nt", "tsv": "nt"}.get(args.format, "turtle")
            sys.stdout.write(bind_prefixes(result.graph()).serialize(format=fmt))
            return EXIT_OK
        if result.kind == "ask":
            print(to_json(result) if args.format == "json" else ("true" if result.boolean else "false"))
            return EXIT_OK
        if args.format == "json":
            sys.stdout.write(to_json(result) + "\n")
        elif args.format == "csv":
            sys.stdout.write(to_csv(result.variables, result.rows))
        elif args.format == "tsv":
            sys.stdout.write(to_tsv(result.variables, result.rows))
        else:
            print(to_table(result.variables, list(result.rows), namespace_manager()))
    return EXIT_OK


def cmd_queries(args, settings: Settings) -> int:
    for q in load_catalogue(settings.queries_dir, settings.base_iri).values():
        params = ", ".join(f"{p.name}={p.default}" for p in q.parameters)
        print(f"{q.name}: {q.summary}" + (f" [{params}]" if params else ""))
    return EXIT_OK


def cmd_dump(args, settings: Settings) -> int:
    with open_store(settings) as store:
        if args.output:
            tmp = args.output.with_name(args.output.name + ".partial")
            try:
                with open(tmp, "wb") as out:
                    store.export(out, args.format)
                tmp.replace(args.output)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
        else:
            store.export(sys.stdout.buffer, args.format)
            sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_backup(args, settings: Settings) -> int:
    from graph.backup import BackupError, backup

    try:
        done = backup(settings, args.file, progress=lambda m: print(m, file=sys.stderr))
    except BackupError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.file}: {exc.strerror or exc}") from None
    print(f"backed up {done.quads} quads in {done.graphs} graphs from the {done.source} to {args.file}", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args, settings: Settings) -> int:
    from graph.backup import BackupError, restore

    try:
        done = restore(settings, args.file, replace=args.replace, progress=lambda m: print(m, file=sys.stderr))
    except BackupError as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    print(f"restored {done.quads} quads in {done.graphs} graphs from {args.file}", file=sys.stderr)
    return EXIT_OK


def cmd_stats(args, settings: Settings) -> int:
    with open_store(settings) as store:
        stats = store_stats(store)
    print(to_table(["graph", "triples"], stats.graphs, namespace_manager()))
    print()
    print(to_table(["class", "instances"], stats.classes, namespace_manager()))
    return EXIT_OK


def cmd_token(args, settings: Settings) -> int:
    from graph.auth import Scope, new_token, token_entry

    token = new_token()
    scope = Scope.ADMIN if args.admin else Scope.WRITE
    print(f"token (give it to the writer, keep it secret): {token}")
    print(f"hash (add it to the update_tokens setting):     {token_entry(token, scope)}")
    print(f"scope: {scope.value} — " + ("every public graph, the ontology and the server's own graphs included"
                                        if args.admin else "the public graphs but the ontology and the server's "
                                        "own; 'tscgraph token --admin' for those") + "; never a private graph")
    return EXIT_OK


def cmd_editor_password(args, settings: Settings) -> int:
    """Ask for the password twice on a terminal, or read its first line from standard input."""
    import getpass

    from werkzeug.security import generate_password_hash

    if not re.fullmatch(r"[A-Za-z0-9._@-]+", args.login):
        raise CliError(f"a login is made of letters, digits and . _ @ -, got {args.login!r}")
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.login}: ")
        if getpass.getpass("the same password again: ") != password:
            raise CliError("the two passwords differ; nothing was made")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise CliError("the password is shorter than 8 characters; nothing was made")
    print(f"{args.login}:{generate_password_hash(password)}")
    print("add this line to the editors setting (TSCGRAPH_EDITORS, comma-separated; quote it in a shell: it holds '$')",
          file=sys.stderr)
    return EXIT_OK


def cmd_serve(args, settings: Settings) -> int:
    from serving.supervisor import run_server  # the command line is the shell: it may start the serving layer

    return run_server(settings, role=args.role)


def cmd_check_endpoint(args, settings: Settings) -> int:
    """One line per readiness check; exit 1 when any fails (the endpoint is not ready), 0 when all pass."""
    from loaders.sparql import check_endpoint

    checks = check_endpoint(args.url, args.timeout)
    for check in checks:
        print(check)
    return EXIT_OK if all(c.ok for c in checks) else EXIT_VIOLATIONS


COMMANDS = {
    "setup": cmd_setup,
    "load": cmd_load,
    "import": cmd_import,
    "harvest": cmd_harvest,
    "refresh-labels": cmd_refresh_labels,
    "validate": cmd_validate,
    "query": cmd_query,
    "queries": cmd_queries,
    "dump": cmd_dump,
    "stats": cmd_stats,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "serve": cmd_serve,
    "token": cmd_token,
    "editor-password": cmd_editor_password,
    "check-endpoint": cmd_check_endpoint,
}

if __name__ == "__main__":
    raise SystemExit(main())
