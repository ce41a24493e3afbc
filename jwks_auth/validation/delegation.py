"""RFC 8693 delegation: the ``act`` (actor) and ``may_act`` claims of a token obtained by token exchange, read
to the letter.

``act`` (RFC 8693 4.1) names the party acting for the token's subject: a JSON object with a string ``sub``
and optionally a string ``iss``, possibly holding an ``act`` of its own for the party that acted before it.
The chain reads outermost first: the first ``Actor`` is the current one, the only one that counts for access
control (RFC 8693 4.1: prior actors are informational). ``may_act`` (4.4) says who may become the actor: a
JSON object whose ``sub`` and ``iss``, when present, are strings.

Both are hostile input: anything else (a string, an array, an empty ``sub``, a chain deeper than
``MAX_ACTORS``) is ``InvalidClaims`` with a fixed description, 401 ``invalid_token`` at every door, and the
value is never echoed. A token is checked once, when validated (``ClaimRules.validate_act``); a token
without either claim costs one lookup there and nothing on later requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jwks_auth.exceptions import InvalidClaims
from jwks_auth.reasons import Reason

__all__ = ["MAX_ACTORS", "Actor", "actor_accepted", "check_delegation", "read_actor_chain", "read_may_act"]

#: The fixed description of a token whose ``act`` or ``may_act`` is malformed.
MALFORMED_DELEGATION = "invalid act claim"
#: The fixed description of a token whose current actor the issuer's ``ACCEPTED_ACTORS`` does not list.
ACTOR_REFUSED = "actor not accepted"
#: The longest chain read: real exchanges nest two or three; a deeper one is refused, not walked.
MAX_ACTORS = 16


@dataclass(frozen=True, slots=True)
class Actor:
    """One party of an ``act`` chain: its ``sub``, its ``iss`` if it says one, and its other members."""

    sub: str
    iss: str | None = None
    #: The actor's members, its nested ``act`` left out.
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def __str__(self) -> str:
        return self.sub if self.iss is None else f"{self.sub} ({self.iss})"


def _malformed() -> InvalidClaims:
    return InvalidClaims(MALFORMED_DELEGATION, code=Reason.CLAIM_TYPE)


def _party(value: Any, *, sub_required: bool) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed()
    sub, iss = value.get("sub"), value.get("iss")
    if (sub_required or "sub" in value) and (not isinstance(sub, str) or not sub):
        raise _malformed()
    if "iss" in value and (not isinstance(iss, str) or not iss):
        raise _malformed()
    return value


def read_actor_chain(claims: Mapping[str, Any]) -> tuple[Actor, ...]:
    """The ``act`` chain, outermost (current) actor first; ``()`` without ``act``; ``InvalidClaims`` if malformed."""
    if "act" not in claims:
        return ()
    chain: list[Actor] = []
    value: Any = claims["act"]
    while True:
        if len(chain) == MAX_ACTORS:
            raise _malformed()
        party = _party(value, sub_required=True)
        members = MappingProxyType({name: item for name, item in party.items() if name != "act"})
        chain.append(Actor(party["sub"], party.get("iss"), members))
        if "act" not in party:
            return tuple(chain)
        value = party["act"]


def read_may_act(claims: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of ``may_act`` (JSON-serialisable as it is), ``None`` without it; ``InvalidClaims`` if malformed."""
    if "may_act" not in claims:
        return None
    return dict(_party(claims["may_act"], sub_required=False))


def actor_accepted(actor: Actor, accepted: frozenset[tuple[str | None, str]]) -> bool:
    """Whether ``ACCEPTED_ACTORS`` (as ``(iss or None, sub)`` pairs) lists ``actor``.

    An entry without ``iss`` names a ``sub`` from any issuer; one with ``iss`` needs the actor to say that
    ``iss``.
    """
    return (None, actor.sub) in accepted or (actor.iss is not None and (actor.iss, actor.sub) in accepted)


def check_delegation(claims: Mapping[str, Any], accepted: frozenset[tuple[str | None, str]] | None) -> None:
    """``act`` and ``may_act`` well formed, and the current actor accepted; ``InvalidClaims`` otherwise."""
    chain = read_actor_chain(claims)
    read_may_act(claims)
    if chain and accepted is not None and not actor_accepted(chain[0], accepted):
        raise InvalidClaims(ACTOR_REFUSED, code=Reason.ACTOR)
