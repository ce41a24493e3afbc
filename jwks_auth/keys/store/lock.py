"""The cross-worker fetch lock: ``cache.add`` with an expiry.

The expiry is the longest a fetch may take, so a holder that died cannot
block anyone for longer. Each claim carries a random owner token: a holder
whose lock expired never deletes the lock another worker took since.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

from jwks_auth.keys.store.namespace import Namespace, Slot


class Claim(Enum):
    OURS = "ours"  # taken: fetch, then release
    UNGUARDED = "unguarded"  # the cache failed: fetch without a lock
    TAKEN = "taken"  # another worker is fetching: wait for its result


@dataclass(frozen=True)
class Ticket:
    claim: Claim
    owner: str

    @property
    def may_fetch(self) -> bool:
        return self.claim is not Claim.TAKEN


class FetchLock:
    def __init__(self, namespace: Namespace, timeout: int) -> None:
        self._namespace = namespace
        self.timeout = timeout

    def take(self) -> Ticket:
        owner = secrets.token_hex(8)
        added = self._namespace.add(Slot.LOCK, owner, self.timeout)
        claim = Claim.UNGUARDED if added is None else Claim.OURS if added else Claim.TAKEN
        return Ticket(claim, owner)

    def release(self, ticket: Ticket) -> None:
        # Only our own lock: if ours expired, another worker's must stay.
        if ticket.claim is Claim.OURS and self._namespace.get(Slot.LOCK) == ticket.owner:
            self._namespace.delete(Slot.LOCK)

    def is_held(self) -> bool:
        return self._namespace.get(Slot.LOCK) is not None

    def remove(self) -> None:
        """Drop a lock that outlived any fetch (one without expiry, or a cache that keeps it)."""
        self._namespace.delete(Slot.LOCK)
