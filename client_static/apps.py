from django.apps import AppConfig


class ClientStaticConfig(AppConfig):
    name = "client_static"
    verbose_name = "Browser OIDC client"

    def ready(self) -> None:
        from client_static import checks  # noqa: F401  (registers the system check)
