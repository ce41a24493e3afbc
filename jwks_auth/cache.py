"""Calls to the shared Django cache that never fail a request.

The cache (``CACHE_ALIAS``) is an optimisation: when its backend is down,
or a value cannot be decoded, a call returns ``default`` and the failure is
logged, at most once per ``log_interval`` seconds for each user of it.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches

from jwks_auth import signals
from jwks_auth.conf import jwks_settings

logger = logging.getLogger("jwks_auth.cache")


class SharedCache:
    """``caches[CACHE_ALIAS]``, looked up at each call, with failures made soft."""

    def __init__(self, log_interval: float = 10.0) -> None:
        self.log_interval = log_interval
        self._next_log = 0.0

    def call(self, method: str, *args: Any, default: Any = None) -> Any:
        """``cache.<method>(*args)``, or ``default`` if the cache fails."""
        try:
            return getattr(caches[jwks_settings.CACHE_ALIAS], method)(*args)
        except Exception as exc:  # a down backend or an undecodable value must not fail requests
            signals.cache_failed.send(sender=SharedCache, error=type(exc).__name__)
            now = time.monotonic()
            if now >= self._next_log:
                self._next_log = now + self.log_interval
                logger.warning(
                    "Cache %r unavailable (%s); going on without it", jwks_settings.CACHE_ALIAS, type(exc).__name__
                )
            return default
