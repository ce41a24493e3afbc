"""The module paths of the flat layout still import, with a DeprecationWarning naming the new path."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest
from django.utils.module_loading import import_string

from jwks_auth.utils.moved_modules import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_every_old_path_warns_and_reads_from_its_new_module(old):
    new, renamed = MOVED[old]
    _forget(old)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    target = importlib.import_module(new)
    public = [name for name in vars(target) if not name.startswith("_")]
    assert public, new
    for name in public[:5]:
        assert getattr(module, name) is getattr(target, name)
    for old_name, new_name in renamed.items():
        assert getattr(module, old_name) is getattr(target, new_name)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("jwks_auth.front_door.FrontDoor", "jwks_auth.web.request_verifier.RequestVerifier"),
        ("jwks_auth.guard.Guard", "jwks_auth.web.endpoint_check.EndpointCheck"),
        ("jwks_auth.claims.ClaimRules", "jwks_auth.validation.claims.ClaimRules"),
        ("jwks_auth.access_token.Binding", "jwks_auth.access_token.Binding"),
        ("jwks_auth.dpop.RequestFacts", "jwks_auth.sender.RequestDetails"),
        ("jwks_auth.dpop.proof.ProofVerifier", "jwks_auth.sender.proof.ProofVerifier"),
        ("jwks_auth.conf.jwks_settings", "jwks_auth.conf.settings.jwks_settings"),
        ("jwks_auth.keys.parse_jwk", "jwks_auth.keys.jwks.parse_jwk"),
    ],
)
def test_dotted_paths_of_settings_and_docs_still_resolve(old, new):
    _forget(old.rpartition(".")[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert import_string(old) is import_string(new)


def test_a_name_that_never_existed_is_an_import_error():
    _forget("jwks_auth.front_door")
    with pytest.warns(DeprecationWarning), pytest.raises(ImportError):
        import_string("jwks_auth.front_door.NoSuchThing")
    with pytest.raises(ImportError):
        importlib.import_module("jwks_auth.no_such_module")


def test_a_leftover_folder_of_an_old_checkout_does_not_shadow_an_old_path(tmp_path):
    # A folder jwks_auth/dpop/ holding only __pycache__ would be a namespace package to the path finder.
    (tmp_path / "dpop" / "__pycache__").mkdir(parents=True)
    code = (
        "import warnings; warnings.simplefilter('ignore'); import jwks_auth;"
        f"jwks_auth.__path__.insert(0, {str(tmp_path)!r});"
        "from jwks_auth.dpop import ProofVerifier; print(ProofVerifier.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "jwks_auth.sender.proof", out.stderr


def _forget(module: str) -> None:
    """Drop ``module`` and its parents' old paths from ``sys.modules``, so the next import warns again."""
    for name in list(sys.modules):
        if name in MOVED and (module == name or module.startswith(name + ".")):
            del sys.modules[name]
