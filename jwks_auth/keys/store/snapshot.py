"""A parsed key set with its timing, as held by one process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jwks_auth.keys.jwks import KeySet


@dataclass(frozen=True)
class Snapshot:
    keyset: KeySet
    fetched_at: float
    soft_expiry: float  # fresh until then; served stale until hard_expiry
    hard_expiry: float
    uri: str
    source: str  # "fetch" or "shared cache"
    refresh_at: float  # when a background refresh should start

    def describe(self) -> dict[str, Any]:
        """The snapshot as ``jwks_inspect`` shows it."""
        return {
            "source": self.source,
            "uri": self.uri,
            "fetched_at": self.fetched_at,
            "soft_expiry": self.soft_expiry,
            "hard_expiry": self.hard_expiry,
            "keys": [key.kid for key in self.keyset.keys],
            "rejected": [list(item) for item in self.keyset.rejected],
        }
