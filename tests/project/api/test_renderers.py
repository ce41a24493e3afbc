"""The JSON fast path renders byte for byte what DRF's JSONRenderer renders."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest
from rest_framework.renderers import JSONRenderer

from api.renderers import FastJSONRenderer

DATA = [
    {"sub": "88421113", "aud": ["api1", "api2"], "exp": 1700000000, "scope": "api1 openid"},
    {"name": "Zoë \u2028 line \u2029 para", "nested": {"list": [1, 2.5, None, True]}},
    {"when": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc), "id": uuid.UUID(int=7), "n": decimal.Decimal("1.5")},
    "Hello",
    [],
]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("media_type", [None, "application/json", "application/json; indent=4", "application/json; indent=0"])
def test_same_bytes_as_drf(data, media_type):
    assert FastJSONRenderer().render(data, media_type, {}) == JSONRenderer().render(data, media_type, {})


def test_indent_in_context_still_honoured():
    context = {"indent": 2}
    assert FastJSONRenderer().render({"a": [1]}, "application/json", context) == b'{\n  "a": [\n    1\n  ]\n}'


def test_none_renders_empty_and_nan_is_refused():
    assert FastJSONRenderer().render(None, "application/json") == b""
    with pytest.raises(ValueError):
        FastJSONRenderer().render({"x": float("nan")}, "application/json")
