"""Minting the IRIs of local records: ``{base}id/{kind}/{slug}``, the slug readable and stable.

Forms, spreadsheets and harvested sources all name records this one way, so the same title or
identifier gives the same IRI whichever door it came through (re-importing a sheet updates its records).
"""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str, limit: int | None = 48, empty: str = "record") -> str:
    """ASCII lower case, runs of anything else made one hyphen, cut at ``limit`` characters (None: no cut;
    identifiers that must not collide, such as IATI's, are not cut)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if limit is not None:
        slug = slug[:limit].strip("-")
    return slug or empty
