"""RFC 9396 at the dev identity server's token endpoint: ``authorization_details`` in a token request.

A token request may carry ``authorization_details`` (RFC 9396 6.1), a JSON
array of objects with a string ``type``; the types this server knows are
``TYPES``. The accepted details go into the access token as the claim of the
same name (RFC 9396 9.1) and into the token response (RFC 9396 7). A malformed
value or an unknown type is 400 ``invalid_authorization_details`` (RFC 9396 5).
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

from django.http import HttpRequest, JsonResponse

#: The types of details this server grants: those of RFC 9396's own examples.
TYPES = ("payment_initiation", "account_information")
#: Common fields typed by RFC 9396 2.2 (arrays of strings; identifier a string).
_ARRAYS = ("locations", "actions", "datatypes", "privileges")
#: The details granted to the token request being served, for ``idp.tokens.access_token_claims``.
granted: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar("idp_rar", default=None)


def refuse(description: str) -> JsonResponse:
    response = JsonResponse({"error": "invalid_authorization_details", "error_description": description}, status=400)
    response["Cache-Control"] = "no-store"
    return response


def _valid(entry: Any) -> bool:
    if not isinstance(entry, dict) or entry.get("type") not in TYPES:
        return False
    arrays_ok = all(
        isinstance(entry[name], list) and all(isinstance(item, str) for item in entry[name])
        for name in _ARRAYS
        if name in entry
    )
    return arrays_ok and isinstance(entry.get("identifier", ""), str)


def requested(request: HttpRequest) -> tuple[list[dict[str, Any]] | None, JsonResponse | None]:
    """``(details, None)`` for the request's details (``None`` without any), or ``(None, refusal)``."""
    raw = request.POST.get("authorization_details")
    if raw is None:
        return None, None
    try:
        value = json.loads(raw)
    except ValueError:
        return None, refuse("authorization_details is not JSON")
    if not isinstance(value, list) or not value or not all(_valid(entry) for entry in value):
        return None, refuse(f"authorization_details must be an array of objects of a type among {list(TYPES)}")
    return value, None
