"""Django REST framework authentication with OAuth 2.0 access tokens verified by JWKS."""

__version__ = "1.0.0"
