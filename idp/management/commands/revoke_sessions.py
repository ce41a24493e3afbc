"""End a user's (or a client's) sessions: push CAEP session-revoked to the API (idp.ssf).

    python manage.py revoke_sessions bob --settings=idp.settings
    python manage.py revoke_sessions --client client --settings=idp.settings

The API then refuses every access token of theirs issued before now. Exits
non-zero when the user or client is unknown or the API did not take the event.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.models import get_application_model

from idp.ssf import revoke_sessions
from idp.tokens import subject_of


class Command(BaseCommand):
    help = "Revoke a user's (or with --client, a client's) sessions: the API refuses their current access tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="the user whose sessions end")
        parser.add_argument("--client", help="a client id: its client-credentials tokens (sub = client id)")

    def handle(self, *args: Any, **options: Any) -> None:
        username, client_id = options["username"], options["client"]
        if bool(username) == bool(client_id):
            raise CommandError("Name a user or --client CLIENT_ID (one of them).")
        if client_id:
            if not get_application_model().objects.filter(client_id=client_id).exists():
                raise CommandError(f"No client {client_id!r}.")
            sub, who = client_id, f"client {client_id}"
        else:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}.")
            sub, who = subject_of(user), f"user {username} (sub {subject_of(user)})"
        if not revoke_sessions(sub, "admin"):
            raise CommandError(f"The API did not take the session-revoked event for {who}: see the log above.")
        self.stdout.write(self.style.SUCCESS(f"Sessions of {who} revoked: the API refuses their older tokens."))
