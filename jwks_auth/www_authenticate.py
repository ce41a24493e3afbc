"""The RFC 6750 ``WWW-Authenticate: Bearer`` challenge, built without DRF."""
from __future__ import annotations

import re
from collections.abc import Iterable

from jwks_auth.conf import jwks_settings
from jwks_auth.metadata import resource_metadata_url

# RFC 6750 3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E.
_UNSAFE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def _quote(value: str) -> str:
    return '"' + _UNSAFE.sub("", value)[:200] + '"'


def bearer_challenge(
    error: str | None = None, description: str | None = None, scopes: Iterable[str] | None = None
) -> str:
    """The value of a ``WWW-Authenticate`` header for the Bearer scheme."""
    params = [f"realm={_quote(jwks_settings.REALM)}"]
    if error:
        params.append(f"error={_quote(error)}")
    if description:
        params.append(f"error_description={_quote(description)}")
    if scopes:
        params.append(f"scope={_quote(' '.join(sorted(scopes)))}")
    metadata = resource_metadata_url()
    if metadata:
        params.append(f"resource_metadata={_quote(metadata)}")
    return "Bearer " + ", ".join(params)
