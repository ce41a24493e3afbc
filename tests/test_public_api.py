"""The public surface: the top-level modules declare ``__all__``, and what they declare exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import jwks_auth
import jwks_auth.testing
from jwks_auth.access_token import AccessToken

#: Django plumbing a user never imports by name (Django loads them), besides the package face.
_PLUMBING = {"apps", "checks", "urls", "management"}
_PUBLIC = sorted(
    info.name for info in pkgutil.iter_modules(jwks_auth.__path__) if not info.ispkg and info.name not in _PLUMBING
)


def test_the_top_level_is_small_and_holds_only_public_modules_and_plumbing():
    top = {info.name for info in pkgutil.iter_modules(jwks_auth.__path__)}
    subpackages = {info.name for info in pkgutil.iter_modules(jwks_auth.__path__) if info.ispkg}
    # The layers, Django's management commands, and the testing kit (jwks_auth.testing, public).
    assert subpackages == {
        "conf",
        "keys",
        "management",
        "ops",
        "sender",
        "ssf",
        "testing",
        "utils",
        "validation",
        "web",
    }
    assert len(top - subpackages) <= 17


@pytest.mark.parametrize("name", _PUBLIC)
def test_every_public_module_declares_what_it_offers(name):
    module = importlib.import_module(f"jwks_auth.{name}")
    declared = getattr(module, "__all__", None)
    assert declared, f"jwks_auth.{name} has no __all__"
    assert [item for item in declared if not hasattr(module, item)] == []


@pytest.mark.parametrize("name", sorted(info.name for info in pkgutil.iter_modules(jwks_auth.testing.__path__)))
def test_the_testing_kit_declares_what_it_offers(name):
    for module in (importlib.import_module("jwks_auth.testing"), importlib.import_module(f"jwks_auth.testing.{name}")):
        declared = getattr(module, "__all__", None)
        assert declared, f"{module.__name__} has no __all__"
        assert [item for item in declared if not hasattr(module, item)] == []


def test_has_scopes_takes_scopes_as_arguments_on_the_token_and_the_user():
    from jwks_auth.users import TokenUser

    token = AccessToken({}, {"sub": "alice"}, "https://idp.example", frozenset({"a", "b"}))
    assert token.has_scopes("a", "b") and not token.has_scopes("a", "c")
    assert token.has_scopes(["a"]) and token.has_scopes()  # one list: the form before 1.0
    user = TokenUser(token, "sub")
    assert user.has_scopes("a", "b") and not user.has_scopes("c")


def test_the_pre_1_0_drf_error_names_are_gone():
    """They named refusal classes that are no longer DRF ``APIException``s: raised in a DRF view, a 500."""
    import jwks_auth.exceptions
    import jwks_auth.web.challenges

    for name in (
        "BearerError",
        "InvalidToken",
        "InvalidDPoPProof",
        "UseDPoPNonce",
        "KeysUnavailableError",
        "InsufficientScope",
        "InsufficientUserAuthentication",
        "InsufficientAuthorizationDetails",
    ):
        assert not hasattr(jwks_auth.web.challenges, name), name
    assert not hasattr(jwks_auth.exceptions, "InvalidToken")


def test_the_drf_error_of_no_credential_has_drfs_code():
    from jwks_auth.exceptions import KeysUnavailable, NoCredential, TokenError
    from jwks_auth.web.challenges import drf_error

    assert drf_error(NoCredential()).get_codes() == "not_authenticated"
    assert drf_error(KeysUnavailable(retry_after=7)).get_codes() == "temporarily_unavailable"
    assert drf_error(KeysUnavailable(retry_after=7)).wait == 7
    assert drf_error(TokenError()).get_codes() == "invalid_token"
