"""Reading fields of provider JSON: timestamps, numbers, nested objects."""

import pytest

from models_api.errors import BadGateway
from models_api.providers import fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-22T00:00:00Z", 1747872000),
        ("2025-05-04T17:37:44.706015396-07:00", 1746405464),  # Ollama: nanoseconds, offset
        ("2025-05-22T00:00:00", 1747872000),  # no offset: UTC
        ("1970-01-01T00:00:00Z", 0),
        ("not a date", 0),
        (1715367049, 1715367049),
        (1730678400.0, 1730678400),
        ("1715367049", 0),
        (None, 0),
        (-5, 0),
        (True, 0),
    ],
)
def test_unix(value, expected):
    assert fields.unix(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.0000025", 0.0000025), (3, 3.0), ("x", None), (None, None), (False, None)],
)
def test_opt_float(value, expected):
    assert fields.opt_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8192, 8192),
        (12345678901234567891, 12345678901234567891),  # exact, not through a float
        ("8192", 8192),
        (3.9, 3),
        (True, None),
        ("n/a", None),
        (None, None),
        ([], None),
    ],
)
def test_opt_int(value, expected):
    result = fields.opt_int(value)
    assert result == expected
    assert result is None or type(result) is int


@pytest.mark.parametrize(("value", "expected"), [({"a": 1}, {"a": 1}), ([], {}), (None, {})])
def test_mapping(value, expected):
    assert fields.mapping(value) == expected


def test_items_names_the_missing_list():
    assert fields.items({"models": [{"id": "a"}]}, "models", "p") == [{"id": "a"}]
    with pytest.raises(BadGateway, match="p answered without a 'models' list of objects"):
        fields.items({"models": [1]}, "models", "p")
    with pytest.raises(BadGateway, match="p answered without a JSON array of objects"):
        fields.items({"data": []}, "", "p")
