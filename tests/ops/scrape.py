"""Reading Prometheus text: a sample's value by name and labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, labels: Mapping[str, str] | None = None) -> float:
    """The sample's value, 0 when it is absent (a counter never incremented)."""
    return samples(text).get((name, frozenset((labels or {}).items())), 0.0)


def forged(token: str) -> str:
    """``token`` with other claims under its own signature: a forgery the signature check must catch."""
    import base64
    import json

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def scrape(client: Any) -> str:
    """The project's /metrics through Django's test client, checked to be Prometheus text."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    return str(response.content.decode())
