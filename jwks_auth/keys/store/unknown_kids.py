"""How often an unknown ``kid`` may cause a refetch, and which kids are known missing.

A token naming a key that is not in the set may be signed with a key
published since, or forged. At most one refetch per ``KEY_STORE["UNKNOWN_KID_COOLDOWN"]``
is made for such kids: per process (a turn) and across workers (a shared
cooldown entry). Kids still missing afterwards are remembered, as hashes,
and refused without any lookup until the cooldown ends or a newer set
arrives. The decision itself is ``KeyStore._unknown_kid``.
"""

from __future__ import annotations

import math
import threading
import time

from jwks_auth.keys.store.namespace import Namespace, Slot
from jwks_auth.utils.json_numbers import is_finite_number

_MISSING_KIDS_MAX = 4096


class UnknownKidGate:
    def __init__(self, namespace: Namespace, cooldown: float) -> None:
        self._namespace = namespace
        self._cooldown = cooldown
        self._lock = threading.Lock()
        self._missing: dict[str, float] = {}  # kid hash -> remembered until
        self._turn_until = 0.0
        self._turn_done: threading.Event | None = None
        self._shared_turn_taken_at: float | None = None  # what this process wrote in the shared cooldown entry

    # -- kids known missing ----------------------------------------------------------
    def is_missing(self, kid_hash: str, now: float) -> bool:
        return self._missing.get(kid_hash, 0.0) > now

    def remember(self, kid_hash: str, seconds: float | None = None) -> None:
        """Refuse ``kid_hash`` without a lookup for the cooldown (or ``seconds``, when shorter)."""
        if len(self._missing) >= _MISSING_KIDS_MAX:
            self._missing.clear()
        self._missing[kid_hash] = time.time() + min(self._cooldown, self._cooldown if seconds is None else seconds)

    def forget_missing(self) -> None:
        """A newer set may hold kids we found missing."""
        self._missing.clear()

    # -- the refetch turn ----------------------------------------------------------------
    def take_turn(self, now: float) -> threading.Event | None:
        """This process's refetch for an unknown kid (set the event when done), or ``None`` during its cooldown."""
        with self._lock:
            if now < self._turn_until:
                return None
            self._turn_until = now + self._cooldown
            event = self._turn_done = threading.Event()
            return event

    def turn_in_progress(self) -> threading.Event | None:
        """The event of the last turn taken in this process, if it has not ended."""
        event = self._turn_done
        return event if event is not None and not event.is_set() else None

    def take_shared_turn(self) -> bool:
        """The shared cooldown: at most one refetch per window across workers."""
        seconds = max(1, math.ceil(self._cooldown))
        now = time.time()
        self._shared_turn_taken_at = now
        if self._namespace.add(Slot.COOLDOWN, now, seconds) is not False:
            return True
        # Taken: by another worker within the window, or by an entry we did not
        # write (garbage, or one that never expires), which must not stop refetching.
        taken_at = self._namespace.get(Slot.COOLDOWN)
        if is_finite_number(taken_at) and now - seconds - 1 <= taken_at <= now + 1:
            return False
        self._namespace.delete(Slot.COOLDOWN)
        return self._namespace.add(Slot.COOLDOWN, now, seconds) is not False

    def give_back_shared_turn(self) -> None:
        """After a failed refetch: another worker or host, whose route to the provider may be fine, may try now.

        Only the turn this process took (the time it wrote): one another worker took since is left alone.
        """
        if self._namespace.get(Slot.COOLDOWN) == self._shared_turn_taken_at:
            self._namespace.delete(Slot.COOLDOWN)

    def reset(self) -> None:
        with self._lock:
            self._missing.clear()
            self._turn_until = 0.0
