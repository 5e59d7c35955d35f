"""Key lookup under a flood of made-up keys: nothing shared is written, nothing is evicted."""

import secrets
from types import SimpleNamespace

import pytest
from django.core.cache import caches

from keys import lookup, throttling
from keys.models import KEY_PREFIX
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.keys.urls")]

WRITES = ("set", "add", "incr", "decr", "delete", "touch", "set_many", "delete_many", "clear")


def made_up_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def whoami(client, raw: str) -> int:
    return client.get("/whoami", headers={"x-portkey-api-key": raw}).status_code


@pytest.fixture
def spy(monkeypatch):
    """A function that, once called, records every call made to each cache store, by alias."""

    def start() -> dict[str, list[str]]:
        seen = {alias: [] for alias in ("default", "state", "ratelimit")}
        for alias, log in seen.items():
            store = caches[alias]
            for name in ("get", "get_many", "has_key", *WRITES):
                original = getattr(store, name)

                def record(*args, _name=name, _original=original, _log=log, **kwargs):
                    _log.append(_name)
                    return _original(*args, **kwargs)

                monkeypatch.setattr(store, name, record)
        return seen

    return start


def test_unknown_keys_write_nothing_shared_and_never_touch_the_counters(client, spy):
    assert whoami(client, made_up_key()) == 401  # the first request starts the generations
    calls = spy()
    assert [whoami(client, made_up_key()) for _ in range(300)] == [401] * 300
    assert calls["ratelimit"] == []
    assert [name for name in calls["state"] if name in WRITES] == []
    assert [name for name in calls["default"] if name in WRITES] == []


def test_an_unknown_key_asked_again_is_refused_without_a_query(client, django_assert_num_queries):
    raw = made_up_key()
    assert whoami(client, raw) == 401
    with django_assert_num_queries(0):
        assert whoami(client, raw) == 401


def test_a_flood_of_unknown_keys_leaves_counters_and_snapshots_in_place(client, monkeypatch):
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 6_000_020.0))
    api_key, raw = make_api_key(rate_limit_per_minute=5)
    other, other_raw = make_api_key()
    assert [whoami(client, raw) for _ in range(3)] == [200] * 3
    assert whoami(client, other_raw) == 200
    counter = f"ratelimit:{api_key.pk}:{6_000_020 // 60}"
    assert caches["ratelimit"].get(counter) == 3

    assert [whoami(client, made_up_key()) for _ in range(1_000)] == [401] * 1_000

    assert caches["ratelimit"].get(counter) == 3
    for key in (api_key, other):
        snapshot = caches["state"].get(lookup.api_key_cache_key(key.digest))
        assert snapshot is not None and snapshot.pk == key.pk
    # The limited key's minute goes on where it was: two more, then refused.
    assert [whoami(client, raw) for _ in range(3)] == [200, 200, 429]
    assert whoami(client, other_raw) == 200


def test_the_local_table_of_unknown_keys_is_bounded(client, monkeypatch):
    monkeypatch.setattr(lookup, "LOCAL_MAX", 50)
    for _ in range(120):
        assert whoami(client, made_up_key()) == 401
    assert len(lookup._unknown) <= 50
