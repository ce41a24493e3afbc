"""Routes of the browser client. The callback paths are the redirect URIs seed_idp registers."""

from django.urls import path

from client_static.views import ClientPage

app_name = "client_static"

urlpatterns = [
    path("client/", ClientPage.as_view(template_name="client_static/index.html"), name="index"),
    path("client/callback.html", ClientPage.as_view(template_name="client_static/callback.html"), name="callback"),
    path(
        "client/silent-renew.html",
        ClientPage.as_view(template_name="client_static/silent_renew.html"),
        name="silent-renew",
    ),
    path(
        "api-auth/callback.html",
        ClientPage.as_view(template_name="client_static/api_auth_callback.html", kind="api-auth"),
        name="api-auth-callback",
    ),
]
