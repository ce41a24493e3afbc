"""A testing kit for projects that use jwks_auth: a fake issuer that mints real tokens.

``FakeIssuer`` impersonates an issuer of the project's own ``JWKS_AUTH``: it
serves that issuer's discovery document and JWKS in process, through the
library's real fetch path (no socket, no network), and mints tokens signed
with real keys, shaped by the issuer's profile, so every test exercises the
project's settings. Each use isolates jwks_auth's state (keys, the
verified-token cache, the DPoP replay records) from every other test.

With pytest-django, the ``jwks_issuer`` fixture (this package's pytest plugin,
``jwks_auth.testing.pytest_plugin``) is ready to use; without pytest,
``FakeIssuer`` is a context manager and ``JWKSIssuerTestMixin`` starts one for
each test of a ``django.test.TestCase``. See docs/testing.md.
"""

from __future__ import annotations

from typing import ClassVar

from jwks_auth.testing.forced import force_token
from jwks_auth.testing.issuer import FakeIssuer, configured_issuer, set_authorization
from jwks_auth.testing.sender import ClientCertificate, DPoPKey

__all__ = [
    "ClientCertificate",
    "DPoPKey",
    "FakeIssuer",
    "JWKSIssuerTestMixin",
    "configured_issuer",
    "force_token",
    "set_authorization",
]


class JWKSIssuerTestMixin:
    """For ``unittest``-style tests (``django.test.TestCase``, ``SimpleTestCase``): ``self.jwks_issuer``.

    A ``FakeIssuer`` for ``jwks_issuer_url`` (``None``: the first configured
    issuer) is started before each test and stopped after it. Put the mixin
    before the test case class: ``class OrdersTests(JWKSIssuerTestMixin, TestCase)``.
    """

    jwks_issuer_url: ClassVar[str | None] = None
    jwks_issuer: FakeIssuer

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.jwks_issuer = FakeIssuer(self.jwks_issuer_url).start()
        self.addCleanup(self.jwks_issuer.stop)  # type: ignore[attr-defined]
