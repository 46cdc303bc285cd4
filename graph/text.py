"""Comparing text as people mean it: one folding for every comparison of names, labels and keywords."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-folded, accents removed, letters of every script kept: "Côte d'Ivoire" and "COTE D'IVOIRE" agree."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
