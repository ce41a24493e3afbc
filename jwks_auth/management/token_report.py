"""Why this API would accept or refuse a token, step by step (``manage.py jwks_explain``).

Each step is the library's own check, called on its own: the strict JWS
parsing of ``validation.jws``, the header policy, the issuer registry and the
key store of ``TokenValidator``, the key's signature verification, each rule
of the configured ``ClaimRules`` (``rule_names``), the scope extraction and
the sender binding's ``cnf`` reading. Unlike validation, which stops at the
first failure, every step whose inputs exist is reported, with the settings
that govern it and, for refusals a setting commonly causes, the hint of
``validation.hints``. Nothing here prints the token or its signature.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jwks_auth.conf.settings import IssuerConfig, jwks_settings, normalise_typ
from jwks_auth.exceptions import KeysUnavailable, TokenError
from jwks_auth.keys.jwks import KeySet, VerificationKey, algorithm_allowed
from jwks_auth.keys.store import KeyStore
from jwks_auth.reasons import Reason
from jwks_auth.sender.binding import confirmation
from jwks_auth.validation import hints
from jwks_auth.validation.claims import ClaimContext
from jwks_auth.validation.jws import (
    ALLOWED_HEADER_MEMBERS,
    MAX_KID_LENGTH,
    check_header,
    decode_object,
    decode_segment,
    signing_input,
    split_jws,
)
from jwks_auth.validation.scopes import scopes_from_claims
from jwks_auth.validation.validator import TokenValidator, get_validator

#: The settings each claim rule reads (``ClaimRules.rule_names``).
RULE_SETTINGS = {
    "required": "REQUIRED_CLAIMS, REQUIRED_ONE_OF (from PROFILE)",
    "types": "none (registered claims are strings)",
    "iss": "ISSUER, ALIASES",
    "exp": "LEEWAY (at most 10 s under SECURITY_PROFILE fapi2)",
    "nbf": "LEEWAY (at most 10 s under SECURITY_PROFILE fapi2)",
    "iat": "LEEWAY (at most 10 s under SECURITY_PROFILE fapi2)",
    "aud": "AUDIENCE, AUDIENCE_CLAIM (from PROFILE)",
    "claim_values": "CLAIM_VALUES (from PROFILE)",
    "not_id_token": "none (an ID token is never an access token)",
    "act": "ACCEPTED_ACTORS (RFC 8693 act and may_act)",
    "extra": "CLAIM_RULES",
}


@dataclass
class Step:
    """One check: ``passed`` ``True``/``False``, or ``None`` for a note that decides nothing."""

    name: str
    passed: bool | None
    detail: str
    governed_by: str
    hint: str | None = None


@dataclass
class Report:
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    config: IssuerConfig | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return bool(self.steps) and not any(step.passed is False for step in self.steps)

    def add(self, *args: Any, **kwargs: Any) -> Step:
        step = Step(*args, **kwargs)
        self.steps.append(step)
        return step


def _label(value: Any) -> str:
    """A token's value for the operator's terminal: printable, bounded."""
    if not isinstance(value, str):
        text = json.dumps(value, ensure_ascii=True, default=repr)
        return text[:120] + ("..." if len(text) > 120 else "")
    text = value.encode("unicode_escape").decode("ascii")
    return repr(text[:120] + ("..." if len(text) > 120 else ""))


class TokenExplainer:
    """Explains tokens against one validator (``TokenValidator.from_settings()``: the project's own settings)."""

    def __init__(self, validator: TokenValidator, required_scopes: Iterable[str] = ()) -> None:
        self.validator = validator
        self.required_scopes = frozenset(required_scopes)

    def explain(self, token: str) -> Report:
        report = Report()
        segments = self._format(token, report)
        if segments is None:
            return report
        header, claims, data, signature = segments
        report.header, report.claims = header, claims
        found = self._issuer(claims, report)
        if found is None:
            return report
        config, store = found
        report.config = config
        alg_kid = self._header(header, claims, config, report)
        key = self._key(store, alg_kid, report) if alg_kid else None
        if key is not None and alg_kid is not None:
            self._signature(key, alg_kid[0], data, signature, report)
        self._claims(header, claims, config, report)
        self._scopes(claims, config, report)
        self._binding(claims, config, report)
        return report

    # -- the compact JWS --------------------------------------------------------------------
    def _format(self, token: str, report: Report) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes | None] | None:
        limit = self.validator.max_length
        try:
            header_b64, payload_b64, signature_b64 = split_jws(token, limit)
        except TokenError as exc:
            if exc.code is Reason.TOO_LARGE:
                report.add(
                    "format",
                    False,
                    f"{len(token)} characters, longer than {limit}",
                    "TokenValidator.max_length (fixed)",
                )
            elif self.validator.introspector is not None:
                detail = "not a JWS: an opaque token, asked about at the issuer's introspection endpoint (not here)"
                report.add("format", False, detail, "INTROSPECTION")
            else:
                detail = "not a compact JWS (three base64url segments separated by dots)"
                report.add("format", False, detail, "none (RFC 7515)")
            return None
        try:
            header, claims = decode_object(header_b64), decode_object(payload_b64)
        except TokenError:
            report.add("format", False, "the header or the payload is not a base64url JSON object", "none (RFC 7515)")
            return None
        try:
            signature: bytes | None = decode_segment(signature_b64)
        except TokenError:
            signature = None
        detail = f"a compact JWS of {len(token)} characters (at most {limit})"
        report.add("format", True, detail, "TokenValidator.max_length (fixed)")
        return header, claims, signing_input(token, header_b64, payload_b64), signature

    # -- the issuer -------------------------------------------------------------------------
    def _issuer(self, claims: Mapping[str, Any], report: Report) -> tuple[IssuerConfig, KeyStore] | None:
        registry = self.validator.registry
        found = registry.get(claims.get("iss"))
        if found is not None:
            report.add("issuer", True, f"iss {_label(claims['iss'])} is a trusted issuer", "ISSUER, ISSUERS, ALIASES")
            return found
        trusted = sorted(iss for store in registry.stores for iss in store.config.accepted_issuers)
        iss = claims.get("iss")
        close = [t for t in trusted if isinstance(iss, str) and t.rstrip("/").lower() == iss.rstrip("/").lower()]
        hint = f"it nearly equals {close[0]!r}: ISSUER must be the exact iss of the tokens" if close else None
        detail = f"iss {_label(iss)} is none of the trusted issuers {trusted}"
        report.add("issuer", False, detail, "ISSUER, ISSUERS, ALIASES", hint)
        if registry.only is None:
            report.add("rest", None, "not checked: no issuer's settings apply to this token", "ISSUERS")
            return None
        report.add("issuer", None, f"the other steps use the settings of the only issuer, {trusted[0]}", "ISSUER")
        return registry.only

    # -- the header ---------------------------------------------------------------------------
    def _header(
        self, header: Mapping[str, Any], claims: Mapping[str, Any], config: IssuerConfig, report: Report
    ) -> tuple[str, str] | None:
        extra = sorted(set(header) - ALLOWED_HEADER_MEMBERS)
        detail = f"members {sorted(header)}" + (f"; not allowed: {extra}" if extra else "")
        report.add("header", not extra, detail, "none (keys never come from the token: no jwk, jku, x5u, x5c)")
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        alg_ok = type(alg) is str and algorithm_allowed(alg, config.algorithms)
        report.add("alg", alg_ok, f"alg {_label(alg)}, allowed: {sorted(config.algorithms)}", "ALGORITHMS")
        kid_ok = type(kid) is str and 0 < len(kid) <= MAX_KID_LENGTH
        report.add("kid", kid_ok, f"kid {_label(kid)}" if kid_ok else "missing, empty or too long", "none")
        typ_ok = ("typ" not in header or type(typ) is str) and normalise_typ(typ) in config.token_types
        accepted = sorted(str(t) for t in config.token_types)
        shown = "no typ header" if typ is None else f"typ {_label(typ)}"
        step = report.add(
            "typ", typ_ok, f"{shown}; PROFILE {config.profile!r} accepts {accepted}", "PROFILE, TOKEN_TYPES"
        )
        if not typ_ok:
            step.hint = hints.profile_hint(header, claims, config)
        try:
            return check_header(header, config)  # the policy itself: the steps above only say why
        except TokenError as exc:
            if not extra and alg_ok and kid_ok and typ_ok:
                report.add("header policy", False, exc.description, "none")
        # Refused, but its key and signature still say whether the rest of the token is sound.
        return (str(alg), str(kid)) if alg_ok and kid_ok else None

    # -- the key and the signature ----------------------------------------------------------------
    def _key(self, store: KeyStore, alg_kid: tuple[str, str], report: Report) -> VerificationKey | None:
        alg, kid = alg_kid
        governed = "ISSUER (discovery) or JWKS_URI, ALLOW_INSECURE_HTTP, HTTP['TIMEOUT']"
        try:
            key, keyset = store.get_key(kid, alg)
        except KeysUnavailable:
            error = store.status().get("last_error") or "no key set could be had"
            report.add("key", False, f"the issuer's keys cannot be had: {error}", governed)
            return None
        except TokenError:
            report.add("key", False, self._missing_key(store, kid, alg), governed)
            return None
        where = store.status().get("jwks_uri") or "the JWKS"
        report.add("key", True, f"kid {_label(kid)} is a {key.kty} key of {where} ({len(keyset)} key(s))", governed)
        report.add("algorithm", True, f"{alg} is allowed and the key accepts it", "ALGORITHMS")
        return key

    @staticmethod
    def _missing_key(store: KeyStore, kid: str, alg: str) -> str:
        try:
            keyset: KeySet = store.snapshot().keyset
        except (KeysUnavailable, TokenError):
            return f"no key with kid {_label(kid)}"
        if kid in keyset:
            return f"the key with kid {_label(kid)} does not accept {alg} (another key type or alg)"
        return f"no key with kid {_label(kid)} among {sorted(k.kid for k in keyset.keys)[:10]}"

    @staticmethod
    def _signature(key: VerificationKey, alg: str, data: bytes, signature: bytes | None, report: Report) -> None:
        valid = signature is not None and key.verify(alg, data, signature)
        detail = f"valid {alg} signature" if valid else f"the signature does not verify with this {alg} key"
        report.add("signature", valid, detail, "none (the issuer's key)")

    # -- the claims ---------------------------------------------------------------------------
    def _claims(self, header: Mapping[str, Any], claims: Mapping[str, Any], config: IssuerConfig, r: Report) -> None:
        context = ClaimContext(config, time.time())
        for name, rule in self.validator.rules.rules():
            try:
                rule(claims, context)
            except TokenError as exc:
                detail = exc.description
                if name == "aud":
                    found = claims.get(config.audience_claim)
                    detail += f": {config.audience_claim} {_label(found)}, AUDIENCE {sorted(config.audiences)}"
                step = r.add(f"claims: {name}", False, detail, RULE_SETTINGS.get(name, "CLAIM_RULES"))
                step.hint = hints.refusal_hint(exc, header, claims, config)
                continue
            r.add(
                f"claims: {name}",
                True,
                self._claim_detail(name, claims, config, context),
                RULE_SETTINGS.get(name, "CLAIM_RULES"),
            )
        revoked = self.validator.is_revoked
        if revoked is not None:
            self._revocation(revoked, claims, r)

    @staticmethod
    def _claim_detail(name: str, claims: Mapping[str, Any], config: IssuerConfig, context: ClaimContext) -> str:
        if name == "exp" and isinstance(claims.get("exp"), (int, float)):
            return f"expires in {claims['exp'] - context.now:.0f} s (leeway {config.leeway:g} s)"
        if name == "aud":
            return f"{config.audience_claim} holds one of AUDIENCE {sorted(config.audiences)}"
        if name == "required":
            return f"present: {', '.join(config.required_claims)}"
        return "ok"

    @staticmethod
    def _revocation(is_revoked: Callable[[Mapping[str, Any]], bool], claims: Mapping[str, Any], r: Report) -> None:
        try:
            revoked = bool(is_revoked(claims))
        except Exception as exc:  # the operator's hook: its failure is a 503 at run time
            r.add("revocation", False, f"IS_REVOKED failed: {type(exc).__name__} (a 503)", "IS_REVOKED")
            return
        r.add("revocation", not revoked, "revoked" if revoked else "not revoked", "IS_REVOKED")

    # -- scopes and binding ---------------------------------------------------------------------
    def _scopes(self, claims: Mapping[str, Any], config: IssuerConfig, report: Report) -> None:
        read = ", ".join(hints.claim_label(name) for name in config.scope_claims)
        governed = f"SCOPE_CLAIMS ({read}, from PROFILE {config.profile!r})"
        try:
            granted = scopes_from_claims(claims, config.scope_claims)
        except TokenError as exc:
            report.add("scopes", False, exc.description, governed)
            return
        by_claim = hints.scopes_in_claims(claims, config.scope_claims)
        detail = "; ".join(f"{label}: {' '.join(values)}" for label, values in by_claim.items()) or "none found"
        step = report.add("scopes", True, detail, governed)
        unread = hints.unread_scope_claims(claims, config)
        if unread and not granted:
            named = ", ".join(f"{label} ({' '.join(values[:5])})" for label, values in unread.items())
            step.hint = (
                f"scope-like values are in {named}, which SCOPE_CLAIMS does not read: set SCOPE_CLAIMS or PROFILE"
            )
        if self.required_scopes:
            missing = sorted(self.required_scopes - granted)
            detail = "all present" if not missing else f"missing: {' '.join(missing)}"
            step = report.add("required scopes", not missing, detail, "the view's required_scopes (--scopes)")
            step.hint = hints.scope_hint(claims, config, missing) if missing else None

    @staticmethod
    def _binding(claims: Mapping[str, Any], config: IssuerConfig, report: Report) -> None:
        governed = f"DPOP ({config.dpop!r}), PROXY['CLIENT_CERT_HEADER']"
        try:
            jkt, x5t = confirmation(claims)
        except TokenError as exc:
            report.add("binding", False, exc.description, governed)
            return
        if jkt is not None:
            usable = config.dpop != "off"
            detail = f"DPoP-bound (cnf.jkt {_label(jkt)}): send it as 'Authorization: DPoP' with a proof of that key"
            report.add(
                "binding", usable, detail if usable else "DPoP-bound, but DPOP is 'off' for this issuer", governed
            )
        elif config.dpop == "required":
            report.add("binding", False, "a bearer token, but DPOP is 'required' for this issuer", governed)
        else:
            report.add("binding", True, "a bearer token: 'Authorization: Bearer'", governed)
        if x5t is not None:
            header = jwks_settings.PROXY["CLIENT_CERT_HEADER"]
            detail = f"certificate-bound (cnf.x5t#S256): the client certificate comes from header {header!r}"
            report.add(
                "binding",
                bool(header),
                detail if header else "certificate-bound, no PROXY['CLIENT_CERT_HEADER']",
                governed,
            )


def explainer_from_settings(required_scopes: Iterable[str] = ()) -> TokenExplainer:
    """An explainer with the project's own validator (``ConfigurationError`` for settings that cannot work)."""
    return TokenExplainer(get_validator(), required_scopes)
