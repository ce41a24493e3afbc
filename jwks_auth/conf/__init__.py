"""Configuration: the settings table (``table``), its type rules (``rules``), their validation (``schema``),
the lazy ``JWKS_AUTH`` reader and issuer configs (``settings``) and provider profiles (``profiles``)."""

from jwks_auth.utils.moved_modules import names_moved_to

# Before 1.0 this package was the module jwks_auth/conf.py: its names still read, with a warning.
__getattr__ = names_moved_to(
    "jwks_auth.conf", "jwks_auth.conf.settings", frozenset({"profiles", "rules", "schema", "settings", "table"})
)
