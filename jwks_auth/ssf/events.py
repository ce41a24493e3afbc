"""What each event type does to which tokens: subjects (RFC 9493, SSF ``complex``) to shared records.

- CAEP ``session-revoked``: the session's tokens (its ``sid``) issued before
  the event; without a session in the subject, every token of the user.
- CAEP ``credential-change``, RISC ``account-disabled`` and RISC
  ``sessions-revoked`` (deprecated for ``session-revoked``): every token of
  the user issued before the event (a session-only subject: the session's).
- CAEP ``token-claims-change``: tokens issued before the event whose claim
  differs from the event's ``claims`` value (a token without that claim is not
  contradicted); registered JWT claims are never pinned.
- CAEP ``assurance-level-change``: the same for ``acr`` = ``current_level``.
- Any other type (SSF's verification event, ``account-enabled``, ...) is
  accepted and changes nothing.

Subjects: ``iss_sub`` (the ``iss`` must be one of the transmitter's token
issuers, else ``access_denied``), ``email`` (matched with the token's
``email``, case-insensitively), ``opaque`` (matched with the token's
``sub``), ``aliases`` (each), ``complex`` (``user`` and ``session``; a
session as ``opaque`` or any subject carrying ``sid``), and a ``sid`` member
on any subject names a session. The time of an event is its
``event_timestamp``, else the SET's ``iat``, never later than now.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jwks_auth.ssf.errors import SETError
from jwks_auth.ssf.errors import SETErrorCode as Code
from jwks_auth.ssf.verification import VerifiedSET
from jwks_auth.validation.revocations import EMAIL, MAX_CLAIMS, SESSION, SUBJECT, Record, as_time, subjects_of

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
SESSION_REVOKED = CAEP + "session-revoked"
CREDENTIAL_CHANGE = CAEP + "credential-change"
TOKEN_CLAIMS_CHANGE = CAEP + "token-claims-change"
ASSURANCE_LEVEL_CHANGE = CAEP + "assurance-level-change"
ACCOUNT_DISABLED = RISC + "account-disabled"
SESSIONS_REVOKED = RISC + "sessions-revoked"
#: Every token of the user (or of the session named) issued before the event.
USER_WIDE = frozenset({CREDENTIAL_CHANGE, ACCOUNT_DISABLED, SESSIONS_REVOKED})
#: Claims an event may not pin: they say which token it is, not what is true of the user.
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "client_id", "sid"})
MAX_ALIASES = 8
MAX_CLAIM_BYTES = 1024
MAX_ID_LENGTH = 1024


@dataclass
class Subjects:
    """The subject keys an event names: the user's and the session's."""

    users: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)


def records(verified: VerifiedSET, aliases: Mapping[str, str]) -> dict[str, Record]:
    """Subject key -> the record each of the SET's events adds; ``SETError`` for an event that breaks its rules."""
    found: dict[str, Record] = {}
    for event_type, event in verified.claims["events"].items():
        subject = event.get("subject", verified.claims.get("sub_id"))
        change = _effect(event_type, event, _event_time(event, verified.issued_at))
        if change is None:
            continue  # a type with no effect on tokens
        named = subjects(subject, verified, aliases)
        # A session named narrows session-revoked and the claims events to it; the account events take the user.
        keys = (named.users or named.sessions) if event_type in USER_WIDE else (named.sessions or named.users)
        if not keys:
            raise SETError(Code.INVALID_REQUEST, "event names no subject")
        for key in keys:
            found[key] = found[key].merged(change) if key in found else change
    return found


def _event_time(event: Mapping[str, Any], issued_at: float) -> float:
    stamp = as_time(event.get("event_timestamp"))
    return min(stamp if stamp else issued_at, time.time())


def _effect(event_type: str, event: Mapping[str, Any], when: float) -> Record | None:
    if event_type == SESSION_REVOKED or event_type in USER_WIDE:
        return Record(before=when)
    if event_type == TOKEN_CLAIMS_CHANGE:
        claims = event.get("claims")
        if not isinstance(claims, dict) or not claims or len(claims) > MAX_CLAIMS:
            raise SETError(Code.INVALID_REQUEST, "claims missing or invalid")
        pinned = {name: value for name, value in claims.items() if name not in REGISTERED_CLAIMS}
        if any(len(json.dumps(value)) > MAX_CLAIM_BYTES for value in pinned.values()):
            raise SETError(Code.INVALID_REQUEST, "claims missing or invalid")
        return Record(claims=pinned, claims_at=when) if pinned else None
    if event_type == ASSURANCE_LEVEL_CHANGE:
        level = event.get("current_level")
        if not isinstance(level, str) or not level or len(level) > MAX_ID_LENGTH:
            raise SETError(Code.INVALID_REQUEST, "current_level missing or invalid")
        return Record(claims={"acr": level}, claims_at=when)
    return None


def subjects(subject: Any, verified: VerifiedSET, aliases: Mapping[str, str], depth: int = 0) -> Subjects:
    """The keys ``subject`` names; ``SETError`` for a subject of an unknown or malformed format."""
    if not isinstance(subject, dict) or depth > 2:
        raise SETError(Code.INVALID_REQUEST, "subject missing or invalid")
    token_issuers = sorted(verified.transmitter.token_issuers)
    named = Subjects()
    fmt = subject.get("format")
    if fmt == "iss_sub":
        iss, sub = _identifier(subject, "iss"), _identifier(subject, "sub")
        issuer = aliases.get(iss, iss)
        if issuer not in verified.transmitter.token_issuers:
            raise SETError(Code.ACCESS_DENIED, "subject of another issuer")
        named.users += subjects_of(SUBJECT, issuer, [sub])
    elif fmt == "email":
        email = _identifier(subject, "email")
        named.users += [key for iss in token_issuers for key in subjects_of(EMAIL, iss, [email])]
    elif fmt == "opaque":
        opaque = _identifier(subject, "id")
        named.users += [key for iss in token_issuers for key in subjects_of(SUBJECT, iss, [opaque])]
    elif fmt == "aliases":
        identifiers = subject.get("identifiers")
        if not isinstance(identifiers, list) or not identifiers or len(identifiers) > MAX_ALIASES:
            raise SETError(Code.INVALID_REQUEST, "subject missing or invalid")
        for item in identifiers:
            inner = subjects(item, verified, aliases, depth + 1)
            named.users += inner.users
            named.sessions += inner.sessions
    elif fmt == "complex":
        if subject.get("user") is not None:
            named.users += subjects(subject["user"], verified, aliases, depth + 1).users
        if subject.get("session") is not None:
            named.sessions += _session(subject["session"], token_issuers)
    elif "sid" not in subject:
        raise SETError(Code.INVALID_REQUEST, "subject format not supported")
    if "sid" in subject:
        named.sessions += [
            key for iss in token_issuers for key in subjects_of(SESSION, iss, [_identifier(subject, "sid")])
        ]
    return named


def _session(session: Any, token_issuers: list[str]) -> list[str]:
    """A ``complex`` subject's session: ``opaque`` (its ``id``) or any subject with a ``sid``."""
    if not isinstance(session, dict):
        raise SETError(Code.INVALID_REQUEST, "session subject invalid")
    if "sid" in session:
        sid = _identifier(session, "sid")
    elif session.get("format") == "opaque":
        sid = _identifier(session, "id")
    else:
        raise SETError(Code.INVALID_REQUEST, "session subject invalid")
    return [key for iss in token_issuers for key in subjects_of(SESSION, iss, [sid])]


def _identifier(subject: Mapping[str, Any], name: str) -> str:
    value = subject.get(name)
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise SETError(Code.INVALID_REQUEST, "subject missing or invalid")
    return value
