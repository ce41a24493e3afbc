"""The Shared Signals receiver: Security Event Tokens pushed (RFC 8935) or polled (RFC 8936).

``push`` is the endpoint (``jwks_auth.urls``), ``poll`` the poller (and
``manage.py ssf_poll``); both hand each SET to ``receiver.Receiver``, which
verifies it (``verification``), processes each ``jti`` once across the
fleet and records what its events say about subjects (``events``) in the
shared state that the validator reads on every token
(``jwks_auth.validation.revocations``). The transmitters are
``SHARED_SIGNALS["TRANSMITTERS"]`` (``settings``).
"""
