"""OpenTelemetry spans around provider calls, recorded by the real SDK in memory."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.conftest import bearer

_exporter = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracer_provider():
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_exporter))
    trace.set_tracer_provider(provider)  # once per process: the API refuses to replace it
    yield provider


@pytest.fixture(autouse=True)
def spans():
    _exporter.clear()
    yield _exporter
    _exporter.clear()


def test_a_cold_request_traces_discovery_and_jwks_fetches(client, provider, make_token, spans):
    token = make_token()
    assert client.get("/claims", **bearer(token)).status_code == 200
    finished = spans.get_finished_spans()
    urls = [span.attributes["url.full"] for span in finished]
    assert urls == [provider.base_url + "/.well-known/openid-configuration", provider.jwks_uri]
    assert {span.name for span in finished} == {"jwks_auth.keys.http"}
    assert all(span.attributes["http.request.method"] == "GET" for span in finished)
    assert all(span.kind is trace.SpanKind.CLIENT for span in finished)
    assert not any(token in str(dict(span.attributes)) for span in finished)
    # A warm request calls nobody.
    assert client.get("/claims", **bearer(token)).status_code == 200
    assert len(spans.get_finished_spans()) == 2


def test_a_failed_fetch_is_an_error_span_with_the_error_type(client, provider, make_token, spans):
    provider.failure = 500
    assert client.get("/claims", **bearer(make_token())).status_code == 503
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is trace.StatusCode.ERROR
    # The FetchError subclass that says what failed: the provider answered with an error status.
    assert span.attributes["error.type"] == "HTTPStatusError"
