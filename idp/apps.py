"""The dev identity server app: templates, management commands and system checks."""

from __future__ import annotations

from django.apps import AppConfig


class IdpConfig(AppConfig):
    name = "idp"
    verbose_name = "Dev identity server"

    def ready(self) -> None:
        # The signing key check; the session-revoked push on logout.
        from idp import checks, ssf  # noqa: F401
