"""Why this API would accept or refuse a token: each check, with the setting that governs it.

    python manage.py jwks_explain TOKEN [--scopes a b]
    pbpaste | python manage.py jwks_explain        # or "-": the token from stdin

The token is checked against the project's own ``JWKS_AUTH`` with the
library's own checks (``jwks_auth.management.token_report``); its keys are
fetched as a request would fetch them. Exit status 0 when the token would be
accepted, 1 otherwise. The decoded header and claims are printed (the
operator holds the token), never the token or its signature. Prefer stdin to
an argument: an argument stays in the shell's history.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwks_auth.exceptions import ConfigurationError
from jwks_auth.management.token_report import Report, Step, explainer_from_settings

#: A pasted "Authorization" value: the scheme before the token is not part of it.
_SCHEMES = ("bearer ", "dpop ")


def read_token(argument: str | None, stdin: Any) -> str:
    text = argument if argument not in (None, "-") else stdin.read(1 << 20)
    token = (text or "").strip()
    if token.lower().startswith(_SCHEMES):
        token = token.split(None, 1)[1].strip() if " " in token else ""
    if not token:
        raise CommandError("No token: give it as an argument, or on stdin.")
    return token


class Command(BaseCommand):
    help = "Check a token against this project's JWKS_AUTH step by step and say why it would be refused."
    requires_system_checks: list[str] = []
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", nargs="?", help="The access token; '-' or none: read it from stdin.")
        parser.add_argument("--scopes", nargs="+", default=[], metavar="SCOPE", help="Scopes a view requires.")

    def handle(self, *args: Any, **options: Any) -> None:
        token = read_token(options["token"], options.get("stdin") or sys.stdin)
        try:
            report = explainer_from_settings(options["scopes"]).explain(token)
        except ConfigurationError as exc:
            raise CommandError(f"JWKS_AUTH cannot be read: {exc} (run manage.py check)", returncode=1) from None
        self.print_report(report)
        if not report.accepted:
            failed = [step.name for step in report.steps if step.passed is False]
            raise CommandError(f"This API would refuse the token (failed: {', '.join(failed)}).", returncode=1)
        self.stdout.write(self.style.SUCCESS("This API would accept the token."))

    def print_report(self, report: Report) -> None:
        if report.config is not None:
            config = report.config
            self.stdout.write(f"Issuer {config.issuer}, PROFILE {config.profile!r}")
        for title, value in (("Header", report.header), ("Claims", report.claims)):
            if value is not None:
                self.stdout.write(f"{title}:\n" + json.dumps(value, indent=2, ensure_ascii=True))
        for step in report.steps:
            self.stdout.write(self.format_step(step))

    def format_step(self, step: Step) -> str:
        mark = {True: self.style.SUCCESS("PASS"), False: self.style.ERROR("FAIL"), None: " -- "}[step.passed]
        lines = [f"{mark}  {step.name:<20} {step.detail}", f"      {'':<20} setting: {step.governed_by}"]
        if step.hint:
            lines.append(self.style.WARNING(f"      {'':<20} hint: {step.hint}"))
        return "\n".join(lines)
