"""Django REST framework authentication with OAuth 2.0 access tokens verified by JWKS."""

from jwks_auth.utils import moved_modules

__version__ = "1.0.0"

# Module paths from before the layered layout (jwks_auth.front_door, jwks_auth.claims, ...) keep importing.
moved_modules.install()
