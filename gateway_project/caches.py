"""The CACHES setting: three stores, on the machine-wide SQLite cache or on what CACHE_URL names.

- `default`: cached answers (provider lists, catalog pages, control-plane answers); bounded,
  the first to give way.
- `state`: key and virtual-key snapshots and the catalog generation, which every process must
  agree on; never evicted, only expired.
- `ratelimit`: rate-limit counters, alone, so nothing else can push them out; never evicted.
"""

from pathlib import Path

import environ

ALIASES = ("default", "state", "ratelimit")
MACHINE_CACHE = "gateway_project.machine_cache.MachineCache"
# Backends whose LOCATION is a store of its own (a process's memory, a folder): each alias gets
# its own. Any other backend (Redis, Memcached, the database) is shared and told apart by prefix.
_LOCAL_BACKENDS = ("locmem.LocMemCache", "filebased.FileBasedCache")
# The local-memory cache culls at MAX_ENTRIES (300 by default); counters and snapshots must not be.
_LOCMEM_STATE_ENTRIES = 1_000_000
# On the machine cache, the generations every request reads (keys/generations.py NAMES) are
# counters in shared memory rather than SQLite rows.
MACHINE_COUNTERS = ("generation:keys", "generation:catalog")


def caches_setting(*, url: str, directory: Path, max_bytes: int) -> dict:
    """CACHES for every alias: the machine cache in `directory` unless `url` names a backend."""
    if not url:
        return {
            alias: {
                "BACKEND": MACHINE_CACHE,
                "LOCATION": str(directory / f"{alias}.sqlite3"),
                "OPTIONS": _machine_options(alias, max_bytes),
            }
            for alias in ALIASES
        }
    base = environ.Env.cache_url_config(url)
    return {alias: _alias_config(base, alias) for alias in ALIASES}


def _machine_options(alias: str, max_bytes: int) -> dict:
    if alias == "default":
        return {"MAX_BYTES": max_bytes}
    return {"COUNTERS": MACHINE_COUNTERS} if alias == "state" else {}


def _alias_config(base: dict, alias: str) -> dict:
    config = {**base, "OPTIONS": dict(base.get("OPTIONS", {}))}
    if alias == "default":
        return config
    if base["BACKEND"].endswith(_LOCAL_BACKENDS):
        separator = "/" if base["BACKEND"].endswith("FileBasedCache") else "-"
        config["LOCATION"] = f"{base.get('LOCATION', '')}{separator}{alias}"
        if base["BACKEND"].endswith("LocMemCache"):
            config["OPTIONS"]["MAX_ENTRIES"] = _LOCMEM_STATE_ENTRIES
    else:
        prefix = base.get("KEY_PREFIX", "")
        config["KEY_PREFIX"] = f"{prefix}:{alias}" if prefix else alias
    return config
