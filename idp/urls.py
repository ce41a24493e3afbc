"""IdentityServer-style URLs (/connect/*, /.well-known/openid-configuration/jwks) on DOT views.

The routes keep DOT's URL names in the ``oauth2_provider`` namespace, so DOT's
discovery document and redirects resolve to these paths.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import views as dot

from idp import dpop, ssf, step_up, views

oauth_patterns = [
    path(".well-known/openid-configuration", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path(".well-known/openid-configuration/jwks", views.JwksView.as_view(), name="jwks-info"),
    path(".well-known/oauth-authorization-server", dot.OAuthServerMetadataView.as_view(), name="oauth-server-metadata"),
    # DOT's view, honouring max_age and acr_values (RFC 9470 step-up): idp.step_up.
    path("connect/authorize", step_up.StepUpAuthorizationView.as_view(), name="authorize"),
    path("connect/token", dpop.DPoPTokenView.as_view(), name="token"),
    path("connect/userinfo", dot.UserInfoView.as_view(), name="user-info"),
    path("connect/endsession", dot.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
    path("connect/introspect", dot.IntrospectTokenView.as_view(), name="introspect"),
    path("connect/revocation", dot.RevokeTokenView.as_view(), name="revoke-token"),
]

ssf_patterns = [
    # SSF 1.0 transmitter metadata; session-revoked events are pushed to the API (idp.ssf).
    path(".well-known/ssf-configuration", ssf.ConfigurationView.as_view(), name="ssf-configuration"),
    # Dev only: a client ends its own sessions (`call_api --revoke`).
    path("connect/revoke-sessions", ssf.RevokeClientSessionsView.as_view(), name="revoke-sessions"),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("", include((oauth_patterns, "oauth2_provider"))),
    path("", include(ssf_patterns)),
    path("account/login/", auth_views.LoginView.as_view(template_name="idp/login.html"), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/second-factor/", step_up.SecondFactorView.as_view(), name="second-factor"),
]
