"""Bearer tokens for writes: generated once, configured as hashes, compared in constant time.

Tokens are 256-bit random strings, so a plain SHA-256 is the right hash (a slow password hash
would add nothing against brute force of such a space); the configuration never holds a token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_allowed(token: str, allowed_hashes: tuple[str, ...]) -> bool:
    """True when ``token`` hashes to one of ``allowed_hashes``; every hash is compared, in constant time."""
    presented = hash_token(token)
    found = False
    for allowed in allowed_hashes:
        found |= hmac.compare_digest(presented, allowed)
    return found
