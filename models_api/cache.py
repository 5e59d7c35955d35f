"""Cached upstream answers: fresh for a TTL, kept longer to serve STALE when upstream fails."""

import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from models_api import metrics
from models_api.errors import GatewayError

HIT, MISS, STALE, REFRESH, DISABLED = "HIT", "MISS", "STALE", "REFRESH", "DISABLED"

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
RECENT_MAX_BYTES = 16 * 1024 * 1024  # per process: ~40 pages of 1,000 entries


class _Recent:
    """This process's copies of values that never change under their key (a catalog page is
    keyed by the catalog's generation), so a hit copies and unpickles nothing.

    Bounded in bytes: when full it drops what has expired, else starts again empty, which only
    costs reads of the shared cache. A copy lives at most the entry's TTL from when this
    process got it.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: dict[str, tuple[float, Any]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key: str, value, ttl: int) -> None:
        size = _size(value)
        now = time.monotonic()
        with self._lock:
            if self._bytes + size > self.max_bytes:
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
                self._bytes = sum(_size(e[1]) for e in self._entries.values())
            if self._bytes + size > self.max_bytes:
                self._entries.clear()
                self._bytes = 0
            self._entries[key] = (now + ttl, value)
            self._bytes += size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def _size(body) -> int:
    return len(body) + len(getattr(body, "gzipped", None) or b"")  # a rendered body, gzipped


recent = _Recent(RECENT_MAX_BYTES)


def cache_key(*parts: Any) -> str:
    """A fixed-length key from any JSON-serialisable parts (secrets must be digested first)."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return "models:" + hashlib.sha256(raw.encode()).hexdigest()


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            if len(_locks) > 10_000:  # bound the table; idle locks are cheap to recreate
                _locks.clear()
            lock = _locks[key] = threading.Lock()
        return lock


def cached_once(key: str, build: Callable[[], Any], ttl: int) -> tuple[Any, str]:
    """(value, HIT or MISS) for a rendered body kept `ttl` seconds, that never changes under
    its key: in the shared cache, so any process's hit, and in this process's memory.
    Concurrent misses in a process read or build it once, so an expiring page is not rebuilt
    (or unpickled) by every thread at the same moment."""
    value = recent.get(key)
    if value is not None:
        return value, HIT
    # The shared cache is read under the lock too: each read unpickles a copy, and every
    # thread of a worker reading a 5 MB page at once held one copy each (benchmarks/README.md).
    with _lock_for(key):
        value = recent.get(key)
        if value is not None:
            return value, HIT  # another thread of this process read or built it meanwhile
        value = cache.get(key)
        if value is not None:
            recent.put(key, value, ttl)
            return value, HIT  # another thread built it while this one waited
        value = build()
        cache.set(key, value, ttl)
        recent.put(key, value, ttl)
        return value, MISS


def _servable_when_stale(error: GatewayError) -> bool:
    # Upstream outages and throttling, not a provider saying the credential is wrong.
    return error.status >= 500 or error.status == 429


def cached_fetch(
    key: str,
    fetch: Callable[[], Any],
    *,
    ttl: int,
    stale_ttl: int,
    force_refresh: bool = False,
    provider: str = "",
) -> tuple[Any, str]:
    """(value, cache status). Concurrent misses for one key in a process make one fetch.

    With `provider`, the status is counted in the metrics under that provider's name.
    """
    value, status = _cached_fetch(key, fetch, ttl, stale_ttl, force_refresh)
    if provider:
        metrics.cache_observe(provider, status)
    return value, status


def _cached_fetch(key, fetch, ttl, stale_ttl, force_refresh):
    if ttl <= 0:
        return fetch(), DISABLED
    if not force_refresh:
        entry = cache.get(key)
        if entry is not None and time.time() - entry[0] < ttl:
            return entry[1], HIT
    with _lock_for(key):
        entry = cache.get(key)
        if not force_refresh and entry is not None and time.time() - entry[0] < ttl:
            return entry[1], HIT  # another thread fetched it while this one waited
        try:
            value = fetch()
        except GatewayError as error:
            fresh_enough = entry is not None and time.time() - entry[0] < stale_ttl
            if fresh_enough and _servable_when_stale(error):
                return entry[1], STALE
            raise
        cache.set(key, (time.time(), value), max(ttl, stale_ttl))
        return value, REFRESH if force_refresh else MISS
