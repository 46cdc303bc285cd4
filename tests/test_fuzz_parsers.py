"""Property-based tests of every parser, in process (fast, many examples): bad input is either read or refused
with the project's own error — a :class:`~loaders.Problem`, an :class:`~graph.rdfio.RdfReadError`, a
:class:`~loaders.spreadsheet.MappingError`, a :class:`~graph.guard.ForbiddenOperation`… — never another
exception, never a hang (each call runs under :func:`within`); and no JSON-LD context, ``SERVICE`` or ``LOAD``
makes the code connect to an address (a real loopback listener counts connections). A few cases run the
real ``tscgraph`` command on broken files: exit code 2 or 1, the reason said, the store unchanged.
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Callable, TypeVar

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from graph.formats import ALL_FORMATS, NotAcceptable, negotiate, query_form
from graph.guard import ForbiddenOperation, check_query, check_update
from graph.iris import slugify
from graph.queries import QueryCatalogueError, load_catalogue
from graph.rdfio import FORMATS, RdfReadError, parse_rdf
from graph.settings import ROOT
from graph.store.oxigraph import to_ox
from graph.validation import read_turtle_dir
from loaders import Loaded, Problem
from loaders.harvest import HarvestError, Source, load_source
from loaders.iati import load_iati
from loaders.rdf import load_rdf
from loaders.resolve import default_resolver
from loaders.schemaorg import load_schemaorg
from loaders.spreadsheet import (
    MappingError,
    load_spreadsheet,
    parse_csv,
    parse_mapping,
    read_mapping,
    rows_to_graph,
    table_from_rows,
)
from loaders.thesaurus import load_thesaurus
from tests.bad_input import (
    CONTEXT_PLACES,
    SYNTAXES,
    VALID_DOCUMENTS,
    Listener,
    bad_rdf,
    deep_jsonld,
    hidden_service,
    jsonld_with_context,
    mutated,
    nasty_text,
    nested_json,
    sparql_soup,
)
from tests.conftest import BASE, TEST_DATA
from tests.hypothesis_profiles import examples
from web.facets import FacetError, parse_selection

LOADERS = TEST_DATA / "loaders"
MAPPINGS = ROOT / "loaders" / "mappings"
#: A parse of a few kilobytes takes milliseconds; far past this, the parser is stuck, not slow.
HANG = 20.0
T = TypeVar("T")


def within(fn: Callable[..., T], *args, seconds: float = HANG, **kwargs) -> T:
    """``fn(*args)``'s result or exception, in a thread (as the server runs it); a test failure if it has not
    finished after ``seconds``: a hang (the thread is a daemon, left to end on its own)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not finish within {seconds} s: it hangs on this input")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def storable(graph: Graph) -> None:
    """Every term of ``graph`` crosses the store boundary (what a write would do next)."""
    for triple in graph:
        for term in triple:
            to_ox(term)


def loaded_ok(loaded: Loaded) -> None:
    """A loader's answer: a Loaded whose problems say where and what, and whose graph can be stored."""
    assert isinstance(loaded, Loaded)
    for problem in loaded.problems:
        assert isinstance(problem, Problem) and problem.where and problem.message
    storable(loaded.graph)


@pytest.fixture(scope="module")
def listener():
    with Listener() as address:
        yield address


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return read_turtle_dir(ROOT / "ontology")


# ------------------------------------------------------------------ RDF in every syntax


@pytest.mark.parametrize("syntax", sorted(set(FORMATS.values())))  # every syntax graph.rdfio reads
@examples(150)
@given(data=st.data())
def test_parse_rdf_reads_or_refuses_with_rdf_read_error(syntax, data):
    body = data.draw(bad_rdf(syntax if syntax in VALID_DOCUMENTS else "turtle"))  # N3 mutates Turtle
    try:
        graph = within(parse_rdf, body, syntax, BASE, source="upload")
    except RdfReadError as exc:
        assert str(exc).startswith("upload: ") and len(str(exc)) > len("upload: ")
    else:
        storable(graph)


@examples(50)
@given(body=deep_jsonld())
def test_deeply_nested_json_ld_is_read_or_refused(body):
    try:
        within(parse_rdf, body, "json-ld", BASE)
    except RdfReadError as exc:
        assert "json-ld" in str(exc)


@examples(50)
@given(depth=st.sampled_from([100, 1000, 5000, 50_000]), opener=st.sampled_from(["[ <http://a/p> ", "( "]))
def test_deeply_nested_turtle_is_read_or_refused(depth, opener):
    closer = "]" if opener.startswith("[") else ")"
    body = f"<http://a/s> <http://a/p> {opener * depth}1 {closer * depth} ."
    try:
        within(parse_rdf, body, "turtle", BASE)
    except RdfReadError as exc:
        assert "turtle" in str(exc)


@pytest.mark.parametrize("syntax", list(SYNTAXES))
@examples(60)
@given(data=st.data())
def test_the_rdf_file_loader_reports_problems_never_raises(tmp_path_factory, syntax, data):
    body = data.draw(bad_rdf(syntax))
    path = tmp_path_factory.mktemp("rdf") / f"upload.{SYNTAXES[syntax][1]}"
    path.write_bytes(body)
    loaded_ok(within(load_rdf, path, BASE))


# ------------------------------------------------------------------ no JSON-LD context is ever fetched


@examples(150)
@given(data=st.data())
def test_no_remote_json_ld_context_is_ever_fetched(listener, tmp_path_factory, data):
    """Whatever reads JSON-LD — the HTTP bodies' parser, the RDF file loader, the schema.org loader, the
    harvester — refuses a remote context (at the top, in a list, by @import, scoped in a term, in an inner node)
    with its own error, and never connects to it."""
    target = data.draw(st.sampled_from(listener.addresses("/context.jsonld")))
    place = data.draw(st.sampled_from(CONTEXT_PLACES))
    body = jsonld_with_context(target, place)
    with pytest.raises(RdfReadError, match="context"):
        within(parse_rdf, body, "json-ld", BASE)
    path = tmp_path_factory.mktemp("ctx") / "doc.jsonld"
    path.write_bytes(body)
    for loaded in (within(load_rdf, path, BASE), within(load_schemaorg, body, "doc.jsonld", BASE)):
        loaded_ok(loaded)
        assert any("context" in p.message for p in loaded.problems), loaded.problems
    for kind in ("rdf", "schemaorg"):
        try:
            loaded = within(load_source, Source(name="fuzz", kind=kind, url="https://partner.example/doc.jsonld"),
                            body, _settings())
        except HarvestError as exc:
            assert "context" in str(exc)
        else:
            loaded_ok(loaded)
            assert any("context" in p.message for p in loaded.problems), loaded.problems
    assert listener.connections == [], f"a JSON-LD reader connected to {target} ({place})"


def _settings():
    from graph.settings import load_settings

    return load_settings(overrides={"base_iri": BASE}, environ={})


# ------------------------------------------------------------------ the other loaders


@examples(150)
@given(body=st.one_of(mutated((LOADERS / "iati" / "activities.xml").read_bytes()), st.binary(max_size=200),
                      st.sampled_from([(LOADERS / "iati" / "billion-laughs.xml").read_bytes(), b"", b"<iati-activities/>"])))
def test_the_iati_loader_reports_problems_never_raises(ontology, body):
    loaded_ok(within(load_iati, body, "activities.xml", base_iri=BASE, ontology_graph=ontology))


SCHEMAORG_FILES = sorted((LOADERS / "schemaorg").glob("*.jsonld"))


@examples(150)
@given(body=st.one_of(st.sampled_from(SCHEMAORG_FILES).map(Path.read_bytes).flatmap(mutated), deep_jsonld(),
                      st.binary(max_size=200)))
def test_the_schema_org_loader_reports_problems_never_raises(body):
    loaded_ok(within(load_schemaorg, body, "page.jsonld", BASE))


@examples(100)
@given(body=st.one_of(mutated((LOADERS / "thesaurus" / "gbf-targets.json").read_bytes()), deep_jsonld(),
                      st.binary(max_size=100),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                                   lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                                       st.sampled_from(["identifier", "title", "en", "fr", "x"]), inner, max_size=4)
                                   ).map(lambda v: json.dumps(v).encode())))
def test_the_thesaurus_loader_reports_problems_never_raises(ontology, body):
    loaded_ok(within(load_thesaurus, body, "answer.json", ontology))


# ------------------------------------------------------------------ spreadsheets with broken cells

#: What staff put in cells: text in any script, formulas and their error values, huge and negative numbers,
#: impossible dates, times and durations, booleans, empty cells.
CELLS = st.one_of(
    st.none(), nasty_text(60), st.booleans(), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(), st.datetimes(), st.times(), st.timedeltas(),
    st.sampled_from(["=1/0", "=SUM(A1:A3)", "#DIV/0!", "#REF!", "#N/A", "31/02/2024", "2024-02-31", "00/00/0000",
                     "1e400", "-5", "0", "150 000,50", "Target 99", "T3;;;T4", ";", "Art. 999", "yes", "peut-être",
                     "XX", "eur", "€", "http://", "https://a b", "Infinity", "NaN", "   "]),
)
MAPPING_FILES = sorted(MAPPINGS.glob("*.toml"))


def header_of(mapping_path: Path) -> list[str]:
    mapping = read_mapping(mapping_path)
    names = [mapping.id_column, *(c.name for c in mapping.columns)]
    if mapping.budget:
        names += [mapping.budget.value, mapping.budget.currency]
    return list(dict.fromkeys(names))


@pytest.mark.parametrize("mapping_path", MAPPING_FILES, ids=lambda p: p.stem)
@examples(100)
@given(data=st.data())
def test_broken_cells_are_problems_with_row_and_column(mapping_path, data):
    header = header_of(mapping_path)
    if data.draw(st.booleans()):  # a header with columns missing, renamed or doubled
        header = data.draw(st.lists(st.sampled_from(header) | nasty_text(20), min_size=0, max_size=len(header) + 2))
    rows = data.draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 2).map(tuple), max_size=6))
    table = within(table_from_rows, "sheet.xlsx", [tuple(header), *rows], strict_width=False)
    loaded = within(rows_to_graph, table, read_mapping(mapping_path), BASE, default_resolver())
    loaded_ok(loaded)
    assert all(re.match(r"row \d+", p.where) for p in loaded.problems), loaded.problems


@examples(100)
@given(text=st.one_of(st.text(max_size=300), mutated((LOADERS / "spreadsheet" / "projects.csv").read_bytes())
                      .map(lambda b: b.decode("utf-8", "replace"))))
def test_a_broken_csv_is_read_with_problems(text):
    table = within(parse_csv, text, "sheet.csv")
    loaded_ok(Loaded(Graph(), list(table.problems)))
    loaded_ok(within(rows_to_graph, table, read_mapping(MAPPINGS / "projects.toml"), BASE, default_resolver()))


@functools.cache
def valid_workbook() -> bytes:
    """One good workbook per run, made once: openpyxl stamps the time into each file it saves, and the seeds
    Hypothesis mutates must not change between the examples of a run."""
    header = header_of(MAPPINGS / "projects.toml")
    return workbook_bytes(header, [tuple("x" for _ in header)], "Projects", None)


def workbook_bytes(header: list[str], rows: list[tuple], title: str, merge: str | None) -> bytes:
    """An XLSX file made with openpyxl, as a spreadsheet program writes one."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: Cells openpyxl can write (it refuses NaN and infinite numbers, and integers past 64 bits round).
XLSX_CELLS = st.one_of(
    st.none(), nasty_text(40).map(lambda t: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", t)), st.booleans(),
    st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False), st.dates(), st.datetimes(),
    st.times(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3000)),
    st.sampled_from(["=1/0", "=SUM(A1:A3)", "=A2", "#DIV/0!", "31/02/2024", "1e400", "-5", "Target 99"]),
)


@examples(60)
@given(data=st.data())
def test_a_workbook_with_broken_cells_merged_cells_and_wrong_sheet_names_loads_with_problems(tmp_path_factory, data):
    mapping_path = MAPPINGS / "projects.toml"
    header = header_of(mapping_path)
    rows = data.draw(st.lists(st.lists(XLSX_CELLS, min_size=len(header), max_size=len(header)).map(tuple), max_size=4))
    title = data.draw(st.sampled_from(["Projects", "Sheet1", "Projets é", "x" * 31]))
    merge = data.draw(st.sampled_from([None, "A2:B3", "C1:D1", "A1:A5"]))
    folder = tmp_path_factory.mktemp("xlsx")
    path = folder / "projects.xlsx"
    path.write_bytes(workbook_bytes(header, rows, title, merge))
    wanted_sheet = data.draw(st.sampled_from([None, "Projects", "Nope", "Projets é"]))
    mapping_text = mapping_path.read_text(encoding="utf-8")
    if wanted_sheet is not None:
        mapping_text = f"sheet = {json.dumps(wanted_sheet)}\n" + mapping_text
    (folder / "mapping.toml").write_text(mapping_text, encoding="utf-8")
    loaded = within(load_spreadsheet, path, folder / "mapping.toml", BASE)
    loaded_ok(loaded)
    if wanted_sheet is not None and wanted_sheet != title:
        assert any("no such sheet" in p.message for p in loaded.problems)


@examples(75)
@given(data=st.data())
def test_a_corrupt_workbook_is_a_problem_not_a_crash(tmp_path_factory, data):
    body = data.draw(st.one_of(mutated(valid_workbook()), st.binary(max_size=300), st.sampled_from([b"", b"PK\x03\x04", _zip_of({
        "[Content_Types].xml": b"<Types/>"}), _zip_of({"xl/workbook.xml": b"<not-closed"})])))
    path = tmp_path_factory.mktemp("bad-xlsx") / "projects.xlsx"
    path.write_bytes(body)
    try:
        loaded = within(load_spreadsheet, path, MAPPINGS / "projects.toml", BASE)
    except (OSError, ValueError) as exc:  # `tscgraph import` turns these into exit 2 with the message
        assert str(exc)
    else:
        loaded_ok(loaded)


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


TOML_VALUES = st.recursive(
    st.none().map(lambda _: "") | st.booleans() | st.integers(-5, 5) | nasty_text(20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["column", "mint", "property", "kind", "lang", "scheme", "separator", "required", "value",
                         "currency", "Title", "x"]), inner, max_size=5),
    max_leaves=12,
)


@examples(200)
@given(data=st.dictionaries(st.sampled_from(["kind", "id", "columns", "budget", "delimiter", "sheet", "x"]),
                            TOML_VALUES | st.sampled_from(["project", "actor", "offer", "request"]), max_size=6))
def test_a_wrong_mapping_is_a_mapping_error(data):
    try:
        mapping = within(parse_mapping, data)
    except MappingError as exc:
        assert str(exc)
    else:
        parse_csv("a,b\n1,2\n", "sheet.csv", mapping.delimiter)


# ------------------------------------------------------------------ SPARQL: the guard, the forms, the parameters

#: A store with a few triples: on an empty one the engine skips a SERVICE joined with patterns that match nothing.
ENGINE = ox.Store()
for _object in (ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), ox.Literal("x"),
                ox.NamedNode("http://a/'"), ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))):
    ENGINE.add(ox.Quad(ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p"), _object))
@examples(500)
@given(data=st.data())
def test_no_service_the_guard_lets_through_reaches_an_address(listener, data):
    """The guard's one job: a query it accepts never makes the engine connect anywhere not allowed (the real
    engine runs every accepted query on a store of a few triples; the listener counts connections)."""
    target = data.draw(st.sampled_from(listener.addresses("/sparql")))
    query = data.draw(hidden_service(target) | sparql_soup().map(lambda t: t.replace("<http://a/>", f"<{target}>")))
    try:
        within(check_query, query, ("https://partner.example/sparql",))
    except ForbiddenOperation as exc:
        assert "SERVICE" in str(exc)
        return
    _run_quietly(lambda: ENGINE.query(query, use_default_graph_as_union=True))
    assert listener.connections == [], f"the guard let through a query that reached {target}:\n{query}"


@examples(250)
@given(data=st.data())
def test_no_load_or_service_the_guard_lets_through_in_an_update_reaches_an_address(listener, data):
    target = data.draw(st.sampled_from(listener.addresses("/data.ttl")))
    load = data.draw(st.sampled_from(["LOAD ", "load silent ", "LOAD", "LOAD #c\n"]))
    before = data.draw(st.sampled_from(["", "INSERT DATA { <http://a/#> <http://p> <http://o> } ; ",
                                        "INSERT DATA { <http://a/'> <http://p> 'x' } ; ", "# c\n",
                                        "PREFIX s: <http://www.w3.org/2004/02/skos/core#> "]))
    update = data.draw(st.sampled_from([
        f"{before}{load}<{target}>", f"{before}{load}<{target}> INTO GRAPH <http://g/>",
        f"{before}INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE<{target}> {{ ?s ?p ?o }} }}",
    ]))
    try:
        within(check_update, update, ())
    except ForbiddenOperation as exc:
        assert "LOAD" in str(exc) or "SERVICE" in str(exc)
        return
    _run_quietly(lambda: ox.Store().update(update))
    assert listener.connections == [], f"the guard let through an update that reached {target}:\n{update}"


def _run_quietly(run: Callable[[], object]) -> None:
    """Run a query or update on the real engine, in this thread (its results may not cross threads): any error
    is fine here, only connections count. Bounded: the listener closes every connection at once."""
    try:
        result = run()
        if result is not None and not isinstance(result, ox.QueryBoolean):
            list(result)  # type: ignore[call-overload]
    except (SyntaxError, OSError, ValueError, RuntimeError, TypeError):
        pass


@examples(500)
@given(text=st.one_of(sparql_soup(), st.text(max_size=200)))
def test_the_guard_and_the_query_form_never_fail_on_text(text):
    for check in (check_query, check_update):
        try:
            within(check, text, ())
        except ForbiddenOperation as exc:
            assert str(exc)
    assert within(query_form, text) in ("select", "ask", "graph")


@examples(500)
@given(form=st.sampled_from(["select", "ask", "graph"]), accept=st.one_of(st.text(max_size=60), st.sampled_from([
    "*/*", "text/html;q=0", "application/json;q=x", "text/turtle;q=1.5, */*;q=0", ";;;", "text/*", "a/b/c"])),
       fmt=st.none() | st.text(max_size=12) | st.sampled_from(sorted(ALL_FORMATS)))
def test_format_negotiation_picks_a_format_or_says_none_fits(form, accept, fmt):
    try:
        chosen = negotiate(form, parse_accept_header(accept, MIMEAccept), fmt, allow_html=True)
    except NotAcceptable as exc:
        assert str(exc)
    else:
        assert chosen.key in ALL_FORMATS


CATALOGUE = load_catalogue(ROOT / "queries")


@examples(400)
@given(name=st.sampled_from(sorted(CATALOGUE)), data=st.data())
def test_named_query_parameters_bind_to_terms_the_engine_takes_or_are_refused(name, data):
    query = CATALOGUE[name]
    values = data.draw(st.dictionaries(st.sampled_from([p.name for p in query.params] + ["nope"]),
                                       nasty_text(40), max_size=len(query.params) + 1))
    try:
        bindings = query.bindings(values)
    except QueryCatalogueError as exc:
        assert str(exc)
    else:
        for term in bindings.values():
            to_ox(term)


def _listings():
    from web.actors import ACTORS
    from web.projects import PROJECTS

    return {"projects": PROJECTS, "actors": ACTORS}


@examples(400)
@given(which=st.sampled_from(["projects", "actors"]), data=st.data())
def test_listing_parameters_make_a_selection_the_engine_takes_or_a_facet_error(which, data):
    listing = _listings()[which]
    keys = ["q", "sort", "page", "format", "lang", "x", *(f.key for f in listing.facets)]
    args = data.draw(st.dictionaries(st.sampled_from(keys), st.lists(nasty_text(40), min_size=1, max_size=3),
                                     max_size=5))
    try:
        selection = parse_selection(listing, args, BASE, allowed=("format", "lang"))
    except FacetError as exc:
        assert str(exc)
    else:
        for values in selection.chosen.values():
            for value in values:
                if isinstance(value, (URIRef, Literal, BNode)):
                    to_ox(value)


@examples(500)
@given(text=nasty_text(100))
def test_slugs_are_always_safe_path_segments(text):
    slug = slugify(text)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug), slug
    assert len(slug) <= 48
    to_ox(URIRef(BASE + "id/project/" + slug))


def test_helpers_cover_every_syntax_and_every_file_ending():
    """Guard the fuzz set itself: every syntax the server reads has valid seeds to mutate."""
    assert set(VALID_DOCUMENTS) | {"n3"} == set(FORMATS.values())
    assert json.loads(nested_json(3, "objects")) == {"http://a/p": {"http://a/p": {"http://a/p": "leaf"}}}


# ------------------------------------------------------------------ the command line on broken files


def test_the_cli_refuses_broken_files_with_the_reason_and_writes_nothing(run_cli, tmp_path, listener):
    """``tscgraph import`` and ``load`` of the bad input the properties above make: exit 1 (problems) or 2
    (unreadable), the reason said, no traceback, no connection, and the store as it was."""
    assert run_cli("setup").returncode == 0
    before = run_cli("dump").stdout
    corrupt = tmp_path / "projects.xlsx"
    corrupt.write_bytes(valid_workbook()[:2000])
    bad_mapping = tmp_path / "mapping.toml"
    bad_mapping.write_text('kind = "project"\n[id]\ncolumn = "Title (en)"\n[columns]\n"Title (en)" = 3\n', encoding="utf-8")
    (tmp_path / "deep.jsonld").write_bytes(nested_json(5000, "objects"))
    (tmp_path / "remote.jsonld").write_bytes(jsonld_with_context(f"http://127.0.0.1:{listener.port}/ctx", "import"))
    (tmp_path / "broken.ttl").write_bytes(VALID_DOCUMENTS["turtle"][:700] + b" <http://a/ b> .")
    cases = [
        (("import", "spreadsheet", corrupt, "--mapping", MAPPINGS / "projects.toml"), 1, "not a readable XLSX workbook"),
        (("import", "spreadsheet", LOADERS / "spreadsheet" / "projects.csv", "--mapping", bad_mapping), 2, "must be a table"),
        (("import", "schemaorg", tmp_path / "deep.jsonld"), 1, "nested too deeply"),
        (("import", "rdf", tmp_path / "remote.jsonld"), 1, "context"),
        (("load", tmp_path / "remote.jsonld"), 2, "context"),
        (("load", tmp_path / "broken.ttl"), 2, "not valid turtle"),
    ]
    for args, code, reason in cases:  # `load` prints its report (the reason too) on stdout, as `validate` does
        proc = run_cli(*args)
        said = proc.stderr if args[0] == "import" else proc.stdout + proc.stderr
        assert proc.returncode == code and reason in said, (args, proc.returncode, said[-800:])
        assert "Traceback" not in proc.stderr, proc.stderr
    assert run_cli("dump").stdout == before
    assert listener.connections == []
