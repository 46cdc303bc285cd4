"""Sections of ``docs/benchmarks.md`` that a benchmark of its own rewrites, leaving the rest of the page alone.

``bench/report.py`` writes the page from the ``make bench`` figures; ``make bench-serving`` (``bench/serving.py``)
and ``make bench-writes`` (``bench/writes.py``) each own one section between two markers::

    <!-- bench:serving:begin -->
    ## Serving (issue #17)
    …
    <!-- bench:serving:end -->

:func:`replace_section` puts a section in place (at the end of the page the first time); :func:`owned_sections`
gives every such section of a page, so that ``bench/report.py`` writes them back after its own.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_SECTION = re.compile(r"<!-- bench:([a-z-]+):begin -->\n.*?<!-- bench:\1:end -->\n?", re.S)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"


def block(name: str, lines: list[str]) -> str:
    begin, end = markers(name)
    return begin + "\n" + "\n".join(lines).strip("\n") + "\n" + end + "\n"


def replace_section(name: str, lines: list[str], page: Path = PAGE) -> Path:
    """Put ``lines`` as section ``name`` of ``page``: in place of the section's last version, else at the end."""
    text = page.read_text(encoding="utf-8") if page.exists() else "# Benchmarks\n"
    new = block(name, lines)
    found = [m for m in _SECTION.finditer(text) if m.group(1) == name]
    if found:
        text = text[:found[0].start()] + new + text[found[0].end():]
    else:
        text = text.rstrip("\n") + "\n\n" + new
    page.write_text(text, encoding="utf-8")
    return page


def owned_sections(text: str) -> list[str]:
    """Every section of ``text`` that a benchmark of its own owns, markers included, in page order."""
    return [m.group(0).rstrip("\n") + "\n" for m in _SECTION.finditer(text)]
