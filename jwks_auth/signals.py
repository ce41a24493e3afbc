"""Signals for observing the key store and token validation.

Receivers get keyword arguments only; none of them carries a token.
"""

from django.dispatch import Signal

__all__ = ["cache_failed", "jwks_fetch_failed", "jwks_fetched", "stale_keys_served", "token_rejected", "unknown_kid"]

#: A JWKS was fetched: ``issuer``, ``uri``, ``key_count``, ``duration``.
jwks_fetched = Signal()
#: A discovery or JWKS fetch failed: ``issuer``, ``uri``, ``error`` (str).
jwks_fetch_failed = Signal()
#: Keys past their soft lifetime were used: ``issuer``, ``age`` (seconds).
stale_keys_served = Signal()
#: A token named a key that is not in the set: ``issuer``, ``kid_hash``, ``fetched`` (bool).
unknown_kid = Signal()
#: A token was refused: ``reason`` (code), ``issuer`` (str or None).
token_rejected = Signal()
#: A call to the shared Django cache failed (the request went on without it): ``error`` (exception type name).
cache_failed = Signal()
