"""The JSON fast path renders byte for byte what DRF's JSONRenderer renders."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from types import MappingProxyType

import pytest
from rest_framework.renderers import JSONRenderer

from api.renderers import FastJSONRenderer

DATA = [
    {"sub": "88421113", "aud": ["api1", "api2"], "exp": 1700000000, "scope": "api1 openid"},
    {"name": "Zoë \u2028 line \u2029 para", "nested": {"list": [1, 2.5, None, True]}},
    {"when": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC), "id": uuid.UUID(int=7), "n": decimal.Decimal("1.5")},
    "Hello",
    [],
]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize(
    "media_type", [None, "application/json", "application/json; indent=4", "application/json; indent=0"]
)
def test_same_bytes_as_drf(data, media_type):
    assert FastJSONRenderer().render(data, media_type, {}) == JSONRenderer().render(data, media_type, {})


def test_indent_in_context_still_honoured():
    context = {"indent": 2}
    assert FastJSONRenderer().render({"a": [1]}, "application/json", context) == b'{\n  "a": [\n    1\n  ]\n}'


def test_none_renders_empty_and_nan_is_refused():
    assert FastJSONRenderer().render(None, "application/json") == b""
    with pytest.raises(ValueError):
        FastJSONRenderer().render({"x": float("nan")}, "application/json")


@pytest.mark.parametrize("data", [item for item in DATA if isinstance(item, dict)])
@pytest.mark.parametrize("media_type", [None, "application/json", "application/json; indent=4"])
def test_read_only_mapping_same_bytes_as_drf_every_time(data, media_type):
    """A token's claims (a MappingProxyType) render as DRF renders the dict, from the memo the second time."""
    claims = MappingProxyType(dict(data))
    expected = JSONRenderer().render(dict(data), media_type, {})
    assert FastJSONRenderer().render(claims, media_type, {}) == expected
    assert FastJSONRenderer().render(claims, media_type, {}) == expected


def test_each_mapping_renders_its_own_claims():
    """The memo goes by the very object, never by equal-looking ids: a new mapping is rendered anew."""
    renderer = FastJSONRenderer()
    bodies = set()
    for number in range(3000):  # more than the memo holds, so identities of dropped ones may come back
        body = renderer.render(MappingProxyType({"n": number}), "application/json", {})
        assert body == b'{"n":%d}' % number
        bodies.add(body)
    assert len(bodies) == 3000


def test_ensure_ascii_is_part_of_the_memo():
    claims = MappingProxyType({"name": "Zoë"})

    class Ascii(FastJSONRenderer):
        ensure_ascii = True

    assert FastJSONRenderer().render(claims, "application/json", {}) == '{"name":"Zoë"}'.encode()
    assert Ascii().render(claims, "application/json", {}) == b'{"name":"Zo\\u00eb"}'
