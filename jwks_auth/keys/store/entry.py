"""The JWKS entry in the shared cache: written after each fetch, read by every worker.

The entry is never a source of trust: one that does not parse, has
impossible times or holds no usable key is logged, deleted and ignored, so
the store fetches again.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from jwks_auth.keys.jwks import KeySet
from jwks_auth.keys.store.namespace import ENTRY_VERSION, Namespace, Slot
from jwks_auth.keys.store.settings import KeyStoreSettings
from jwks_auth.keys.store.snapshot import Snapshot
from jwks_auth.utils.json_numbers import is_finite_number

logger = logging.getLogger("jwks_auth.keys.store")


class SharedEntry:
    """Reads and writes ``Slot.ENTRY`` of one store."""

    def __init__(self, namespace: Namespace, issuer: str, settings: KeyStoreSettings) -> None:
        self._namespace = namespace
        self._issuer = issuer
        self._settings = settings

    def write(self, snapshot: Snapshot, document: Mapping[str, Any]) -> None:
        entry = {
            "v": ENTRY_VERSION,
            "jwks": json.dumps(document),
            "uri": snapshot.uri,
            "fetched_at": snapshot.fetched_at,
            "soft": snapshot.soft_expiry,
            "hard": snapshot.hard_expiry,
        }
        timeout = math.ceil(snapshot.hard_expiry - snapshot.fetched_at) + 1
        self._namespace.set(Slot.ENTRY, entry, timeout)

    def read(self, now: float, local: Snapshot | None) -> Snapshot | None:
        """The shared set while usable (``local`` itself when it is the same set), else ``None``."""
        entry = self._namespace.get(Slot.ENTRY)
        if entry is None:
            return None
        try:
            return self._parse(entry, now, local)
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            logger.warning("Ignoring a corrupt cached key set for %s: %s", self._issuer, exc)
            self._namespace.delete(Slot.ENTRY)
            return None

    def _parse(self, entry: object, now: float, local: Snapshot | None) -> Snapshot | None:
        if not isinstance(entry, dict) or entry.get("v") != ENTRY_VERSION:
            raise ValueError("unexpected entry format")
        times = [entry[k] for k in ("fetched_at", "soft", "hard")]
        if not all(is_finite_number(t) for t in times):
            raise ValueError("invalid times")
        fetched_at, soft, hard = (float(t) for t in times)
        if not fetched_at <= soft <= hard:
            raise ValueError("invalid times")
        if hard <= now:
            return None
        if local is not None and local.fetched_at == fetched_at:
            return local  # same set: keep the parsed keys
        uri, document = entry["uri"], entry["jwks"]
        if not isinstance(uri, str) or not isinstance(document, str):
            raise ValueError("invalid entry members")
        keyset = KeySet.from_document(json.loads(document))
        if not keyset.keys:
            raise ValueError("no usable key")
        refresh_at = self._settings.refresh_at(fetched_at, soft)
        return Snapshot(keyset, fetched_at, soft, hard, uri, "shared cache", refresh_at)
