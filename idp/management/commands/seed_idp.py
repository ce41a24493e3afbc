"""Create (or bring up to date) the sample's clients and test users. Safe to re-run."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from oauth2_provider.models import get_application_model

from idp.users import TEST_USERS

DEFAULT_API_URLS = ["http://localhost:5002", "http://127.0.0.1:5002"]

# Pages of the API's browser client and Swagger UI that receive the authorization response.
REDIRECT_PATHS = [
    "/client/callback.html",
    "/client/silent-renew.html",
    "/api-auth/callback.html",
    "/api/docs/oauth2-redirect.html",
]
POST_LOGOUT_PATHS = ["/client/", "/"]


def api_urls(option_urls: list[str]) -> list[str]:
    """--api-url values plus IDP_API_URLS (comma-separated); the dev API URLs if neither is given."""
    env_urls = [url.strip() for url in os.environ.get("IDP_API_URLS", "").split(",") if url.strip()]
    urls = [url.rstrip("/") for url in [*option_urls, *env_urls]] or DEFAULT_API_URLS
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"API URL must start with http:// or https://: {url!r}")
    return list(dict.fromkeys(urls))  # de-duplicated, order kept


class Command(BaseCommand):
    help = "Seed the dev idp: clients `client` (client credentials) and `spa` (code + PKCE), users bob and alice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--api-url",
            action="append",
            default=[],
            dest="api_urls",
            help="base URL of an API whose browser client may sign in (repeatable; default http://localhost:5002)",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        urls = api_urls(options["api_urls"])
        Application = get_application_model()

        client, _ = Application.objects.update_or_create(
            client_id="client",
            defaults={
                "name": "Console client (client credentials)",
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
                # Stored hashed (hash_client_secret); re-seeding re-hashes the same secret.
                "client_secret": "secret",
                "hash_client_secret": True,
                "redirect_uris": "",
                "algorithm": Application.NO_ALGORITHM,
                "skip_authorization": True,
            },
        )
        spa, _ = Application.objects.update_or_create(
            client_id="spa",
            defaults={
                "name": "Browser client (authorization code + PKCE)",
                "client_type": Application.CLIENT_PUBLIC,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "client_secret": "",
                "hash_client_secret": False,
                "redirect_uris": " ".join(url + path for url in urls for path in REDIRECT_PATHS),
                "post_logout_redirect_uris": " ".join(url + path for url in urls for path in POST_LOGOUT_PATHS),
                "algorithm": Application.RS256_ALGORITHM,
                "skip_authorization": True,  # first-party client: no consent page
            },
        )
        for app in (client, spa):
            app.full_clean()  # DOT's own validation of URIs, algorithm and secret

        User = get_user_model()
        for data in TEST_USERS:
            user, _ = User.objects.update_or_create(
                pk=data["id"],
                defaults={
                    "username": data["username"],
                    "first_name": data["claims"]["given_name"],
                    "last_name": data["claims"]["family_name"],
                    "email": data["claims"]["email"],
                    "is_active": True,
                },
            )
            user.set_password(data["password"])
            user.save(update_fields=["password"])

        self.stdout.write(
            self.style.SUCCESS(
                "Seeded clients `client` (client credentials, scope api1) and `spa` (code + PKCE) "
                f"for {', '.join(urls)}; users bob/bob (sub 88421113) and alice/alice (sub 818727)."
            )
        )
