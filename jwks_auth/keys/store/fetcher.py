"""One fetch of the issuer's JWKS: find the URL, download, parse, publish.

A set with no usable key is a failed fetch. A successful fetch is written
to the shared entry and adopted here; a failed one starts the pause before
the next attempt and is logged and signalled. A failed fetch never removes
a good set.
"""

from __future__ import annotations

import time

from jwks_auth.exceptions import FetchError
from jwks_auth.keys.http import FetchResult, fetch_json
from jwks_auth.keys.jwks import KeySet
from jwks_auth.keys.store.discovery import Discovery
from jwks_auth.keys.store.events import Events
from jwks_auth.keys.store.lookup import KeySetLookup
from jwks_auth.keys.store.settings import KeyStoreSettings
from jwks_auth.keys.store.snapshot import Snapshot
from jwks_auth.utils.backoff import Backoff


class Fetcher:
    def __init__(
        self, settings: KeyStoreSettings, discovery: Discovery, tiers: KeySetLookup, backoff: Backoff, events: Events
    ) -> None:
        self._settings = settings
        self._discovery = discovery
        self._tiers = tiers
        self._backoff = backoff
        self._events = events

    def fetch(self) -> Snapshot:
        """Fetch and store the set now; ``FetchError`` if that fails. Callers serialise calls."""
        uri = "?"
        try:
            uri = self._discovery.jwks_uri(time.time())
            result = fetch_json(uri)
            keyset = _parse(uri, result)
        except FetchError as exc:
            self._discovery.forget()  # the key URL may have moved, or the cached one is wrong
            message = str(exc)[:500]
            now = time.time()
            self._backoff.fail(now, message)
            self._events.fetch_failed(uri, message, now)
            raise
        snapshot = self._snapshot(keyset, uri, result.max_age)
        previous = self._tiers.local
        self._tiers.entry.write(snapshot, result.document)
        self._backoff.succeed()
        self._tiers.adopt(snapshot, snapshot.fetched_at)
        self._events.fetched(uri, keyset, result.duration, previous.keyset if previous else None)
        return snapshot

    def _snapshot(self, keyset: KeySet, uri: str, max_age: int | None) -> Snapshot:
        settings = self._settings
        soft_ttl = settings.soft_ttl(max_age)
        fetched_at = time.time()
        soft = fetched_at + soft_ttl
        hard = fetched_at + settings.hard_ttl(soft_ttl)
        return Snapshot(keyset, fetched_at, soft, hard, uri, "fetch", settings.refresh_at(fetched_at, soft))


def _parse(uri: str, result: FetchResult) -> KeySet:
    try:
        keyset = KeySet.from_document(result.document)
    except ValueError as exc:
        raise FetchError(f"{uri}: {exc}") from exc
    if not keyset.keys:
        raise FetchError(f"{uri}: the JWKS holds no usable key")
    return keyset
