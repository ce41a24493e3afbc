"""The one validation of ``JWKS_AUTH``, from the settings table (``jwks_auth.conf.table``).

``problems(user)`` lists every bad value with the system-check id it is
reported under; ``manage.py check`` shows them all, and the code that builds
issuers and the validator raises the first as one ``ConfigurationError``, which
``JWKSAuthentication`` answers with 503 and a log line. Messages name the
setting, what it must be and the value found, except for settings that may hold
a secret (``Setting.secret``), whose value is never repeated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf.rules import E005, E006, E007, E008, E009, W010, Rule
from jwks_auth.conf.table import BY_NAME, LEGACY_BY_NAME, PER_ISSUER, SETTINGS, Setting, normalise
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.utils.json_numbers import is_finite_number

__all__ = ["E005", "E006", "E007", "E008", "E009", "W010", "Problem", "Rule", "problems", "validate"]

_HINT = "See the settings reference (docs/settings) or jwks_auth.conf.table."
#: The longest piece of a bad value a message repeats.
_SHOWN = 60


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is, what is wrong, and how to fix it."""

    where: str
    message: str
    hint: str
    id: str
    #: Unknown and old names are only reported: at run time they are ignored (as Django ignores unknown
    #: settings) or still read.
    fatal: bool = True

    def error(self) -> ConfigurationError:
        return ConfigurationError(f"{self.where} {self.message}")


def shown(value: Any) -> str:
    """A bad value as a message repeats it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _bad_value(where: str, setting: Setting, value: Any) -> list[Problem]:
    expected = setting.rule(value)
    if expected is None:
        found: list[Problem] = []
    else:
        seen = f"a {type(value).__name__}" if setting.secret else shown(value)
        found = [Problem(where, f"must be {expected}, not {seen}.", _HINT, setting.check_id)]
    if expected is None and setting.keys and isinstance(value, dict):
        keys = {key.name: key for key in setting.keys}
        for name, item in value.items():
            found += _bad_value(f"{where}['{name}']", keys[name], item)
    if expected is None and setting.positive and value == 0 and is_finite_number(value):
        found.append(Problem(where, "is 0, not a positive number.", _HINT, E006, fatal=False))
    return found


def _values_problems(where: str, values: Mapping[str, Any], settings: Mapping[str, Setting]) -> list[Problem]:
    found = []
    for name, value in values.items():
        if name in settings:
            found += _bad_value(f"{where}['{name}']", settings[name], value)
    return found


def _entry_problems(index: int, entry: dict[str, Any]) -> list[Problem]:
    where = f"JWKS_AUTH['ISSUERS'][{index}]"
    extra = sorted(str(key) for key in entry if key not in PER_ISSUER)
    found = []
    if extra:
        found.append(
            Problem(
                where,
                f"has unknown key(s): {', '.join(extra)}.",
                f"Per-issuer keys are {', '.join(PER_ISSUER)}.",
                E007,
                fatal=False,
            )
        )
    if not isinstance(entry.get("ISSUER"), str) or not entry["ISSUER"]:
        found.append(Problem(where, "has no ISSUER.", "Give each ISSUERS entry the exact iss of its tokens.", E009))
    return found + _values_problems(where, entry, PER_ISSUER)


def legacy_problems(user: Mapping[str, Any]) -> list[Problem]:
    """The pre-1.0 spellings in ``user``: each still works until 1.1, and says what to write instead."""
    found = []
    for name, value in user.items():
        legacy = LEGACY_BY_NAME.get(name)
        if legacy is None:
            continue
        found.append(
            Problem(
                f"JWKS_AUTH['{name}']",
                f"is the pre-1.0 spelling; it is read until 1.1. Write {legacy.instead}.",
                "CHANGELOG.md lists every renamed setting.",
                W010,
                fatal=False,
            )
        )
        expected = legacy.rule(value)
        if expected is not None and legacy.group is None:
            found.append(Problem(f"JWKS_AUTH['{name}']", f"must be {expected}, not {shown(value)}.", _HINT, E009))
    return found


def problems(user: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every bad value in the ``JWKS_AUTH`` dict ``user``; empty when all is well.

    Old spellings of grouped settings are validated in their group (``table.normalise``).
    """
    found = legacy_problems(user)
    user = normalise(user)
    unknown = sorted(str(name) for name in user if name not in BY_NAME and name not in LEGACY_BY_NAME)
    if unknown:
        found.append(
            Problem(
                "JWKS_AUTH",
                f"has unknown setting(s): {', '.join(unknown)}.",
                "Check the spelling against the settings reference (jwks_auth.conf.table).",
                E005,
                fatal=False,
            )
        )
    found += _values_problems("JWKS_AUTH", user, BY_NAME)
    given = user.get("KEY_STORE")
    store = {**BY_NAME["KEY_STORE"].default, **(given if isinstance(given, dict) else {})}
    low, high = store.get("MIN_TTL"), store.get("MAX_TTL")
    if is_finite_number(low) and is_finite_number(high) and low > high:
        found.append(
            Problem(
                "JWKS_AUTH['KEY_STORE']['MIN_TTL']", f"({low:g}) is above MAX_TTL ({high:g}).", _HINT, E006, fatal=False
            )
        )
    entries = user.get("ISSUERS")
    if isinstance(entries, (list, tuple)):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                found += _entry_problems(index, entry)
    return found


def validate(user: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> None:
    """Raise ``ConfigurationError`` for the first bad value of ``user``."""
    found = [problem for problem in problems(user, defaults) if problem.fatal]
    if found:
        raise found[0].error()


#: Every setting's rule, by name (the table's, gathered for callers that check one value).
RULES: dict[str, Rule] = {setting.name: setting.rule for setting in SETTINGS}
