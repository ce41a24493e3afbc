"""``/livez``, ``/readyz`` and ``/metrics``: plain Django views for orchestrators and scrapers.

None of them authenticates: expose them on an internal port or restrict
them at the proxy. Each answers ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from jwks_auth.conf.settings import jwks_settings
from jwks_auth.exceptions import DEFAULT_RETRY_AFTER
from jwks_auth.ops import metrics
from jwks_auth.ops.readiness import check_readiness, stores_or_none

logger = logging.getLogger("jwks_auth.ops")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def livez(request: HttpRequest) -> HttpResponse:
    """200 while the process serves requests; it never looks at the provider."""
    return _no_store(JsonResponse({"status": "alive"}))


#: Longest /readyz waits for keys to load (seconds): under a probe's usual budget.
readyz_timeout = 2.0


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every configured issuer has usable keys, else 503 with a reason per issuer."""
    legacy = jwks_settings.legacy("READINESS_TIMEOUT")  # the pre-1.0 setting, read until 1.1 (W010)
    try:
        timeout = readyz_timeout if legacy is None else float(legacy)
    except (TypeError, ValueError):
        timeout = readyz_timeout  # reported by the checks; the probe still answers
    readiness = check_readiness(timeout)
    response = JsonResponse(readiness.as_dict(), status=200 if readiness.ready else 503)
    if not readiness.ready:
        response["Retry-After"] = str(DEFAULT_RETRY_AFTER)
    return _no_store(response)


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format; 501 when prometheus-client is not installed."""
    if metrics.prometheus_client is None:
        return _no_store(HttpResponse("prometheus-client is not installed\n", status=501, content_type="text/plain"))
    try:
        body, content_type = metrics.exposition(stores_or_none)
    except (OSError, ValueError) as exc:  # PROMETHEUS_MULTIPROC_DIR missing or unwritable: say so, never 500
        logger.error("Prometheus metrics cannot be written or read: %s", type(exc).__name__)
        return _no_store(HttpResponse("metrics unavailable\n", status=503, content_type="text/plain"))
    return _no_store(HttpResponse(body, content_type=content_type))
