"""Spreadsheets (CSV, XLSX) as CHM staff keep them, turned into records by a declarative mapping.

A mapping file (TOML, documented in docs/loaders.md, examples in ``loaders/mappings/``) says which
kind of record a row is, which column gives its IRI, and for each column the property, the kind of
value and how to split a multi-valued cell. Turning rows into triples (:func:`rows_to_graph`) is pure;
reading the file (:func:`read_csv`, :func:`read_xlsx`) is the thin shell around it.

Nothing is dropped silently: a cell that cannot be read or resolved is a :class:`~loaders.Problem`
("row N, column 'X'") and the rest of its row is still loaded; a row that cannot make a record (wrong
number of cells, no identifier, an empty required cell, an identifier already used) is a problem and
the row is skipped. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable, Sequence

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from graph.iris import is_iri, slugify
from graph.namespaces import PREFIXES, SCHEMA, TSC, bind_prefixes
from loaders import Loaded, Problem
from loaders.resolve import SCHEMES, Resolver, default_resolver, normalise

#: Record kinds a mapping may name: the class of the record and the segment of its IRI.
RECORD_KINDS: dict[str, tuple[URIRef, str]] = {
    "project": (TSC.Project, "project"),
    "actor": (TSC.Actor, "actor"),
    "offer": (TSC.CooperationOffer, "offer"),
    "request": (TSC.CooperationRequest, "request"),
}
VALUE_KINDS = ("text", "string", "language", "date", "decimal", "boolean", "iri", "concept", "actor")
TRUE_WORDS = {"true", "yes", "y", "x", "1", "oui", "vrai"}
FALSE_WORDS = {"false", "no", "n", "0", "non", "faux"}

Cell = str | int | float | Decimal | date | datetime | bool | None


class MappingError(ValueError):
    """The mapping file itself is wrong (a person must fix it before any row can be read)."""


@dataclass(frozen=True)
class Column:
    """How one column becomes statements about the row's record."""

    name: str
    property: URIRef
    kind: str
    lang: str | None = None
    scheme: str | None = None
    separator: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Budget:
    """Two columns (amount, currency) that make one ``schema:MonetaryAmount``."""

    value: str
    currency: str
    property: URIRef = TSC.budget


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file."""

    kind: str
    id_column: str
    id_is_slug: bool          # True: the id column is used as it is; False: it is slugified
    columns: tuple[Column, ...]
    budget: Budget | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def record_class(self) -> URIRef:
        return RECORD_KINDS[self.kind][0]

    def record_iri(self, base_iri: str, slug: str) -> URIRef:
        return URIRef(f"{base_iri}id/{RECORD_KINDS[self.kind][1]}/{slug}")


@dataclass(frozen=True)
class Table:
    """What a sheet holds: its header and its rows, each with the number a spreadsheet shows."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Cell, ...]], ...]
    problems: tuple[Problem, ...] = ()


# ------------------------------------------------------------------ the I/O shell

def load_spreadsheet(path: Path | str, mapping_path: Path | str, base_iri: str, *,
                     actors: Graph | None = None, resolver: Resolver | None = None) -> Loaded:
    """Load a CSV or XLSX file (by its suffix) with a mapping file into records under ``base_iri``.

    ``actors``: a graph holding the actors that actor-reference cells may name (the ``Loaded.graph``
    of an actors sheet, the local graph…); unknown names are then reported. Without it, names are
    turned into actor IRIs by the slug rule, unchecked.
    """
    path = Path(path)
    mapping = read_mapping(mapping_path)
    table = read_xlsx(path, mapping.sheet) if path.suffix.lower() in (".xlsx", ".xlsm") else read_csv(path, mapping.delimiter)
    return rows_to_graph(table, mapping, base_iri, resolver or default_resolver(), actors)


def read_mapping(path: Path | str) -> Mapping:
    with open(path, "rb") as f:
        return parse_mapping(tomllib.load(f))


def read_csv(path: Path, delimiter: str | None = None) -> Table:
    """A UTF-8 CSV (a byte-order mark is skipped), its delimiter given or sniffed among , ; tab."""
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return Table(source, (), (), (Problem(source, f"byte {e.start}", "the file is not UTF-8 text; save it as CSV UTF-8"),))
    return parse_csv(text, source, delimiter)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    """The named sheet (else the first) of a workbook; cached values, not formulas. A file that is not a
    workbook (damaged, truncated, another format renamed) is a problem, like a CSV that is not UTF-8."""
    from openpyxl import load_workbook  # only needed for workbooks

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            if sheet is not None and sheet not in workbook.sheetnames:
                return Table(str(path), (), (), (Problem(str(path), f"sheet '{sheet}'", "the workbook has no such sheet"),))
            worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
            rows = [tuple(r) for r in worksheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds (BadZipFile, KeyError, ParseError, …)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return Table(str(path), (), (), (Problem(str(path), "file", f"not a readable XLSX workbook: {reason}"),))
    return table_from_rows(str(path), rows, strict_width=False)


# ------------------------------------------------------------------ pure core

def parse_csv(text: str, source: str, delimiter: str | None = None) -> Table:
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    rows = [tuple(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return table_from_rows(source, rows, strict_width=True)


def table_from_rows(source: str, rows: Sequence[tuple[Cell, ...]], strict_width: bool) -> Table:
    """Header and numbered rows; blank rows are passed over. In a CSV a row whose number of cells
    differs from the header's is malformed (a stray delimiter shifts every later cell), so it is
    reported and skipped; a workbook has no such failure, its rows are cut or padded to the header."""
    if not rows:
        return Table(source, (), (), (Problem(source, "row 1", "the file is empty: no header row"),))
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    problems: list[Problem] = []
    out: list[tuple[int, tuple[Cell, ...]]] = []
    for number, row in enumerate(rows[1:], start=2):
        if all(_blank(c) for c in row):
            continue
        if len(row) != len(header):
            if strict_width:
                problems.append(Problem(source, f"row {number}",
                                        f"the row has {len(row)} cells where the header has {len(header)}; row skipped"))
                continue
            if any(not _blank(c) for c in row[len(header):]):
                problems.append(Problem(source, f"row {number}", "cells beyond the last header column are ignored"))
            row = tuple(row[: len(header)]) + (None,) * (len(header) - len(row))
        out.append((number, tuple(row)))
    return Table(source, tuple(header), tuple(out), tuple(problems))


def parse_mapping(data: dict) -> Mapping:
    """Check and type a mapping file's content; every mistake is a :class:`MappingError`."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in RECORD_KINDS:
        raise MappingError(f"kind must be one of {', '.join(RECORD_KINDS)}, not {kind!r}")
    ident = _table(data.get("id", {}), "[id]")
    if not isinstance(ident.get("column"), str):
        raise MappingError("[id] needs column = \"<the column that names each record>\"")
    mint = ident.get("mint", "slug")
    if mint not in ("slug", "as-is"):
        raise MappingError(f"[id] mint must be \"slug\" or \"as-is\", not {mint!r}")
    columns = tuple(_parse_column(name, spec) for name, spec in _table(data.get("columns", {}), "[columns]").items())
    budget = None
    if "budget" in data:
        b = _table(data["budget"], "[budget]")
        if not isinstance(b.get("value"), str) or not isinstance(b.get("currency"), str):
            raise MappingError("[budget] needs value = \"<amount column>\" and currency = \"<currency column>\"")
        budget = Budget(b["value"], b["currency"], _property(b.get("property", "tsc:budget"), "[budget]"))
    delimiter, sheet = data.get("delimiter"), data.get("sheet")
    if delimiter is not None and not (isinstance(delimiter, str) and len(delimiter) == 1):
        raise MappingError(f"delimiter must be one character (\",\", \";\", a tab), not {delimiter!r}")
    if sheet is not None and not isinstance(sheet, str):
        raise MappingError(f"sheet must be the name of a sheet, not {sheet!r}")
    return Mapping(kind, ident["column"], mint == "as-is", columns, budget, delimiter, sheet)


def _table(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a table (key = value lines under it), not {value!r}")
    return value


def _parse_column(name: str, spec: object) -> Column:
    where = f"[columns.\"{name}\"]"
    spec = _table(spec, where)
    kind = spec.get("kind", "text")
    if not isinstance(kind, str) or kind not in VALUE_KINDS:
        raise MappingError(f"{where}: kind must be one of {', '.join(VALUE_KINDS)}, not {kind!r}")
    lang = spec.get("lang")
    if kind == "text" and not lang:
        raise MappingError(f"{where}: a text column needs lang = \"en\" (or \"fr\"…)")
    if lang is not None and not (isinstance(lang, str) and re.fullmatch(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", lang)):
        raise MappingError(f"{where}: lang must be a language tag such as \"en\" or \"fr\", not {lang!r}")
    scheme = spec.get("scheme")
    if kind == "concept" and not (isinstance(scheme, str) and scheme in SCHEMES):
        raise MappingError(f"{where}: a concept column needs scheme = one of {', '.join(SCHEMES)}")
    separator = spec.get("separator")
    if separator is not None and not (isinstance(separator, str) and separator):
        raise MappingError(f"{where}: separator must be the text between values (\";\", \",\"…), not {separator!r}")
    if "property" not in spec:
        raise MappingError(f"{where}: property = \"prefix:name\" is missing")
    return Column(name, _property(spec["property"], where), kind, lang, scheme if isinstance(scheme, str) else None,
                  separator, bool(spec.get("required", False)))


def _property(name: str, where: str) -> URIRef:
    prefix, _, local = str(name).partition(":")
    if prefix not in PREFIXES or not local:
        raise MappingError(f"{where}: property {name!r} is not a prefixed name with a known prefix ({', '.join(PREFIXES)})")
    return URIRef(PREFIXES[prefix] + local)


def actor_index(actors: Graph) -> dict[str, URIRef]:
    """Every actor's names and acronyms (normalised), and the slug of each, to its IRI."""
    index: dict[str, URIRef] = {}
    for actor in actors.subjects(RDF.type, TSC.Actor):
        if not isinstance(actor, URIRef):
            continue
        for p in (SKOS.prefLabel, SKOS.altLabel):
            for name in actors.objects(actor, p):
                index.setdefault(normalise(str(name)), actor)
        index.setdefault("slug:" + str(actor).rstrip("/").rsplit("/", 1)[-1], actor)
    return index


def rows_to_graph(table: Table, mapping: Mapping, base_iri: str, resolver: Resolver,
                  actors: Graph | None = None) -> Loaded:
    """The records of a sheet's rows, and the problems met (pure: no I/O)."""
    graph = bind_prefixes(Graph())
    problems = list(table.problems)
    loaded = Loaded(graph, problems)
    if not table.header:
        return loaded
    position = {name: i for i, name in enumerate(table.header)}
    wanted = [mapping.id_column, *(c.name for c in mapping.columns)]
    if mapping.budget is not None:
        wanted += [mapping.budget.value, mapping.budget.currency]
    missing = [name for name in dict.fromkeys(wanted) if name not in position]
    for name in missing:
        problems.append(Problem(table.source, "row 1", f"the mapping's column '{name}' is not in the header", name))
    if mapping.id_column in missing:
        return loaded
    index = actor_index(actors) if actors is not None else None
    seen: dict[URIRef, int] = {}
    for number, cells in table.rows:
        def cell(name: str) -> Cell:
            return cells[position[name]] if name in position else None

        def report(column: str, message: str, value: Cell = "") -> None:
            problems.append(Problem(table.source, f"row {number}, column '{column}'", message, _text(value)))

        ident = _text(cell(mapping.id_column))
        if not ident:
            report(mapping.id_column, "no identifier: the record cannot be named; row skipped")
            continue
        empty_required = [c for c in mapping.columns if c.required and _blank(cell(c.name))]
        if empty_required:
            for c in empty_required:
                report(c.name, "a required cell is empty; row skipped")
            continue
        if mapping.id_is_slug and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", ident):
            report(mapping.id_column, "an identifier is lower-case letters, digits and hyphens; row skipped", ident)
            continue
        record = mapping.record_iri(base_iri, ident if mapping.id_is_slug else slugify(ident))
        if record in seen:
            report(mapping.id_column, f"row {seen[record]} already has this identifier; row skipped", ident)
            continue
        seen[record] = number
        graph.add((record, RDF.type, mapping.record_class))
        loaded.records += 1
        for column in mapping.columns:
            for part in _parts(cell(column.name), column.separator):
                value, message = cell_value(part, column, base_iri, resolver, index)
                if value is None:
                    report(column.name, message, part)
                else:
                    graph.add((record, column.property, value))
        if mapping.budget is not None:
            _add_budget(graph, record, mapping.budget, cell(mapping.budget.value), cell(mapping.budget.currency), report)
    problems.sort(key=_row_number)  # in the order of the sheet, whatever found them
    return loaded


def _row_number(problem: Problem) -> int:
    match = re.match(r"row (\d+)", problem.where)
    return int(match.group(1)) if match else 0


def cell_value(part: Cell, column: Column, base_iri: str, resolver: Resolver,
               actors: dict[str, URIRef] | None) -> tuple[Literal | URIRef | None, str]:
    """One value of a cell as an RDF term, or None and what is wrong with it."""
    text = _text(part)
    kind = column.kind
    if kind == "text":
        return Literal(text, lang=column.lang), ""
    if kind == "string":
        return Literal(text), ""
    if kind == "language":
        if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", text):
            return Literal(text.lower(), datatype=XSD.language), ""
        return None, "not a language code (BCP 47, e.g. en, fr, es)"
    if kind == "date":
        day = parse_date(part)
        return (Literal(day, datatype=XSD.date), "") if day else (None, "not a date (YYYY-MM-DD or DD/MM/YYYY)")
    if kind == "decimal":
        number = parse_decimal(part)
        return (Literal(number, datatype=XSD.decimal), "") if number is not None else (None, "not a number")
    if kind == "boolean":
        word = text.casefold()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return Literal(word in TRUE_WORDS), ""
        return None, "not yes or no (true/false, yes/no, oui/non, 1/0)"
    if kind == "iri":
        if re.fullmatch(r"https?://\S+", text) and is_iri(text):
            return URIRef(text), ""
        return None, "not a web address (http:// or https://)"
    if kind == "concept":
        assert column.scheme is not None
        concept = resolver.resolve(column.scheme, text)
        return (concept, "") if concept is not None else (None, f"not {SCHEMES[column.scheme].description}")
    # actor reference
    slug = slugify(text)
    if actors is None:
        return URIRef(f"{base_iri}id/actor/{slug}"), ""
    found = actors.get(normalise(text)) or actors.get("slug:" + slug)
    return (found, "") if found is not None else (None, "no known actor has this name or acronym")


def _add_budget(graph: Graph, record: URIRef, budget: Budget, amount_cell: Cell, currency_cell: Cell, report) -> None:
    if _blank(amount_cell) and _blank(currency_cell):
        return
    amount = parse_decimal(amount_cell)
    currency = _text(currency_cell).upper()
    ok = True
    if amount is None or amount <= 0:
        report(budget.value, "the budget is not a positive number; budget not loaded", amount_cell)
        ok = False
    if not re.fullmatch(r"[A-Z]{3}", currency):
        report(budget.currency, "the budget needs an ISO 4217 currency code (EUR, USD…); budget not loaded", currency_cell)
        ok = False
    if ok:
        node = BNode()
        graph.add((record, budget.property, node))
        graph.add((node, RDF.type, SCHEMA.MonetaryAmount))
        graph.add((node, SCHEMA.value, Literal(amount, datatype=XSD.decimal)))
        graph.add((node, SCHEMA.currency, Literal(currency)))


def parse_date(value: Cell) -> date | None:
    """A date from a workbook's date cell, ISO ``YYYY-MM-DD`` or French/European ``DD/MM/YYYY``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    return None


def parse_decimal(value: Cell) -> Decimal | None:
    """A number as typed: ``150000``, ``150 000,50`` (French), ``150,000.50``; workbook numbers as they are."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
        if "," in text and "." in text:
            text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    return number if number.is_finite() else None  # NaN and infinities are not amounts (and NaN breaks comparing)


def _parts(value: Cell, separator: str | None) -> Iterable[Cell]:
    """The non-empty values of a cell, split on the column's separator when it has one."""
    if _blank(value):
        return []
    if separator is None or not isinstance(value, str):
        return [value.strip() if isinstance(value, str) else value]
    return [p.strip() for p in value.split(separator.strip() or separator) if p.strip()]


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
