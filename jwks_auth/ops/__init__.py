"""Operations: Prometheus metrics, readiness and liveness probes (tracing spans live in ``jwks_auth.utils.tracing``).

Mount the views with ``path("", include("jwks_auth.ops.urls"))``. Every
part works without its optional dependency (``prometheus-client``,
``opentelemetry-api``): it then records nothing and costs next to nothing.
"""
