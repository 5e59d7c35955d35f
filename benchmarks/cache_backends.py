"""The cache backends benchmarks/cache.py compares, each laid out on the three aliases."""

from pathlib import Path

from gateway_project.caches import ALIASES, caches_setting

MAX_BYTES = 256 * 1024 * 1024

try:
    from diskcache import DjangoCache  # a candidate, not a dependency

    class OpenDiskCache(DjangoCache):
        """diskcache with close() a no-op: Django closes every cache after each request, and
        diskcache then reopens its SQLite files on the next one."""

        def close(self, **kwargs):
            pass

except ImportError:
    DjangoCache = None


def backends(work: Path, redis_db: int) -> dict[str, dict]:
    """CACHES for each backend that can run here (diskcache and Redis only when present)."""
    found = {
        "local memory": caches_setting(url="locmemcache://bench", directory=work, max_bytes=0),
        "machine cache": caches_setting(url="", directory=work / "machine", max_bytes=MAX_BYTES),
        "django db cache": {
            alias: {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": f"bench_cache_{alias}",
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            }
            for alias in ALIASES
        },
    }
    if DjangoCache is None:
        print("diskcache not installed: its rows are left out (pip install diskcache==5.6.3)")
    else:
        for name, backend in (
            ("diskcache", "diskcache.DjangoCache"),
            ("diskcache, kept open", f"{__name__}.OpenDiskCache"),
        ):
            found[name] = {
                alias: {
                    "BACKEND": backend,
                    "LOCATION": str(work / name.replace(", ", "-") / alias),
                    "OPTIONS": {} if alias == "default" else {"eviction_policy": "none"},
                }
                for alias in ALIASES
            }
    if redis_empty(redis_db):
        url = f"rediscache://127.0.0.1:6379/{redis_db}"
        found["redis"] = caches_setting(url=url, directory=work, max_bytes=0)
    else:
        print("Redis is not answering on 127.0.0.1:6379: its rows are left out")
    return found


def redis_empty(db: int) -> bool:
    """Empty the benchmark's own Redis db; False when Redis is not there."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=db, socket_timeout=2).flushdb()
        return True
    except redis.RedisError:
        return False
