"""SHA-256 of the bytes a request brings: the access token (the verified-token cache's key, a DPoP proof's
``ath``) and a proof's replay-store entry.

``hashlib.sha256(data)`` looks the algorithm up in OpenSSL's provider tables on every call (CPython 3.11),
which costs more than hashing a whole access token; a copy of one hash object made at import does not.
A copy shares nothing writable with the template, so threads may copy it at once.
"""

from __future__ import annotations

import hashlib

_TEMPLATE = hashlib.sha256()


def sha256(data: bytes) -> bytes:
    """The SHA-256 digest of ``data``: ``hashlib.sha256(data).digest()``, without the per-call lookup."""
    hashed = _TEMPLATE.copy()
    hashed.update(data)
    return hashed.digest()
