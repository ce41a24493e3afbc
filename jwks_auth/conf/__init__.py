"""Configuration: the ``JWKS_AUTH`` settings (``settings``), their schema (``schema``) and provider profiles."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Before 1.0 this package was the module jwks_auth/conf.py: its names still read, with a warning.
    import importlib
    import warnings

    if name.startswith("__") or name in ("profiles", "rules", "schema", "settings", "table"):
        raise AttributeError(name)  # a submodule not imported yet: the import system loads it
    value = getattr(importlib.import_module("jwks_auth.conf.settings"), name)
    warnings.warn(f"jwks_auth.conf.{name} moved to jwks_auth.conf.settings.{name}.", DeprecationWarning, stacklevel=2)
    return value
