"""Why a SET is not accepted: RFC 8935 2.4's error codes, with fixed descriptions (never the SET's text).

These answer a transmitter, not a client with an access token, so they are not refusals of
``jwks_auth.exceptions`` (no ``WWW-Authenticate``, RFC 8935's own JSON body); their ``Retry-After``
defaults are that module's.
"""

from __future__ import annotations

from enum import StrEnum, unique

from jwks_auth.exceptions import DEFAULT_RETRY_AFTER


@unique
class SETErrorCode(StrEnum):
    """RFC 8935 2.4 (the same codes answer an RFC 8936 poll's ``setErrs``)."""

    INVALID_REQUEST = "invalid_request"  # not a SET, or an event that does not follow its definition
    INVALID_KEY = "invalid_key"  # a key or algorithm that is not acceptable (unknown kid, alg outside the allowlist)
    INVALID_ISSUER = "invalid_issuer"  # no configured transmitter has this iss
    INVALID_AUDIENCE = "invalid_audience"  # aud names none of ours
    AUTHENTICATION_FAILED = "authentication_failed"  # a bad signature, or the push's Authorization is wrong
    ACCESS_DENIED = "access_denied"  # a subject of an issuer this transmitter does not speak for


class SETError(Exception):
    """A SET refused: 400 with ``{"err": code, "description": description}``."""

    def __init__(self, code: SETErrorCode, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class ReceiverUnavailable(Exception):
    """The SET cannot be processed now (keys or shared cache down): 503, the transmitter sends it again."""

    status = 503

    def __init__(self, description: str, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


class TooManyEvents(ReceiverUnavailable):
    """``SHARED_SIGNALS["MAX_EVENTS_PER_MINUTE"]`` reached: 429, the transmitter sends it again later."""

    status = 429
