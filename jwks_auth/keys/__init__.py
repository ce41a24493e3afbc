"""Keys: a JWKS parsed and checked key by key (``jwks``, ``material``), fetched over HTTP within a deadline
(``http``, ``deadline``), and held for every worker by the key store (``store``)."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Before 1.0 this package was the module jwks_auth/keys.py: its names still read, with a warning.
    import importlib
    import warnings

    if name.startswith("__") or name in ("deadline", "http", "jwks", "material", "store"):
        raise AttributeError(name)  # a submodule not imported yet: the import system loads it
    value = getattr(importlib.import_module("jwks_auth.keys.jwks"), name)
    warnings.warn(f"jwks_auth.keys.{name} moved to jwks_auth.keys.jwks.{name}.", DeprecationWarning, stacklevel=2)
    return value
