"""Per-key requests-per-minute limit, counted in the shared `ratelimit` cache across processes."""

import time

from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60
KEEP_SECONDS = WINDOW_SECONDS + 5  # a counter outlives its window, never into the next one


def rate_count(*, api_key_pk: int, window: int) -> int:
    """This request's number in the key's window: an atomic increment on the shared store.

    The counters have a store of their own that nothing else writes and that never evicts, so
    no other traffic (a flood of unknown keys included) can push a counter out and reset it.
    """
    counters = caches["ratelimit"]
    key = f"ratelimit:{api_key_pk}:{window}"
    try:
        return counters.incr(key)
    except ValueError:  # the window's first request, here or in another process at once
        return 1 if counters.add(key, 1, KEEP_SECONDS) else counters.incr(key)


class ApiKeyRateThrottle(BaseThrottle):
    """A fixed one-minute window per key: exactly `rate_limit_per_minute` requests pass in it.

    A fixed window needs one counter per key and an atomic increment, which every shared store
    offers; a caller may send up to twice the limit across a window's edge, as with Redis
    INCR-based limiters, and `Retry-After` says when the window turns.
    """

    def allow_request(self, request, view):
        api_key = request.auth
        limit = getattr(api_key, "rate_limit_per_minute", None)
        if not limit:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return rate_count(api_key_pk=api_key.pk, window=window) <= limit

    def wait(self):
        return self._wait
