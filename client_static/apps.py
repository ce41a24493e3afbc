from django.apps import AppConfig


class ClientStaticConfig(AppConfig):
    name = "client_static"
    verbose_name = "Browser OIDC client"
