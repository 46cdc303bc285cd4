"""Coverage-guided fuzzing of the importers (loaders/): IATI XML, schema.org JSON-LD, CSV sheets and mapping
files. Each answers its problems (a Loaded) or, for a mapping file, a MappingError — never another exception.

    .venv/bin/python tests/fuzz/fuzz_loaders.py -max_total_time=60
"""

from __future__ import annotations

import tomllib

import atheris
from harness import ROOT, instrumented, run

with instrumented():
    from graph.validation import read_turtle_dir
    from loaders.iati import load_iati
    from loaders.resolve import default_resolver
    from loaders.schemaorg import load_schemaorg
    from loaders.spreadsheet import MappingError, parse_csv, parse_mapping, read_mapping, rows_to_graph

BASE = "https://chm.example.org/"
ONTOLOGY = read_turtle_dir(ROOT / "ontology")
PROJECTS = read_mapping(ROOT / "loaders" / "mappings" / "projects.toml")
KINDS = ["iati", "schemaorg", "csv", "mapping"]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    kind = KINDS[fdp.ConsumeIntInRange(0, len(KINDS) - 1)]
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    if kind == "iati":
        load_iati(body, "a.xml", base_iri=BASE, ontology_graph=ONTOLOGY)
    elif kind == "schemaorg":
        load_schemaorg(body, "a.jsonld", BASE)
    elif kind == "csv":
        rows_to_graph(parse_csv(body.decode("utf-8", "replace"), "a.csv"), PROJECTS, BASE, default_resolver())
    else:
        try:
            parse_mapping(tomllib.loads(body.decode("utf-8", "replace")))
        except (tomllib.TOMLDecodeError, MappingError):
            pass


def seeds() -> dict[str, bytes]:
    data = ROOT / "tests" / "data" / "loaders"
    files = {"iati": sorted((data / "iati").glob("*.xml")), "schemaorg": sorted((data / "schemaorg").glob("*.jsonld")),
             "csv": sorted((data / "spreadsheet").glob("*.csv")), "mapping": sorted((ROOT / "loaders" / "mappings").glob("*.toml"))}
    return {f"{kind}-{path.name}": bytes([KINDS.index(kind)]) + path.read_bytes() for kind, paths in files.items() for path in paths}


if __name__ == "__main__":
    run("loaders", test_one_input, seeds())
