"""Find the ApiKey for a presented gateway key: digest lookup, shared-cache snapshot."""

import hmac
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from keys.crypto import secret_digest
from keys.models import KEY_PREFIX, ApiKey, VirtualKey

CACHE_SECONDS = 30  # bound on how long a revocation takes to reach a process with a local cache
TOUCH_SECONDS = 60  # last_used_at is written at most this often per key
MAX_KEY_LENGTH = 200
_MISSING = "missing"


def api_key_cache_key(key_digest: str) -> str:
    return f"apikey:{key_digest}"


def forget(key_digest: str) -> None:
    cache.delete(api_key_cache_key(key_digest))


def api_key_find(*, raw_key: str) -> ApiKey | None:
    """The active, unexpired ApiKey for `raw_key`, or None. Never raises on garbage input."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > MAX_KEY_LENGTH:
        return None
    key_digest = secret_digest(raw_key)
    api_key = cache.get(api_key_cache_key(key_digest))
    if api_key is None:
        api_key = ApiKey.objects.filter(digest=key_digest).first() or _MISSING
        if api_key != _MISSING:
            # Stored on the snapshot so the access resolver needs no query per request.
            api_key.virtual_key_ids = frozenset(api_key.virtual_keys.values_list("id", flat=True))
        cache.set(api_key_cache_key(key_digest), api_key, CACHE_SECONDS)
    if api_key == _MISSING or not hmac.compare_digest(api_key.digest, key_digest):
        return None
    if not api_key.is_active or api_key.is_expired:
        return None
    _touch(api_key)
    return api_key


def _touch(api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < timedelta(seconds=TOUCH_SECONDS):
        return
    # cache.add is atomic on shared caches: one process per minute writes the timestamp.
    if cache.add(f"apikey-touch:{api_key.pk}", 1, TOUCH_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def virtual_key_cache_key(slug: str) -> str:
    return f"virtualkey:{slug}"


def virtual_key_find(*, slug: str) -> VirtualKey | None:
    """The virtual key `slug` (active or not), from a shared-cache snapshot dropped on save."""
    found = cache.get(virtual_key_cache_key(slug))
    if found is None:
        found = VirtualKey.objects.filter(slug=slug).first() or _MISSING
        cache.set(virtual_key_cache_key(slug), found, CACHE_SECONDS)
    return None if found == _MISSING else found
