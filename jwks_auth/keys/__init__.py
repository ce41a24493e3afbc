"""Keys: a JWKS parsed and checked key by key (``jwks``, ``material``), fetched over HTTP within a deadline
(``http``, ``deadline``), and held for every worker by the key store (``store``)."""

from jwks_auth.utils.moved_modules import names_moved_to

# Before 1.0 this package was the module jwks_auth/keys.py: its names still read, with a warning.
__getattr__ = names_moved_to(
    "jwks_auth.keys", "jwks_auth.keys.jwks", frozenset({"deadline", "http", "jwks", "material", "store"})
)
