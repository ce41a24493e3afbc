"""Shared option handling for the jwks_* commands."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from jwks_auth.exceptions import ConfigurationError
from jwks_auth.keys.store import KeyStore
from jwks_auth.validation.validator import get_validator


def add_issuer_argument(parser: CommandParser) -> None:
    parser.add_argument("--issuer", help="Only this configured issuer (default: all).")


def selected_stores(issuer: str | None) -> list[KeyStore]:
    try:
        stores = get_validator().registry.stores
    except ConfigurationError as exc:
        raise CommandError(f"JWKS_AUTH cannot be read: {exc}") from exc
    if issuer:
        stores = [s for s in stores if issuer in s.config.accepted_issuers]
    if not stores:
        raise CommandError(f"No configured issuer matches {issuer!r}." if issuer else "JWKS_AUTH names no issuer.")
    return stores
