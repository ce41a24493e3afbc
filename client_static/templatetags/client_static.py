"""``{% oidc_client_config "api-auth" %}``: the browsable API's oidc-client-ts config as a JSON script tag."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from client_static.views import client_config

register = template.Library()


@register.simple_tag(takes_context=True)
def oidc_client_config(context: dict[str, Any], kind: str = "api-auth") -> SafeString:
    return json_script(client_config(context["request"], kind), "oidc-client-config")
