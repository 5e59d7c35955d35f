"""Every way of presenting a gateway key, through a view with the project's DRF defaults."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.utils import timezone

from keys import lookup, throttling
from keys.models import ApiKey
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.keys.urls")]

URL = "/whoami"
INVALID = (
    "Invalid gateway API key: it is unknown, revoked or expired. "
    "Pass a valid key in x-portkey-api-key or Authorization: Bearer."
)
MISSING = (
    "Missing gateway API key: pass it in the x-portkey-api-key header "
    "or as Authorization: Bearer <key>."
)


def _error(message):
    return {
        "error": {
            "message": message,
            "type": "authentication_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }


def _get(client, **headers):
    return client.get(URL, headers=headers)


@pytest.fixture
def key():
    return make_api_key(name="caller")


def test_header(client, key):
    api_key, raw = key
    response = _get(client, **{"x-portkey-api-key": raw})
    assert response.status_code == 200
    assert response.json() == {"prefix": api_key.prefix}


def test_bearer_with_gateway_prefix(client, key):
    api_key, raw = key
    response = _get(client, authorization=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json() == {"prefix": api_key.prefix}


def test_header_and_provider_bearer_together(client, key):
    api_key, raw = key
    response = _get(client, **{"x-portkey-api-key": raw, "authorization": "Bearer sk-provider"})
    assert response.status_code == 200
    assert response.json() == {"prefix": api_key.prefix}


def test_header_wins_over_a_second_gateway_bearer(client, key):
    api_key, raw = key
    _, other = make_api_key(name="other")
    response = _get(client, **{"x-portkey-api-key": raw, "authorization": f"Bearer {other}"})
    assert response.json() == {"prefix": api_key.prefix}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer OPENAI_API_KEY"},  # the Portkey SDK's placeholder
        {"authorization": "Bearer sk-proj-provider-credential"},  # a provider credential
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer "},
        {"x-portkey-api-key": "   "},
    ],
)
def test_no_gateway_key_is_401(client, headers):
    response = _get(client, **headers)
    assert response.status_code == 401
    assert response.json() == _error(MISSING)
    assert "sk-proj" not in response.content.decode()


def test_revoked_key_is_401(client, key):
    api_key, raw = key
    api_key.revoke()
    response = _get(client, **{"x-portkey-api-key": raw})
    assert response.status_code == 401
    assert response.json() == _error(INVALID)
    assert raw not in response.content.decode()


def test_expired_key_is_401(client):
    _, raw = make_api_key(expires_at=timezone.now() - timedelta(minutes=1))
    response = _get(client, authorization=f"Bearer {raw}")
    assert response.status_code == 401
    assert response.json() == _error(INVALID)


@pytest.mark.parametrize(
    "presented",
    [
        "gwk_garbage",
        "not-a-key-at-all",
        "gwk_" + "A" * 10_000,  # very long
        "gwk_\xe9\xff\x00",  # latin-1 bytes as a WSGI server decodes them
        "gwk_ключ".encode().decode("latin-1"),  # UTF-8 bytes seen through latin-1
    ],
)
def test_bad_keys_in_header_are_401_without_echo(client, presented):
    response = _get(client, **{"x-portkey-api-key": presented})
    assert response.status_code == 401
    assert response.json() == _error(INVALID)
    assert presented.encode("utf-8", "surrogatepass") not in response.content


@pytest.mark.parametrize("presented", ["gwk_garbage", "gwk_" + "A" * 10_000, "gwk_\xe9\xff"])
def test_bad_keys_in_bearer_are_401(client, presented):
    response = _get(client, authorization=f"Bearer {presented}")
    assert response.status_code == 401
    assert response.json() == _error(INVALID)
    assert presented.encode("utf-8", "surrogatepass") not in response.content


def test_revocation_through_the_model_takes_effect_at_once(client, key):
    api_key, raw = key
    assert _get(client, **{"x-portkey-api-key": raw}).status_code == 200  # snapshot now cached
    ApiKey.objects.get(pk=api_key.pk).revoke()
    assert _get(client, **{"x-portkey-api-key": raw}).status_code == 401


def test_deleting_a_key_takes_effect_at_once(client, key):
    api_key, raw = key
    assert _get(client, **{"x-portkey-api-key": raw}).status_code == 200
    api_key.delete()
    assert _get(client, **{"x-portkey-api-key": raw}).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(
    client, key, django_assert_num_queries, monkeypatch
):
    api_key, raw = key
    assert _get(client, **{"x-portkey-api-key": raw}).status_code == 200
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None

    with django_assert_num_queries(0):  # cached snapshot, no write
        for _ in range(3):
            assert _get(client, **{"x-portkey-api-key": raw}).status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at == first

    later = first + timedelta(seconds=lookup.TOUCH_SECONDS + 1)
    monkeypatch.setattr(lookup, "timezone", SimpleNamespace(now=lambda: later))
    caches["state"].delete(f"apikey-touch:{api_key.pk}")  # the one-minute marker has expired
    with django_assert_num_queries(1):
        assert _get(client, **{"x-portkey-api-key": raw}).status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at == later


def test_throttle_answers_429_with_retry_after(client, monkeypatch):
    # A fixed clock 20 s into a window, so the three requests share one window.
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 6_000_020.0))
    _, raw = make_api_key(rate_limit_per_minute=2)
    headers = {"x-portkey-api-key": raw}
    assert [_get(client, **headers).status_code for _ in range(2)] == [200, 200]
    response = _get(client, **headers)
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert response.json() == {
        "error": {
            "message": "Rate limit exceeded for this API key; retry in 40 seconds.",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }


def test_throttle_is_per_key(client, monkeypatch):
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 6_000_020.0))
    _, limited = make_api_key(rate_limit_per_minute=1)
    _, unlimited = make_api_key()
    assert _get(client, **{"x-portkey-api-key": limited}).status_code == 200
    assert _get(client, **{"x-portkey-api-key": limited}).status_code == 429
    for _ in range(5):
        assert _get(client, **{"x-portkey-api-key": unlimited}).status_code == 200
