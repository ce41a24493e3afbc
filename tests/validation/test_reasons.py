"""Reason codes: one value per failure, short snake_case, the same in the error, the signal and the metrics."""

from __future__ import annotations

import re
from pathlib import Path

import jwks_auth
from jwks_auth import exceptions
from jwks_auth.reasons import Reason

# The package as imported (the installed wheel under nox), and the docs beside the tests (nox copies them).
PACKAGE = Path(jwks_auth.__file__).resolve().parent
ROOT = Path(__file__).resolve().parents[2]


def test_every_reason_has_its_own_short_snake_case_value():
    values = [reason.value for reason in Reason]
    assert len(values) == len(set(values)) == len(Reason.__members__)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{1,19}", value) for value in values)
    assert str(Reason.UNKNOWN_KID) == "unknown_kid" and f"{Reason.UNKNOWN_KID}" == "unknown_kid"


def test_the_two_former_collisions_are_told_apart():
    assert Reason.BAD_KID != Reason.UNKNOWN_KID
    assert Reason.TYP != Reason.ID_TOKEN
    assert exceptions.UnknownKey().code is Reason.UNKNOWN_KID


def test_every_reason_is_raised_somewhere_and_documented():
    source = "\n".join(path.read_text() for path in PACKAGE.rglob("*.py") if path.name != "reasons.py")
    assert "class RequestVerifier" in source  # the package's source was found
    troubleshooting = (ROOT / "docs" / "troubleshooting.md").read_text()
    for reason in Reason:
        assert f"Reason.{reason.name}" in source, reason
        assert f"| `{reason.value}` |" in troubleshooting, reason


def test_a_token_error_refuses_a_code_that_is_not_a_reason():
    import pytest

    with pytest.raises(ValueError):
        exceptions.InvalidClaims("x", code="no_such_reason")  # type: ignore[arg-type]
