"""At most one use of each proof, across every worker and host: its ``jti`` in the shared cache.

``cache.add`` stores a key only if it is absent, atomically in Redis and
Memcached, so of two requests with one proof exactly one wins. The key is a
digest of the key thumbprint, the ``htu`` and the ``jti`` (RFC 9449 11.1:
a ``jti`` is only unique per key and URL), never proof or token text. A
cache that cannot answer means a replay cannot be ruled out: 503.

Behind a Redis primary with replicas (Sentinel, a managed service), replication is asynchronous: a ``jti`` written
just before the primary dies may be missing from the replica promoted in its place, and the proof accepted again.
So there a ``jti`` counts as recorded only once ``replica_acks`` replicas acknowledged it (Redis ``WAIT``, at most
``replica_ack_timeout_ms``); otherwise the proof is refused like any proof whose ``jti`` cannot be recorded (503,
the client retries with a new proof). docs/production.md gives the resulting bound.
"""

from __future__ import annotations

from jwks_auth.reasons import Reason
from jwks_auth.sender.errors import ProofError, ReplayUnavailable
from jwks_auth.utils.digest import sha256
from jwks_auth.utils.shared_cache import SharedCache


class ReplayGuard:
    """Remembers proofs for as long as they could be accepted."""

    #: Replicas that must hold a ``jti`` before its proof is accepted, when the cache's Redis primary has replicas
    #: (0: never wait). Set on the class (e.g. in an ``AppConfig.ready``), not settings: docs/production.md.
    replica_acks: int = 1
    #: The longest a request waits for those acknowledgements (milliseconds).
    replica_ack_timeout_ms: int = 200

    def __init__(self, cache: SharedCache, prefix: str) -> None:
        self.cache = cache
        self.prefix = prefix

    def key(self, thumbprint: str, htu: str, jti: str) -> str:
        digest = sha256("\x00".join((thumbprint, htu, jti)).encode("utf-8", "surrogatepass")).hex()
        return f"{self.prefix}:dpop:jti:{digest}"

    def remember(self, thumbprint: str, htu: str, jti: str, ttl: int) -> None:
        """Record the proof; ``ProofError`` if it was seen, ``ReplayUnavailable`` if the cache is down."""
        added = self.cache.add_replicated(
            self.key(thumbprint, htu, jti), max(1, int(ttl)), self.replica_acks, self.replica_ack_timeout_ms
        )
        if added is None:
            raise ReplayUnavailable()
        if not added:
            raise ProofError("DPoP proof replayed", code=Reason.DPOP_REPLAY)
