"""The dev identity server app: templates, management commands and system checks."""

from __future__ import annotations

from django.apps import AppConfig


class IdpConfig(AppConfig):
    name = "idp"
    verbose_name = "Dev identity server"

    def ready(self) -> None:
        from idp import checks  # noqa: F401 - registers the signing key check
        from idp import ssf  # noqa: F401 - pushes session-revoked on logout
