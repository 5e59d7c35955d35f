"""Generations: read from the shared store once per request, on every read outside one."""

import pytest
from django.core.cache import caches

from keys import generations
from keys.generations import generation, generation_bump, one_view


@pytest.fixture
def reads(monkeypatch):
    """The shared-store calls generations makes, as (method, keys)."""
    state = caches["state"]
    seen = []
    for method in ("get", "get_many"):
        real = getattr(state, method)

        def spy(key, *args, _real=real, _method=method, **kwargs):
            seen.append((_method, key))
            return _real(key, *args, **kwargs)

        monkeypatch.setattr(state, method, spy)
    return seen


def test_outside_a_request_every_read_goes_to_the_store(reads):
    first = generation("keys")
    reads.clear()
    assert generation("keys") == first
    caches["state"].incr("generation:keys")  # another process's change
    assert generation("keys") == first + 1
    assert [method for method, _ in reads] == ["get", "get"]


def test_a_request_reads_both_generations_once_and_sees_one_state(reads):
    before_keys, before_catalog = generation("keys"), generation("catalog")
    reads.clear()
    with one_view():
        assert generation("keys") == before_keys
        caches["state"].incr("generation:keys")  # a change while the request is answered
        caches["state"].incr("generation:catalog")
        assert generation("keys") == before_keys
        assert generation("catalog") == before_catalog
        assert reads == [("get_many", ["generation:keys", "generation:catalog"])]
    assert generation("keys") == before_keys + 1  # the next request sees the change
    assert generation("catalog") == before_catalog + 1


def test_a_change_made_by_the_request_itself_is_seen_by_its_later_reads():
    with one_view():
        before = generation("catalog")
        generation_bump("catalog")
        assert generation("catalog") == before + 1


def test_a_lost_generation_starts_again_inside_a_request_too():
    caches["state"].delete("generation:keys")
    with one_view():
        value = generation("keys")
    assert value > 0
    assert caches["state"].get("generation:keys") == value


def test_the_view_ends_even_when_the_request_fails():
    with pytest.raises(RuntimeError), one_view():
        generation("keys")
        raise RuntimeError
    assert generations._request.seen is None


@pytest.mark.django_db
def test_an_api_request_reads_the_shared_generations_once(client, reads):
    from tests.factories import make_api_key

    _, raw = make_api_key()
    client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {raw}")  # starts the generations
    reads.clear()
    answer = client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    generation_reads = [keys for _, keys in reads if "generation" in str(keys)]
    assert generation_reads == [["generation:keys", "generation:catalog"]]
