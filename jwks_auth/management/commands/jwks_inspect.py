"""Show the cached keys and how fresh they are."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, cast

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from jwks_auth.keys.jwks import KeySet, VerificationKey
from jwks_auth.management.commands._stores import add_issuer_argument, selected_stores


def _when(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def describe_key(key: VerificationKey) -> dict[str, Any]:
    info: dict[str, Any] = {
        "kid": key.kid,
        "kty": key.kty,
        "alg": key.alg,
        "crv": key.crv,
        "size": key.size,
        "thumbprint": key.thumbprint,
        "x5t": key.x5t,
    }
    cert = key.certificate
    if cert is not None:
        info["certificate"] = {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        }
    return info


class Command(BaseCommand):
    help = "Show the cached signing keys of the configured issuers, without fetching."

    def add_arguments(self, parser: CommandParser) -> None:
        add_issuer_argument(parser)
        parser.add_argument("--json", action="store_true", help="Print JSON for machines.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = time.time()
        report = []
        for store in selected_stores(options["issuer"]):
            status = store.status()
            for tier in ("shared", "local"):
                entry = status.get(tier)
                if entry:
                    entry["age"] = round(now - entry["fetched_at"], 1)
                    entry["fresh"] = now < entry["soft_expiry"]
                    for name in ("fetched_at", "soft_expiry", "hard_expiry"):
                        entry[name] = _when(entry[name])
            for name in ("last_error_at", "retry_not_before"):
                status[name] = _when(status.get(name))
            snapshot = store.cached()
            keyset = snapshot.keyset if snapshot else KeySet(())
            status["keys"] = [describe_key(key) for key in keyset.keys]
            status["skipped"] = [{"kid": kid, "reason": reason} for kid, reason in keyset.rejected]
            report.append(status)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        for status in report:
            self._print(status)

    def _print(self, status: dict[str, Any]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(status["issuer"]))
        self.stdout.write(f"  jwks_uri: {status['jwks_uri'] or '(discovered on first fetch)'}")
        for tier in ("shared", "local"):
            entry = status[tier]
            if not entry:
                self.stdout.write(f"  {'shared cache' if tier == 'shared' else 'this process'}: nothing cached")
                if tier == "shared" and not self._cache_is_shared(status["cache_alias"]):
                    self.stdout.write(
                        f"    (cache {status['cache_alias']!r} is per-process memory: a server's keys are not visible "
                        "from this command; point JWKS_AUTH['CACHE_ALIAS'] at a shared cache such as Redis)"
                    )
                continue
            state = "fresh" if entry["fresh"] else "stale"
            label = "shared cache" if tier == "shared" else f"this process (from {entry['source']})"
            self.stdout.write(
                f"  {label}: {len(entry['keys'])} key(s), {state}, age {entry['age']} s, "
                f"fetched {entry['fetched_at']}, "
                f"refresh after {entry['soft_expiry']}, served until {entry['hard_expiry']}"
            )
        if status["last_error"]:
            self.stdout.write(self.style.WARNING(f"  last error ({status['last_error_at']}): {status['last_error']}"))
        if status["retry_not_before"]:
            self.stdout.write(self.style.WARNING(f"  fetching paused until {status['retry_not_before']}"))
        for key in status["keys"]:
            line = f"  - kid={key['kid']} kty={key['kty']} alg={key['alg'] or '-'} size={key['size']}"
            if key["x5t"]:
                line += f" x5t={key['x5t']}"
            self.stdout.write(line)
            cert = key.get("certificate")
            if cert:
                self.stdout.write(f"      certificate {cert['subject']}, expires {cert['not_after']}")
        for skipped in status["skipped"]:
            self.stdout.write(self.style.WARNING(f"  - skipped kid={skipped['kid']}: {skipped['reason']}"))

    @staticmethod
    def _cache_is_shared(alias: str) -> bool:
        backend = cast(str, settings.CACHES.get(alias, {}).get("BACKEND", ""))
        return not backend.endswith(("LocMemCache", "DummyCache"))
