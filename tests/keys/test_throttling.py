"""The rate limit is one atomic counter per key and window in its own shared store: exact."""

import threading
from types import SimpleNamespace

from django.core.cache import caches

from keys import throttling
from keys.throttling import ApiKeyRateThrottle, rate_count

WINDOW = 100_000  # a window number of the tests' own


def run_threads(count: int, work) -> list:
    """`work()` in `count` threads started together; every result, or the first error."""
    start = threading.Barrier(count)
    results, errors = [], []

    def one():
        start.wait()
        try:
            results.extend(work())
        except Exception as exc:  # noqa: BLE001  (raised below)
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results


def test_concurrent_threads_count_every_request_once():
    # Each thread has its own cache connection, as each worker thread does.
    numbers = run_threads(8, lambda: [rate_count(api_key_pk=7, window=WINDOW) for _ in range(50)])
    assert sorted(numbers) == list(range(1, 401))
    assert caches["ratelimit"].get(f"ratelimit:7:{WINDOW}") == 400


def test_the_first_request_of_a_window_in_many_threads_at_once_is_counted_once():
    numbers = run_threads(16, lambda: [rate_count(api_key_pk=8, window=WINDOW)])
    assert sorted(numbers) == list(range(1, 17))


def test_a_limit_lets_exactly_that_many_through_threads_at_once(monkeypatch):
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 6_000_020.0))
    request = SimpleNamespace(auth=SimpleNamespace(pk=9, rate_limit_per_minute=10))
    verdicts = run_threads(
        16, lambda: [ApiKeyRateThrottle().allow_request(request, None) for _ in range(3)]
    )
    assert verdicts.count(True) == 10
    assert verdicts.count(False) == 38


def test_windows_and_keys_are_counted_apart():
    assert [rate_count(api_key_pk=10, window=WINDOW) for _ in range(3)] == [1, 2, 3]
    assert rate_count(api_key_pk=10, window=WINDOW + 1) == 1
    assert rate_count(api_key_pk=11, window=WINDOW) == 1
