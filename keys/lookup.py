"""Find the ApiKey for a presented gateway key: digest lookup, shared snapshot, local copies.

Snapshots of keys and virtual keys live in the `state` cache, shared by every process and never
evicted. A change to a key (keys/signals.py) drops its snapshot from that shared store, and once
committed replaces it with CHANGED for a few seconds, so that a request that read the row just
before the commit cannot store that old copy afterwards; it also bumps the "keys" generation
(keys/generations.py). Each process keeps the snapshots it used in its own memory under that
generation, so a request reads one number from the shared store, not a whole snapshot, and
the next request after a change, in every process, reads the snapshot again. A revocation or
an admin edit reaches every process at once; the TTLs below only bound a change made behind
the signals' back (a queryset `.update()`). A digest that matches no key is remembered by this
process only, so a flood of made-up keys writes nothing shared.
"""

import hmac
import time
from datetime import datetime, timedelta

from django.core.cache import caches
from django.utils import timezone

from keys.crypto import secret_digest
from keys.generations import generation
from keys.models import KEY_PREFIX, ApiKey, VirtualKey

SNAPSHOT_SECONDS = 300
HELD_SECONDS = 60  # a local copy, however current its generation
# While CHANGED stands, no process may store the row it read before the change was committed.
CHANGED_SECONDS = 5
CHANGED = "changed"
TOUCH_SECONDS = 60  # last_used_at is written at most this often per key
MAX_KEY_LENGTH = 200
UNKNOWN_SECONDS = 30
LOCAL_MAX = 10_000  # entries in each per-process table below before it starts again empty

_held: dict[str, tuple[int, float, object]] = {}  # key -> (generation, until, row), read-only
_unknown: dict[str, float] = {}  # digest -> monotonic time until which it is known unknown
_touched: dict[str, datetime] = {}  # digest -> when this process last stamped it


def api_key_cache_key(key_digest: str) -> str:
    return f"apikey:{key_digest}"


def virtual_key_cache_key(slug: str) -> str:
    return f"virtualkey:{slug}"


def snapshot_drop(key: str) -> None:
    caches["state"].delete(key)


def snapshot_changed(key: str) -> None:
    """Every process reads this row again, and none may store a copy read before now."""
    caches["state"].set(key, CHANGED, CHANGED_SECONDS)


def api_key_find(*, raw_key: str) -> ApiKey | None:
    """The active, unexpired ApiKey for `raw_key`, or None. Never raises on garbage input."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > MAX_KEY_LENGTH:
        return None
    key_digest = secret_digest(raw_key)
    if _unknown.get(key_digest, 0) > time.monotonic():
        return None
    api_key = _snapshot(api_key_cache_key(key_digest), lambda: _api_key_row(key_digest))
    if api_key is None:
        # A new key's digest is random, so it cannot be on this list before it exists.
        _remember(_unknown, key_digest, time.monotonic() + UNKNOWN_SECONDS)
        return None
    if not hmac.compare_digest(api_key.digest, key_digest):
        return None
    if not api_key.is_active or api_key.is_expired:
        return None
    _touch(api_key)
    return api_key


def virtual_key_find(*, slug: str) -> VirtualKey | None:
    """The virtual key `slug` (active or not); an unknown slug is not cached, since an admin
    may create it next, and a caller's stream of unknown slugs must not fill the shared store."""
    return _snapshot(
        virtual_key_cache_key(slug), lambda: VirtualKey.objects.filter(slug=slug).first()
    )


def _api_key_row(key_digest: str) -> ApiKey | None:
    api_key = ApiKey.objects.filter(digest=key_digest).first()
    if api_key is not None:
        # Stored on the snapshot so the access resolver needs no query per request.
        api_key.virtual_key_ids = frozenset(api_key.virtual_keys.values_list("id", flat=True))
    return api_key


def _snapshot(key: str, read):
    """The row for `key`: this process's copy if still current, else the shared snapshot, else
    `read()`, which is then stored unless a change is under way."""
    current = generation("keys")  # read before the row, so a change after it retires the copy
    held = _held.get(key)
    if held is not None and held[0] == current and held[1] > time.monotonic():
        return held[2]
    state = caches["state"]
    row = state.get(key)
    if row is None or isinstance(row, str):
        changing, row = row is not None, read()
        if row is not None and not changing:
            state.add(key, row, SNAPSHOT_SECONDS)  # add, not set: never over a CHANGED mark
    if row is not None:
        _remember(_held, key, (current, time.monotonic() + HELD_SECONDS, row))
    return row


def _remember(table: dict, key: str, value) -> None:
    if len(table) >= LOCAL_MAX:
        table.clear()  # a flood only costs database lookups, never memory
    table[key] = value


def _touch(api_key: ApiKey) -> None:
    now = timezone.now()
    every = timedelta(seconds=TOUCH_SECONDS)
    if api_key.last_used_at and now - api_key.last_used_at < every:
        return
    stamped = _touched.get(api_key.digest)
    if stamped is not None and now - stamped < every:
        return  # this process asked within the minute: no shared write per request
    _remember(_touched, api_key.digest, now)
    # add is atomic on every shared store: one process per minute writes the timestamp.
    if caches["state"].add(f"apikey-touch:{api_key.pk}", 1, TOUCH_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
