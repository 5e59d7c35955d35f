"""Per-key requests-per-minute limit, counted in the shared cache so it holds across processes."""

import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60


class ApiKeyRateThrottle(BaseThrottle):
    """A fixed one-minute window per key; atomic increments make it exact on Redis."""

    def allow_request(self, request, view):
        api_key = request.auth
        limit = getattr(api_key, "rate_limit_per_minute", None)
        if not limit:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"ratelimit:{api_key.pk}:{window}"
        cache.add(key, 0, WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, WINDOW_SECONDS + 5)
            count = 1
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit

    def wait(self):
        return self._wait
