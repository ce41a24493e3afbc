"""System check: the browser client needs oidc-client-ts from npm (client_static/node_modules)."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.core.checks import Warning, register

LIBRARY = "vendor/oidc-client-ts/oidc-client-ts.min.js"


@register()
def oidc_client_ts_installed(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if finders.find(LIBRARY):
        return []
    return [
        Warning(
            f"The static file {LIBRARY} is missing: /client/, the browsable API's Log in "
            "and their callbacks will not work.",
            hint="Run `make client-deps` (npm ci in client_static/, versions pinned in package-lock.json).",
            id="client_static.W001",
        )
    ]
