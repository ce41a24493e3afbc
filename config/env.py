"""Small helpers to read settings from environment variables."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_addresses(name: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as (host, port) pairs; a clear error for anything else."""
    addresses = []
    for item in env_list(name):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"{name}: expected host:port[,host:port...], got {item!r}")
        addresses.append((host, int(port)))
    return addresses


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    return float(value) if value else default
