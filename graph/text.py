"""Comparing text as people mean it: one folding for every comparison of names, labels and keywords."""

from __future__ import annotations

import re
import unicodedata

#: Longest e-mail address accepted (RFC 5321's path limit less its brackets).
MAX_EMAIL_LENGTH = 254
#: An e-mail address: one ``@``, then a domain of non-empty labels joined by dots. Labels cannot hold a dot,
#: so a backtracking engine has one way to split the text and does linear work; the earlier
#: ``[^@\s]+@[^@\s]+\.[^@\s]+`` took 4.3 s on "a@" and 30,000 dots. The shapes' ``sh:pattern`` for
#: ``schema:email`` is the same expression (``shapes/common.ttl``; ``tests/test_shapes.py`` keeps them equal).
EMAIL = re.compile(r'[^@\s<>"]+@[^@\s<>".]+(\.[^@\s<>".]+)+')


def fold(text: str) -> str:
    """Case-folded, accents removed, letters of every script kept: "Côte d'Ivoire" and "COTE D'IVOIRE" agree."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def is_email(text: str) -> bool:
    """Whether ``text`` is an e-mail address as forms and submissions accept it (length checked first)."""
    return len(text) <= MAX_EMAIL_LENGTH and EMAIL.fullmatch(text) is not None
