"""The scope set of a token, from its ``scope``/``scp`` claims and configured extras.

Policy (RFC 6749 3.3), the same for JWTs and introspection answers:

* A string claim is a space-delimited list: it is split on U+0020 only, never
  on other whitespace or control characters, and empty pieces (doubled,
  leading or trailing spaces) are skipped.
* Each piece of a string must be a scope-token (``%x21 / %x23-5B / %x5D-7E``,
  one or more). A piece that is not is **ignored**: it grants nothing, and
  the rest of the token's scopes stand. A scope only ever grants, so ignoring
  one can only narrow what a token may do, while refusing the whole token
  would let one odd value from the provider lock every user out.
* An array claim (``roles``, ``permissions``, an ``scp`` or ``scope`` array)
  holds whole values: each element is one value, never split or trimmed.
  A role ``"read admin"`` is the single value ``"read admin"``; it grants
  neither ``read`` nor ``admin``. Array elements are names the provider
  defines (Keycloak allows spaces and any Unicode in role names), so they are
  kept as they are; only empty strings are skipped. Required scopes are
  scope-tokens (``HasScopes.require`` refuses spaces), so no whole value with a
  space or a control character can ever match one by accident.
* A claim of any other type (a number, an object, an array with a non-string)
  makes the token invalid, as before.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jwks_auth.exceptions import InvalidClaims

#: RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


#: Scope strings up to this long are remembered (``SCOPE_MEMO_SIZE`` of them): a client's tokens repeat one.
SCOPE_MEMO_LENGTH = 512
SCOPE_MEMO_SIZE = 1024


@functools.lru_cache(maxsize=SCOPE_MEMO_SIZE)
def _remembered_scope_string(value: str) -> tuple[str, ...]:
    return _scope_string(value)


def _scope_string(value: str) -> tuple[str, ...]:
    """The scope-tokens of a space-separated ``scope`` string (RFC 6749 3.3); anything else in it is dropped."""
    return tuple(piece for piece in value.split(" ") if SCOPE_TOKEN.fullmatch(piece))


def scope_values(value: Any) -> list[str]:
    """The values one claim contributes; ``InvalidClaims`` for a claim of the wrong type."""
    if isinstance(value, str):
        return list(_remembered_scope_string(value) if len(value) <= SCOPE_MEMO_LENGTH else _scope_string(value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item for item in value if item]
    raise InvalidClaims("invalid scope claim")


def claim_at(claims: Mapping[str, Any], name: str | tuple[str, ...]) -> Any:
    """A claim by name, or by path (a tuple) into nested objects, e.g. Keycloak's roles."""
    if isinstance(name, str):
        return claims.get(name)
    value: Any = claims
    for part in name:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def scopes_from_claims(claims: Mapping[str, Any], scope_claims: Iterable[str | tuple[str, ...]]) -> frozenset[str]:
    """One set from ``scope``/``scp`` (string or array) and configured extras."""
    scopes: set[str] = set()
    for name in scope_claims:
        value = claims.get(name) if type(name) is str else claim_at(claims, name)
        if type(value) is str and len(value) <= SCOPE_MEMO_LENGTH:
            scopes.update(_remembered_scope_string(value))  # the common form, without a list per token
        elif value is not None:
            scopes.update(scope_values(value))
    return frozenset(scopes)
