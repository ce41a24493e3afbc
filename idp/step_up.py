"""Step-up at the dev identity server: a second factor, ``acr_values`` and ``max_age`` (OIDC Core 3.1.2.1).

An authorization request with ``acr_values`` naming ``ACR_MFA`` sends a user
who has not passed the second factor since their password login to the
one-time-code page (the dev users' codes are in ``idp.users``); one with
``max_age`` sends a user whose last authentication is older back to the
login page. Access tokens then say what happened: ``acr`` is ``ACR_MFA``
after the second factor, ``ACR_PASSWORD`` otherwise, and ``auth_time`` is
the time of the latest of the two (``access_token_claims``). This is what an
API's RFC 9470 challenge (``acr_values``, ``max_age``) asks the client to
come back with.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views import View
from oauth2_provider import views as dot

from idp.models import SecondFactor
from idp.users import second_factor_code

ACR_PASSWORD = "urn:jwks-auth:pwd"
ACR_MFA = "urn:jwks-auth:mfa"


def authentication_of(user: Any) -> tuple[str, int | None]:
    """``(acr, auth_time)`` of ``user``'s current session at this server."""
    last_login = getattr(user, "last_login", None)
    factor = SecondFactor.objects.filter(user=user).first() if getattr(user, "pk", None) is not None else None
    if factor is not None and last_login is not None and factor.verified_at >= last_login:
        return ACR_MFA, int(factor.verified_at.timestamp())
    return ACR_PASSWORD, None if last_login is None else int(last_login.timestamp())


def _max_age(request: HttpRequest) -> int | None:
    value = request.GET.get("max_age", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


class StepUpAuthorizationView(dot.AuthorizationView):
    """DOT's authorization endpoint, honouring ``max_age`` and ``acr_values`` for a signed-in user."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            acr, auth_time = authentication_of(user)
            max_age = _max_age(request)
            if max_age is not None and (auth_time is None or timezone.now().timestamp() - auth_time > max_age):
                # OIDC Core 3.1.2.1: the user must authenticate again. As DOT's prompt=login, the
                # request resumes without max_age once they have: a login just made is recent enough.
                logout(request)
                query = {name: value for name, value in request.GET.items() if name != "max_age"}
                resume = f"{request.path}?{urlencode(query)}"
                return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': resume})}")
            if ACR_MFA in request.GET.get("acr_values", "").split() and acr != ACR_MFA:
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('second-factor')}?{query}")
        return super().get(request, *args, **kwargs)


def _safe_next(value: str) -> str | None:
    """Only this server's own authorization endpoint is followed (no open redirect)."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != reverse("oauth2_provider:authorize"):
        return None
    return value


@method_decorator(login_required, name="dispatch")
class SecondFactorView(View):
    """The one-time-code page: a right code records the second factor and resumes the authorization."""

    template_name = "idp/second_factor.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"next": request.GET.get("next", "")})

    def post(self, request: HttpRequest) -> HttpResponse:
        next_url = _safe_next(request.POST.get("next", ""))
        if next_url is None:
            return HttpResponseBadRequest("bad next")
        expected = second_factor_code(request.user)
        given = request.POST.get("code", "")
        if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
            return render(request, self.template_name, {"next": next_url, "error": True}, status=400)
        SecondFactor.objects.update_or_create(user=request.user, defaults={"verified_at": timezone.now()})
        return HttpResponseRedirect(next_url)
