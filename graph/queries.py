"""The catalogue of named queries: ``queries/*.rq`` files with a documented header (grlc style).

A header is a run of ``#+ key: value`` lines at the top of the file::

    #+ summary: Projects per GBF target
    #+ description: How many projects contribute to each of the 23 targets, including none.
    #+ tags: gbf, projects
    #+ param: lang | xsd:language | en | Language of the labels
    #+ paging: 100 | 10000

Parameters are SPARQL variables bound at run time through the store's ``bindings`` (SEP-0007
substitution), never by string formatting. A query without ``summary`` is refused at load time.

A ranking is paged (``#+ paging: DEFAULT | MAXIMUM``): its text ends with ``LIMIT DEFAULT``, so the file run as it is
answers the first page, and the parameters ``limit`` (1 to MAXIMUM rows) and ``offset`` (rows skipped) ask for
another (:meth:`NamedQuery.text_for`). They are checked as integers and written as the query's ``LIMIT`` and
``OFFSET`` — the one place a value reaches the text, since SPARQL cannot bind them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from graph.iris import is_iri
from graph.settings import Settings

_HEADER = re.compile(r"^#\+\s*(?P<key>[a-z_]+)\s*:\s*(?P<value>.*?)\s*$")
#: The page a paged query's text asks for, at its very end.
_PAGE_TAIL = re.compile(r"\bLIMIT\s+(?P<limit>\d+)(?:\s+OFFSET\s+(?P<offset>\d+))?\s*$", re.IGNORECASE)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class QueryCatalogueError(ValueError):
    """A query file or a parameter value is not acceptable; the message says which and why."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    datatype: str  # "iri" or an xsd datatype in prefixed form, e.g. "xsd:language"
    default: str | None
    description: str

    def to_term(self, raw: str) -> Identifier:
        """Turn a user-supplied value into the RDF term the query expects."""
        if self.datatype == "iri":
            if not is_iri(raw):
                raise QueryCatalogueError(f"parameter {self.name}: {raw!r} is not an absolute IRI")
            return URIRef(raw)
        if self.datatype == "xsd:language":
            if not re.match(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$", raw):
                raise QueryCatalogueError(f"parameter {self.name}: {raw!r} is not a language tag")
            return Literal(raw)
        if self.datatype == "xsd:integer":
            if not re.match(r"^[+-]?\d+$", raw):
                raise QueryCatalogueError(f"parameter {self.name}: {raw!r} is not an integer")
            return Literal(raw, datatype=XSD.integer)
        if self.datatype == "xsd:string":
            return Literal(raw)
        raise QueryCatalogueError(f"parameter {self.name}: unsupported type {self.datatype}")


@dataclass(frozen=True)
class Paging:
    """A ranking's pages: ``default`` rows unless ``limit`` asks for others (at most ``maximum``)."""

    default: int
    maximum: int

    def params(self) -> tuple[QueryParam, ...]:
        return (QueryParam("limit", "xsd:integer", str(self.default), f"Rows per page (1 to {self.maximum:,})"),
                QueryParam("offset", "xsd:integer", "0", "Rows skipped before the page (its first row's position)"))


PAGING_NAMES = ("limit", "offset")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[QueryParam, ...]
    text: str = field(repr=False)
    paging: Paging | None = None

    @property
    def parameters(self) -> tuple[QueryParam, ...]:
        """What a caller may pass: the bound parameters, then ``limit`` and ``offset`` of a paged query."""
        return self.params + (self.paging.params() if self.paging else ())

    def text_for(self, values: dict[str, str] | None = None) -> str:
        """The text to run: a paged query's with the ``LIMIT``/``OFFSET`` that ``values`` ask for (checked:
        :class:`QueryCatalogueError`), else the text itself."""
        if self.paging is None:
            return self.text
        values = values or {}
        limit = _page_number(self.name, "limit", values.get("limit"), self.paging.default, 1, self.paging.maximum)
        offset = _page_number(self.name, "offset", values.get("offset"), 0, 0, None)
        page = f"LIMIT {limit}" + (f" OFFSET {offset}" if offset else "")
        return _PAGE_TAIL.sub(page, self.text.rstrip()) + "\n"

    def bindings(self, values: dict[str, str] | None = None) -> dict[str, Identifier]:
        """Terms for every parameter: the given value, else the default; unknown names refused (a paged query's
        ``limit`` and ``offset`` are not bound: :meth:`text_for` writes them)."""
        values = {k: v for k, v in (values or {}).items() if not (self.paging and k in PAGING_NAMES)}
        known = {p.name for p in self.params}
        unknown = set(values) - known
        if unknown:
            raise QueryCatalogueError(f"query {self.name} has no parameter(s) {', '.join(sorted(unknown))}")
        out = {}
        for param in self.params:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                raise QueryCatalogueError(f"query {self.name}: parameter {param.name} is required")
            out[param.name] = param.to_term(raw)
        return out


def _page_number(name: str, param: str, raw, default: int, least: int, most: int | None) -> int:
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or not least <= int(text) <= (most if most is not None else 10**12):
        bound = f"{least} to {most:,}" if most is not None else f"{least} or more"
        raise QueryCatalogueError(f"query {name}: parameter {param} must be an integer, {bound}; got {raw!r}")
    return int(text)


#: The base IRI under which the catalogue's files name this node's own graphs (the settings' default).
DEFAULT_BASE: str = Settings.base_iri


def parse_query_file(path: Path, base: str = DEFAULT_BASE) -> NamedQuery:
    """A query file, rebased onto ``base``: a file names this node's own graphs (its local graph, its summary graph)
    under :data:`DEFAULT_BASE`, so that it runs as it stands on a default deployment and names the deployment's own
    graphs on every other."""
    text = path.read_text(encoding="utf-8").replace(DEFAULT_BASE, base)
    name = path.stem
    if not NAME.match(name):
        raise QueryCatalogueError(f"{path}: query names use lowercase letters, digits and hyphens")
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            header.setdefault(match["key"], []).append(match["value"])
        elif line.strip() and not line.startswith("#"):
            break
    if "summary" not in header:
        raise QueryCatalogueError(f"{path}: missing '#+ summary:' header")
    params = []
    for spec in header.get("param", []):
        parts = [p.strip() for p in spec.split("|")]
        if len(parts) != 4:
            raise QueryCatalogueError(f"{path}: param header needs 'name | type | default | description': {spec!r}")
        pname, ptype, default, pdesc = parts
        params.append(QueryParam(pname, ptype, default or None, pdesc))
    tags = tuple(t.strip() for t in ",".join(header.get("tags", [])).split(",") if t.strip())
    paging = None
    if "paging" in header:
        parts = [p.strip() for p in header["paging"][0].split("|")]
        tail = _PAGE_TAIL.search(text.rstrip())
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 1 <= int(parts[0]) <= int(parts[1]):
            raise QueryCatalogueError(f"{path}: paging header needs 'default | maximum' rows: {header['paging'][0]!r}")
        if tail is None or int(tail["limit"]) != int(parts[0]) or tail["offset"]:
            raise QueryCatalogueError(f"{path}: a paged query's text ends with LIMIT {parts[0]} (its first page)")
        if {p.name for p in params} & set(PAGING_NAMES):
            raise QueryCatalogueError(f"{path}: limit and offset are the paging parameters")
        paging = Paging(int(parts[0]), int(parts[1]))
    return NamedQuery(
        name=name,
        path=path,
        summary=header["summary"][0],
        description=" ".join(header.get("description", [])),
        tags=tags,
        params=tuple(params),
        text=text,
        paging=paging,
    )


def load_catalogue(directory: Path, base: str = DEFAULT_BASE) -> dict[str, NamedQuery]:
    """Every ``*.rq`` of ``directory`` by name, sorted, rebased onto ``base`` (:func:`parse_query_file`)."""
    return {q.name: q for q in (parse_query_file(p, base) for p in sorted(Path(directory).glob("*.rq")))}


def resolve_query(catalogue: dict[str, NamedQuery], name_or_path: str) -> NamedQuery:
    """A catalogue name (``projects-per-gbf-target``) or the path of an ``.rq`` file."""
    if name_or_path in catalogue:
        return catalogue[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        try:
            return parse_query_file(path)
        except QueryCatalogueError:
            text = path.read_text(encoding="utf-8")
            return NamedQuery(path.stem, path, path.stem, "", (), (), text)
    known = ", ".join(catalogue) or "none"
    raise QueryCatalogueError(f"no query named {name_or_path!r} and no such file (known queries: {known})")
