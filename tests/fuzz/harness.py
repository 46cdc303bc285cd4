"""The shell around each coverage-guided harness (``tests/fuzz/fuzz_*.py``, run by ``make fuzz``): seeds,
corpus directory, libFuzzer options, atheris' instrumentation of our code and of the parsers under it.

Each harness calls :func:`run` with its ``test_one_input(data: bytes)``: an exception that escapes it is a
finding (atheris prints the input and saves it as ``var/fuzz/<harness>-crash-…``), and so is an input
that takes longer than ``-timeout`` seconds (a hang). The corpus lives in ``var/fuzz/<harness>/`` (ignored by
git), seeded with valid documents the first time, so that each run goes on from what the last one found.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import atheris

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))


def run(name: str, test_one_input: Callable[[bytes], None], seeds: dict[str, bytes]) -> None:
    """Fuzz ``test_one_input`` from the corpus ``var/fuzz/<name>`` (seeded with ``seeds``), with the command
    line's libFuzzer options (``-max_total_time=60``, ``-runs=…``); a hang is an input slower than 20 s."""
    corpus = ROOT / "var" / "fuzz" / name
    corpus.mkdir(parents=True, exist_ok=True)
    for seed_name, data in seeds.items():
        if not (corpus / seed_name).exists():
            (corpus / seed_name).write_bytes(data)
    options = [arg for arg in sys.argv[1:] if arg.startswith("-")]
    if not any(arg.startswith("-timeout=") for arg in options):
        options.append("-timeout=20")
    if not any(arg.startswith("-artifact_prefix=") for arg in options):  # crash-… files beside the corpus
        options.append(f"-artifact_prefix={corpus.parent}/{name}-")
    atheris.Setup([sys.argv[0], *options, str(corpus)], test_one_input)
    atheris.Fuzz()


def instrumented():
    """``with instrumented(): import …``: atheris' coverage feedback for the modules imported in the block."""
    return atheris.instrument_imports(include=["graph", "loaders", "rdflib", "defusedxml", "openpyxl", "json"])
