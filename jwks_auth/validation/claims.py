"""The claim rules, one implementation for JWTs and for introspection answers.

``ClaimRules.check`` applies one ``validate_<claim>`` method per rule (in the
spirit of PyJWT's ``_validate_<claim>``) and raises ``TokenError`` with the
``Reason`` of the first rule broken. Both kinds of token are held to the
same rules; they differ only in what must be *present*:

* a JWT (RFC 9068) must carry ``iss``, ``exp`` and the audience claim, the
  issuer's ``REQUIRED_CLAIMS`` and one of ``REQUIRED_ONE_OF``, and every
  ``CLAIM_VALUES`` claim;
* an introspection answer (RFC 7662 2.2) may leave any of them out, but what
  it says is checked like a JWT's claim: an ``aud`` that is not ours, an
  ``exp`` in the past, a ``sub`` that is not a string are refused the same.

To change or add a rule, subclass ``ClaimRules`` and name the subclass in
``JWKS_AUTH["CLAIM_RULES"]`` (a dotted path or the class)::

    class OurRules(ClaimRules):
        def validate_extra(self, claims, context):
            if claims.get("tenant") not in ALLOWED_TENANTS:
                raise InvalidClaims("unknown tenant", code=Reason.CLAIM_VALUE)

Every method may be overridden; ``validate_extra`` is the one meant for
rules of one's own (it does nothing by default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf.settings import IssuerConfig, import_setting
from jwks_auth.exceptions import ConfigurationError, ExpiredToken, InvalidClaims
from jwks_auth.reasons import Reason
from jwks_auth.utils.json_numbers import is_finite_number
from jwks_auth.validation.delegation import check_delegation

#: Registered and well-known claims that must be strings when present (the
#: union of what RFC 7519, RFC 9068, RFC 7662 and the provider profiles name).
STRING_CLAIMS = ("iss", "sub", "jti", "client_id", "azp", "cid", "token_use", "username", "token_type")
#: What ``claims.get`` answers for a claim that is not there (``None`` is a value: a JSON null).
_ABSENT = object()
#: Claims that only ID tokens carry.
ID_TOKEN_CLAIMS = ("at_hash", "c_hash", "s_hash")


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a call per field, once per first-seen token
class ClaimContext:
    """What a rule is checked against: the issuer's configuration, the time, the token's kind (read it only)."""

    config: IssuerConfig
    now: float
    #: An RFC 7662 answer: the registered claims are optional there.
    introspected: bool = False

    @property
    def required(self) -> bool:
        return not self.introspected


class ClaimRules:
    """The claim checks; subclass to override one or add ``validate_extra``."""

    string_claims: tuple[str, ...] = STRING_CLAIMS
    id_token_claims: tuple[str, ...] = ID_TOKEN_CLAIMS
    #: The rules ``check`` applies, in order: ``validate_<name>`` each (``jwks_explain`` reports each one).
    rule_names: tuple[str, ...] = (
        "required",
        "types",
        "iss",
        "exp",
        "nbf",
        "iat",
        "aud",
        "claim_values",
        "not_id_token",
        "act",
        "extra",
    )

    def check(self, claims: Mapping[str, Any], config: IssuerConfig, now: float, *, introspected: bool = False) -> None:
        """Every rule, in a fixed order; ``TokenError`` for the first one broken."""
        context = ClaimContext(config, now, introspected)
        bound = self.__dict__.get("_bound_rules")
        if bound is None:  # built once per instance: eleven getattr per token showed in the profile
            bound = self.__dict__["_bound_rules"] = tuple(
                rule for name, rule in self.rules() if not self._does_nothing(name)
            )
        for rule in bound:
            rule(claims, context)

    def _does_nothing(self, name: str) -> bool:
        """Whether ``validate_<name>`` is the hook left as it is (``validate_extra`` not overridden): not called."""
        return name == "extra" and getattr(type(self), "validate_extra", None) is ClaimRules.validate_extra

    def rules(self) -> list[tuple[str, Callable[[Mapping[str, Any], ClaimContext], None]]]:
        """``(name, validate_<name>)`` for each rule of ``rule_names``, in order."""
        return [(name, getattr(self, f"validate_{name}")) for name in self.rule_names]

    # -- presence and types -------------------------------------------------------------------
    def validate_required(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        """``REQUIRED_CLAIMS`` (present, not null, not empty) and ``REQUIRED_ONE_OF``, for JWTs."""
        if not context.required:
            return
        config = context.config
        get = claims.get
        for name in config.required_claims:
            value = get(name)
            if value is None or value == "":
                raise InvalidClaims(f"missing required claim {name}", code=Reason.MISSING_CLAIM)
        if config.required_one_of and all(claims.get(name) is None for name in config.required_one_of):
            raise InvalidClaims(
                f"missing one of the claims {', '.join(config.required_one_of)}", code=Reason.MISSING_CLAIM
            )

    def validate_types(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        get = claims.get
        for name in self.string_claims:
            if type(get(name, "")) is not str:  # absent passes; present, it must be a string (null included)
                raise InvalidClaims(f"invalid {name} claim", code=Reason.CLAIM_TYPE)

    # -- registered claims ------------------------------------------------------------------------
    def validate_iss(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        if "iss" not in claims and not context.required:
            return
        if claims.get("iss") not in context.config.accepted_issuers:
            raise InvalidClaims("invalid issuer", code=Reason.UNTRUSTED_ISSUER)

    def validate_exp(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        if "exp" not in claims and not context.required:
            return
        exp = claims.get("exp")
        if not is_finite_number(exp):
            raise InvalidClaims("invalid exp claim", code=Reason.CLAIM_TYPE)
        # RFC 7519 4.1.4: refused "on or after" exp; nbf (4.1.5) and iat are
        # accepted up to and including now + leeway, the mirror image.
        if context.now >= exp + context.config.leeway:
            raise ExpiredToken()

    def validate_nbf(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        self._not_after_now(claims, context, "nbf", "token not yet valid", Reason.NOT_YET_VALID)

    def validate_iat(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        self._not_after_now(claims, context, "iat", "token issued in the future", Reason.ISSUED_IN_FUTURE)

    @staticmethod
    def _not_after_now(
        claims: Mapping[str, Any], context: ClaimContext, name: str, message: str, reason: Reason
    ) -> None:
        value = claims.get(name, _ABSENT)
        if value is _ABSENT:
            return
        if not is_finite_number(value):  # null included: a present claim has a value
            raise InvalidClaims(f"invalid {name} claim", code=Reason.CLAIM_TYPE)
        if value > context.now + context.config.leeway:
            raise InvalidClaims(message, code=reason)

    def validate_aud(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        """One of our audiences in the audience claim (a string or a non-empty array of strings)."""
        name = context.config.audience_claim
        if name not in claims and context.introspected:
            name = "aud"  # RFC 7662 names it aud whatever the issuer's JWTs use
        if context.introspected and claims.get(name) is None:
            return  # RFC 7662 makes aud optional; when the server says it, it must be us
        audience = claims.get(name)
        if type(audience) is str:  # the common form, without the list
            if audience not in context.config.audiences:
                raise InvalidClaims("invalid audience", code=Reason.AUDIENCE)
            return
        values = [audience] if isinstance(audience, str) else audience
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(item, str) for item in values)
            or context.config.audiences.isdisjoint(values)
        ):
            raise InvalidClaims("invalid audience", code=Reason.AUDIENCE)

    # -- the issuer's profile --------------------------------------------------------------------
    def validate_claim_values(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        for name, expected in context.config.claim_values.items():
            if name not in claims and not context.required:
                continue
            if claims.get(name) != expected:
                raise InvalidClaims(f"invalid {name} claim", code=Reason.CLAIM_VALUE)

    def validate_not_id_token(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        if not claims.keys().isdisjoint(self.id_token_claims):
            raise InvalidClaims("an ID token is not an access token", code=Reason.ID_TOKEN)

    def validate_act(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        """RFC 8693 ``act`` and ``may_act`` well formed, the current actor in ``ACCEPTED_ACTORS`` when it is set."""
        if "act" in claims or "may_act" in claims:
            check_delegation(claims, context.config.accepted_actors)

    def validate_extra(self, claims: Mapping[str, Any], context: ClaimContext) -> None:
        """A hook for rules of one's own; raise ``TokenError`` (e.g. ``InvalidClaims``) to refuse."""


#: The rules used when ``CLAIM_RULES`` is not set.
DEFAULT_RULES = ClaimRules()


def rules_from_settings() -> ClaimRules:
    """An instance of ``CLAIM_RULES`` (``ClaimRules`` or a subclass); ``ConfigurationError`` otherwise."""
    factory = import_setting("CLAIM_RULES")
    if factory is None or factory is ClaimRules:
        return DEFAULT_RULES
    try:
        rules = factory()
    except Exception as exc:  # a user's class that cannot be built: 503 and the check, never a 500
        raise ConfigurationError(f"JWKS_AUTH['CLAIM_RULES'] cannot be built: {type(exc).__name__}") from exc
    if not isinstance(rules, ClaimRules):
        raise ConfigurationError(
            "JWKS_AUTH['CLAIM_RULES'] must name a subclass of jwks_auth.validation.claims.ClaimRules."
        )
    return rules


def check_claims(claims: Mapping[str, Any], config: IssuerConfig, now: float) -> None:
    """A JWT's claims under the default rules; raises ``TokenError``."""
    DEFAULT_RULES.check(claims, config, now)
