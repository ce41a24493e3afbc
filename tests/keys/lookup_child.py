"""Fetches run in a process whose /etc/resolv.conf points at the test's DNS server.

    unshare -m sh -c 'mount --bind RESOLV /etc/resolv.conf && python -m tests.keys.lookup_child SPEC'

SPEC is a JSON object: ``urls`` to fetch one after another, ``timeout`` (the
HTTP_TIMEOUT pair) and ``parallel`` (how many fetches of the first URL to
start at once, for the cap on pending lookups), ``verify`` (HTTP_VERIFY: a CA
bundle for https). Prints one JSON object: for
each fetch, whether it got a document, the FetchError's text, the seconds.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    import django
    from django.conf import settings

    settings.configure(
        JWKS_AUTH={
            "ISSUER": "https://login.example.test",
            "AUDIENCE": "api1",
            "ALLOW_INSECURE_HTTP": True,
            "HTTP_TIMEOUT": spec["timeout"],
            "HTTP_VERIFY": spec.get("verify", True),
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    django.setup()
    from jwks_auth.exceptions import FetchError
    from jwks_auth.keys.http import fetch_json

    def fetch(url: str) -> dict[str, Any]:
        started = time.monotonic()
        try:
            document = fetch_json(url).document
        except FetchError as exc:
            return {"url": url, "ok": False, "error": str(exc), "seconds": time.monotonic() - started}
        return {"url": url, "ok": True, "keys": len(document.get("keys", [])), "seconds": time.monotonic() - started}

    results = [fetch(url) for url in spec.get("urls", [])]
    parallel = int(spec.get("parallel", 0))
    if parallel:
        with ThreadPoolExecutor(parallel) as pool:
            results += list(pool.map(fetch, [spec["parallel_url"]] * parallel))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
