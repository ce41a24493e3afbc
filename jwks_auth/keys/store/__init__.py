"""The key store of one issuer: two tiers, shared fetching, stale serving.

Tier 1 is a per-process snapshot of the parsed keys, re-read from tier 2
every ``KEY_STORE["LOCAL_TTL"]`` seconds, so a warm request costs a dict lookup: no cache
round-trip and no key parsing. Tier 2 is the JWKS document in Django's cache
(``CACHE_ALIAS``), shared by every worker and host that share the cache.

A set has a soft lifetime (the provider's ``Cache-Control: max-age`` within
``KEY_STORE["MIN_TTL"]``..``KEY_STORE["MAX_TTL"]``); ``KEY_STORE["REFRESH_AHEAD"]`` seconds before it
ends one worker refreshes the set in a background thread while every request
goes on with the current keys. A hard limit (``KEY_STORE["STALE_TTL"]``) bounds how
long the last good set is served while the provider cannot be reached; stale
serving is logged and signalled. A failed fetch never removes a good set.

Fetches are serialised across workers by a lock in the shared cache
(``cache.add`` with an expiry, so a dead holder cannot block anyone for
longer than a fetch may take); a cold worker that finds the lock taken waits
for the holder's result instead of fetching too. After a failure, fetching
pauses for ``KEY_STORE["RETRY_INTERVAL"]`` (shared). An unknown ``kid`` causes at most
one fetch per ``KEY_STORE["UNKNOWN_KID_COOLDOWN"]`` across all workers; kids still missing
afterwards are remembered and rejected without any lookup.

Cache keys are a fixed prefix plus a hash of the issuer: no token or kid
text is ever part of a key. The shared cache is an optimisation, never a
dependency or a source of trust: an entry that does not parse is ignored and
refetched, and when the cache fails the store works from its own snapshot or
fetches directly, and logs the failure.

The parts, each one concern: ``settings`` (the timings, read once),
``namespace`` (the cache keys, typed calls), ``snapshot``, ``entry`` (the
shared JWKS entry), ``tiers`` (local snapshot over the shared entry),
``lock`` (the cross-worker fetch lock), ``coordinator`` (one fetch at a
time), ``discovery``, ``fetcher`` (one fetch), ``refresher`` (refresh
ahead), ``gate`` (the unknown-kid cooldown and missing kids), ``events``
(logs and signals), and ``store``, the ``KeyStore`` that composes them.
"""

from jwks_auth.keys.store.namespace import ENTRY_VERSION, short_hash
from jwks_auth.keys.store.settings import KeyStoreSettings
from jwks_auth.keys.store.snapshot import Snapshot
from jwks_auth.keys.store.store import KeyStore

__all__ = ["ENTRY_VERSION", "KeyStore", "KeyStoreSettings", "Snapshot", "short_hash"]
