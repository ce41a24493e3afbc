"""The front door's sender-constraint step: a validated token against the request it came with.

Run by every ``front_door.Scheme`` after validation, on every request, the
verified-token cache included: the proof is never cached. A plain bearer
token for an issuer that needs no nonce and does not require DPoP leaves at
once, without reading the request. The ``DPoP-Nonce`` a nonce issuer sends on
every answer (RFC 9449 8.2) goes into ``headers``, before the check, so that
a refusal carries it too.
"""

from __future__ import annotations

from django.http import HttpRequest

from jwks_auth.access_token import AccessToken, with_binding
from jwks_auth.sender.binding import check_binding
from jwks_auth.sender.components import get_sender_constraints
from jwks_auth.sender.django_request import request_facts

#: An issuer's policy when the token carries no configuration (a custom validator's).
_DEFAULT_POLICY = ("allowed", False, False)


def _policy(access_token: AccessToken) -> tuple[str, bool, bool]:
    """The issuer's ``DPOP``, whether it asks for nonces (never with DPoP off: no proof could carry one), and
    whether it accepts only sender-constrained tokens (``SECURITY_PROFILE`` fapi2)."""
    config = access_token.config
    if config is None:
        return _DEFAULT_POLICY
    return config.dpop, config.asks_dpop_nonce, config.sender_constrained


def needs_binding(access_token: AccessToken, *, dpop: bool) -> bool:
    """Whether ``constrain`` has anything to check (else it returns the token as it is, in memory)."""
    if dpop or "cnf" in access_token.claims:
        return True
    config = access_token.config
    # DPOP "required", a nonce to send, or a SECURITY_PROFILE: one attribute, computed once per issuer.
    return config is not None and config.binds_every_token


def constrain(
    access_token: AccessToken, token: str, request: HttpRequest, *, scheme: str, dpop: bool, headers: dict[str, str]
) -> AccessToken:
    """``access_token`` with its ``binding``; ``SenderError`` (401/400), ``ReplayUnavailable`` (503).

    ``scheme`` is the name of the request's scheme, ``dpop`` whether it is the
    DPoP scheme (whose request carries a proof); any other is a bearer scheme.
    """
    if not needs_binding(access_token, dpop=dpop):
        return access_token
    policy, nonce_required, sender_constrained = _policy(access_token)
    constraints = get_sender_constraints()
    if nonce_required:
        headers["DPoP-Nonce"] = constraints.nonces.current()
    extra = (constraints.settings.cert_header,) if constraints.settings.cert_header else ()
    binding = check_binding(
        access_token.claims,
        scheme=scheme,
        dpop=dpop,
        token=token,
        facts=lambda: request_facts(request, extra),
        policy=policy,
        nonce_required=nonce_required,
        sender_constrained=sender_constrained,
        verifier=constraints.verifier,
        settings=constraints.settings,
    )
    return access_token if binding is None else with_binding(access_token, binding)
