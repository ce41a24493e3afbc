"""RFC 8935 push delivery: ``POST`` a SET as ``application/secevent+jwt``; 202, or 400 with an error code.

``path("", include("jwks_auth.urls"))`` serves it at ``/ssf/events`` (give
that URL to the transmitter as the stream's ``endpoint_url``). Answers:
202 (processed, or already processed: a redelivery), 400 ``{"err", "description"}``
(RFC 8935 2.3, fixed descriptions, never the SET), 404 when
``SHARED_SIGNALS`` names no transmitter, 405, 415 for another content type,
429 and 503 with ``Retry-After`` (the transmitter sends it again), and never
a 500.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from jwks_auth.exceptions import MISCONFIGURED_RETRY_AFTER, ConfigurationError
from jwks_auth.ssf.errors import ReceiverUnavailable, SETError, SETErrorCode
from jwks_auth.ssf.receiver import get_receiver
from jwks_auth.ssf.verification import MAX_SET_LENGTH

logger = logging.getLogger("jwks_auth.ssf")

CONTENT_TYPE = "application/secevent+jwt"


def _error(code: SETErrorCode, description: str) -> JsonResponse:
    logger.info("Shared Signals: SET refused: %s", code)
    return JsonResponse({"err": str(code), "description": description}, status=400)


def _unavailable(exc: ReceiverUnavailable) -> HttpResponse:
    logger.warning("Shared Signals: SET not processed now: %s", exc.description)
    response = JsonResponse({"description": exc.description}, status=exc.status)
    response["Retry-After"] = str(max(1, exc.retry_after))
    return response


@csrf_exempt
def receive_pushed_set(request: HttpRequest) -> HttpResponse:
    """The push endpoint (RFC 8935 2)."""
    try:
        receiver = get_receiver()
    except ConfigurationError as exc:
        logger.error("Shared Signals: JWKS_AUTH is misconfigured: %s", exc)  # names the setting, never its value
        response = HttpResponse(status=503)
        response["Retry-After"] = str(MISCONFIGURED_RETRY_AFTER)
        return response
    if receiver is None:
        return HttpResponse(status=404)
    if request.method != "POST":
        response = HttpResponse(status=405)
        response["Allow"] = "POST"
        return response
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != CONTENT_TYPE:
        return JsonResponse(
            {"err": "invalid_request", "description": "content type must be " + CONTENT_TYPE}, status=415
        )
    body = request.read(MAX_SET_LENGTH + 1)
    if len(body) > MAX_SET_LENGTH:
        return _error(SETErrorCode.INVALID_REQUEST, "SET too large")
    try:
        token = body.decode("ascii").strip()
    except UnicodeDecodeError:
        return _error(SETErrorCode.INVALID_REQUEST, "not a signed SET")
    try:
        receiver.receive(token, request.META.get("HTTP_AUTHORIZATION"), pushed=True)
    except SETError as exc:
        return _error(exc.code, exc.description)
    except ReceiverUnavailable as exc:
        return _unavailable(exc)
    except ConfigurationError as exc:
        logger.error("Shared Signals: JWKS_AUTH is misconfigured: %s", exc)
        return _unavailable(ReceiverUnavailable("receiver misconfigured", 60))
    return HttpResponse(status=202)
