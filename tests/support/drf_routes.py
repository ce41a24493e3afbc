"""DRF's 403 trap, checked over a URLconf: JWKSAuthentication must come first wherever a view uses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from jwks_auth.authentication import JWKSAuthentication


def views(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, type]]:
    """(route, view class) of every class-based view below ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if view is not None:
                yield prefix + str(pattern.pattern), view


def jwks_first_problems(urlconf: str) -> tuple[int, list[str]]:
    """How many views use JWKSAuthentication, and the routes where another class comes before it."""
    checked, problems = 0, []
    for route, view in views(get_resolver(urlconf).url_patterns):
        classes = list(getattr(view, "authentication_classes", []) or [])
        if any(isinstance(c, type) and issubclass(c, JWKSAuthentication) for c in classes):
            checked += 1
            if not issubclass(classes[0], JWKSAuthentication):
                problems.append(f"{route}: {classes[0].__name__} comes first")
    return checked, problems
