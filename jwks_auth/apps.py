from django.apps import AppConfig


class JWKSAuthConfig(AppConfig):
    name = "jwks_auth"
    verbose_name = "JWKS authentication"

    def ready(self) -> None:
        from jwks_auth import checks  # noqa: F401 - registers the system checks
        from jwks_auth.ops import metrics  # noqa: F401 - connects the metrics to the signals

        try:
            import drf_spectacular  # noqa: F401
        except ImportError:
            return
        from jwks_auth import openapi  # noqa: F401 - registers the OpenAPI security scheme
