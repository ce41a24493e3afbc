"""The dev identity server as a Shared Signals transmitter (SSF 1.0, CAEP 1.0, RFC 8417, RFC 8935).

It publishes ``/.well-known/ssf-configuration`` (its issuer, the JWKS its
tokens are signed with, push delivery) and, when a user's session ends
(``account/logout/``, RP-initiated ``connect/endsession``: Django's
``user_logged_out`` signal), when ``manage.py revoke_sessions`` is run, or
when a client asks for its own sessions to end (``connect/revoke-sessions``,
a dev-only endpoint that ``call_api --revoke`` uses), it pushes a CAEP
``session-revoked`` Security Event Token to the API (``IDP_SSF_PUSH_URL``).

The subject is ``iss_sub`` with the ``sub`` the access tokens carry: the
user's id, or the client's id for client-credentials tokens (RFC 9068 2.2).
The tokens carry no ``sid``, so the event names the user: the API refuses
every token of theirs issued before it. A push has a short deadline
(``IDP_SSF_PUSH_TIMEOUT``) and its failure is logged, never raised: an API
that is down does not stop anyone from logging out.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from jwcrypto import jwt
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from idp.tokens import key_id, signing_key, subject_of

logger = logging.getLogger("idp.ssf")

SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
PUSH_DELIVERY = "urn:ietf:rfc:8935"
CONFIGURATION_MAX_AGE = 300


def iss_sub(sub: str) -> dict[str, str]:
    """RFC 9493 ``iss_sub``: this issuer and the ``sub`` of the tokens it issued."""
    return {"format": "iss_sub", "iss": oauth2_settings.OIDC_ISS_ENDPOINT, "sub": sub}


def session_revoked_set(subject: dict[str, Any], initiating_entity: str, when: float | None = None) -> str:
    """A signed CAEP ``session-revoked`` SET (``typ: secevent+jwt``, the key of the access tokens).

    ``event_timestamp`` keeps its fraction of a second: a token issued in the
    same second as the logout (its ``iat`` is whole seconds) counts as older.
    """
    now = time.time() if when is None else when
    claims = {
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
        "aud": settings.IDP_SSF_AUDIENCE,
        "iat": int(now),
        "jti": uuid.uuid4().hex,
        "sub_id": subject,
        "events": {SESSION_REVOKED: {"event_timestamp": now, "initiating_entity": initiating_entity}},
    }
    token = jwt.JWT(header={"alg": "RS256", "typ": "secevent+jwt", "kid": key_id()}, claims=claims)
    token.make_signed_token(signing_key())
    return str(token.serialize())


#: The most of the receiver's answer read (an RFC 8935 error is a small JSON object).
MAX_ANSWER_BYTES = 4096


def push(token: str) -> bool:
    """RFC 8935: POST the SET to ``IDP_SSF_PUSH_URL``; whether the receiver took it (202). Never raises.

    ``IDP_SSF_PUSH_TIMEOUT`` bounds the whole exchange, not each socket read
    (a receiver that trickles its answer cannot hold a logout): the POST runs
    in a thread joined with that deadline, and reads at most ``MAX_ANSWER_BYTES``.
    """
    url = settings.IDP_SSF_PUSH_URL
    if not url:
        return False
    deadline = float(settings.IDP_SSF_PUSH_TIMEOUT)
    outcome: list[bool] = []
    worker = threading.Thread(target=lambda: outcome.append(_post(url, token, deadline)), daemon=True, name="ssf-push")
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        logger.warning("Shared Signals: push to %s failed: no answer within %gs", url, deadline)
        return False
    return bool(outcome and outcome[0])


def _post(url: str, token: str, deadline: float) -> bool:
    headers = {"Content-Type": "application/secevent+jwt", "Accept": "application/json"}
    if settings.IDP_SSF_PUSH_AUTHORIZATION:
        headers["Authorization"] = settings.IDP_SSF_PUSH_AUTHORIZATION
    try:
        with requests.post(url, data=token.encode("ascii"), headers=headers, timeout=deadline, stream=True) as response:
            status = response.status_code
            answer = response.raw.read(MAX_ANSWER_BYTES, decode_content=True) if status != 202 else b""
    except requests.RequestException as exc:
        logger.warning("Shared Signals: push to %s failed: %s", url, type(exc).__name__)
        return False
    except Exception as exc:  # noqa: BLE001 - a push never raises (urllib3 errors of the body read, ...)
        logger.warning("Shared Signals: push to %s failed: %s", url, type(exc).__name__)
        return False
    if status != 202:
        # RFC 8935 2.3: the receiver's error code (a fixed word), never the SET.
        try:
            code = str(json.loads(answer).get("err", ""))[:64]
        except (ValueError, AttributeError):
            code = ""
        logger.warning("Shared Signals: push to %s refused: HTTP %s %s", url, status, code)
        return False
    logger.info("Shared Signals: session-revoked pushed to %s", url)
    return True


def revoke_sessions(sub: str, initiating_entity: str) -> bool:
    """Tell the API that every session of ``sub`` ended; whether it took the event."""
    return push(session_revoked_set(iss_sub(sub), initiating_entity))


@receiver(user_logged_out, dispatch_uid="idp.ssf.logout")
def push_on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Both logout views (account/logout/, connect/endsession) end the session with auth.logout()."""
    if user is not None and getattr(user, "pk", None) is not None:
        revoke_sessions(subject_of(user), "user")


class ConfigurationView(View):
    """SSF 1.0 7.1 transmitter metadata at ``/.well-known/ssf-configuration``."""

    def get(self, request: HttpRequest) -> JsonResponse:
        response = JsonResponse(
            {
                "spec_version": "1_0",
                "issuer": oauth2_settings.OIDC_ISS_ENDPOINT,
                "jwks_uri": request.build_absolute_uri(reverse("oauth2_provider:jwks-info")),
                "delivery_methods_supported": [PUSH_DELIVERY],
            }
        )
        response["Cache-Control"] = f"public, max-age={CONFIGURATION_MAX_AGE}"
        return response


def _authenticated_client(request: HttpRequest) -> str | None:
    """The client id of a confidential client authenticated as at the token endpoint: DOT's own check
    (HTTP Basic, id and secret form-urlencoded as RFC 6749 2.3.1 says), else None."""
    core_request = OAuthlibRequest(
        request.build_absolute_uri(),
        http_method="POST",
        headers={"HTTP_AUTHORIZATION": request.META.get("HTTP_AUTHORIZATION", "")},
    )
    if not OAuth2Validator().authenticate_client(core_request):
        return None
    client = core_request.client
    if client is None or client.client_type != client.CLIENT_CONFIDENTIAL:
        return None
    return str(client.client_id)


@method_decorator(csrf_exempt, name="dispatch")
class RevokeClientSessionsView(View):
    """Dev only: a confidential client ends its own sessions; the API then refuses its current tokens.

    Authenticated like the token endpoint (HTTP Basic with the client's
    secret); it can only name itself. Answers 204 when the API took the
    event, 502 when it did not (see the idp's log), 401 without valid
    client credentials.
    """

    def post(self, request: HttpRequest) -> HttpResponse:
        client_id = _authenticated_client(request)
        if client_id is None:
            response = JsonResponse({"error": "invalid_client"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="idp"'
            return response
        if not revoke_sessions(client_id, "user"):
            return JsonResponse(
                {"error": "push_failed", "error_description": "the API did not take the event"}, status=502
            )
        return HttpResponse(status=204)
