"""Coverage-guided fuzzing of RDF reading (graph.rdfio.parse_rdf, every syntax): a graph the store can hold, or
an RdfReadError with a message — never another exception, never a fetch (a JSON-LD context is refused unread).

    .venv/bin/python tests/fuzz/fuzz_rdf.py -max_total_time=60
"""

from __future__ import annotations

import atheris
from harness import ROOT, instrumented, run

with instrumented():
    from graph.rdfio import FORMATS, RdfReadError, parse_rdf

SYNTAXES = sorted(set(FORMATS.values()))
BASE = "https://chm.example.org/"


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    syntax = SYNTAXES[fdp.ConsumeIntInRange(0, len(SYNTAXES) - 1)]
    try:
        parse_rdf(fdp.ConsumeBytes(fdp.remaining_bytes()), syntax, BASE)
    except RdfReadError as exc:
        assert str(exc), "an RdfReadError without a message"


def seeds() -> dict[str, bytes]:
    files = [*sorted((ROOT / "tests" / "shapes").glob("*-valid-01.ttl")), *sorted((ROOT / "tests" / "data" / "loaders"
                                                                                    / "schemaorg").glob("*.jsonld"))]
    return {path.name: bytes([SYNTAXES.index("json-ld" if path.suffix == ".jsonld" else "turtle")]) + path.read_bytes()
            for path in files}


if __name__ == "__main__":
    run("rdf", test_one_input, seeds())
