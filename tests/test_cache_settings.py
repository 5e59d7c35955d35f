"""CACHES: the machine cache by default, three stores, and CACHE_URL honoured for every one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway_project.caches import ALIASES, MACHINE_CACHE, caches_setting
from keys.generations import NAMES

ROOT = Path(__file__).resolve().parent.parent
PRINT_CACHES = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.CACHES))"
)


def settings_caches(**env: str) -> subprocess.CompletedProcess:
    """The CACHES a fresh process computes from this environment (no CACHE_URL unless given)."""
    clean = {k: v for k, v in os.environ.items() if "CACHE" not in k}
    clean.update(
        SECRET_KEY="s" * 60,
        GATEWAY_ENCRYPTION_KEYS="dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE=",
        DATABASE_URL="sqlite:///:memory:",
        DJANGO_SETTINGS_MODULE="gateway_project.settings",
        GATEWAY_ENV_FILE="",  # not a local .env's cache settings
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT_CACHES],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_default_is_the_machine_cache_in_the_projects_var_folder():
    done = settings_caches()
    assert done.returncode == 0, done.stderr
    caches = json.loads(done.stdout)
    assert sorted(caches) == sorted(ALIASES)
    for alias, config in caches.items():
        assert config["BACKEND"] == MACHINE_CACHE
        assert config["LOCATION"] == str(ROOT / "var" / "cache" / f"{alias}.sqlite3")
    assert caches["default"]["OPTIONS"] == {"MAX_BYTES": 256 * 1024 * 1024}
    # Snapshots and counters are never evicted: no size bound on their stores.
    assert caches["ratelimit"]["OPTIONS"] == {}
    # The generations every request reads are counters in shared memory, named as keys reads them.
    assert caches["state"]["OPTIONS"] == {"COUNTERS": ["generation:keys", "generation:catalog"]}
    assert [f"generation:{name}" for name in NAMES] == caches["state"]["OPTIONS"]["COUNTERS"]


def test_a_custom_folder_and_size(tmp_path):
    done = settings_caches(GATEWAY_CACHE_DIR=str(tmp_path / "gw"), GATEWAY_CACHE_MAX_MB="32")
    assert done.returncode == 0, done.stderr
    caches = json.loads(done.stdout)
    assert caches["ratelimit"]["LOCATION"] == str(tmp_path / "gw" / "ratelimit.sqlite3")
    assert caches["default"]["OPTIONS"]["MAX_BYTES"] == 32 * 1024 * 1024
    relative = json.loads(settings_caches(GATEWAY_CACHE_DIR="run/cache").stdout)
    assert relative["state"]["LOCATION"] == str(ROOT / "run" / "cache" / "state.sqlite3")


def test_cache_url_on_redis_puts_every_store_there_apart_by_prefix():
    done = settings_caches(CACHE_URL="rediscache://127.0.0.1:6379/13?key_prefix=gw")
    assert done.returncode == 0, done.stderr
    caches = json.loads(done.stdout)
    assert {c["BACKEND"] for c in caches.values()} == {"django_redis.cache.RedisCache"}
    assert {c["LOCATION"] for c in caches.values()} == {"redis://127.0.0.1:6379/13"}
    prefixes = {alias: c["KEY_PREFIX"] for alias, c in caches.items()}
    assert prefixes == {"default": "gw", "state": "gw:state", "ratelimit": "gw:ratelimit"}


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"CACHE_URL": "nosuchcache://somewhere"}, "Setting CACHE_URL is malformed"),
        ({"GATEWAY_CACHE_MAX_MB": "0"}, "GATEWAY_CACHE_MAX_MB must be greater than zero"),
        ({"GATEWAY_CACHE_MAX_MB": "lots"}, "GATEWAY_CACHE_MAX_MB is malformed"),
    ],
)
def test_a_bad_cache_setting_stops_the_start_naming_it(env, fragment):
    done = settings_caches(**env)
    assert done.returncode != 0
    assert fragment in done.stderr


def test_without_a_prefix_the_stores_still_differ():
    caches = caches_setting(url="rediscache://127.0.0.1:6379/0", directory=Path("/x"), max_bytes=1)
    assert [caches[a].get("KEY_PREFIX", "") for a in ALIASES] == ["", "state", "ratelimit"]


def test_local_memory_and_file_caches_get_a_store_per_alias():
    local = caches_setting(url="locmemcache://gw", directory=Path("/x"), max_bytes=1)
    assert [local[a]["LOCATION"] for a in ALIASES] == ["gw", "gw-state", "gw-ratelimit"]
    # The local-memory cache culls at 300 entries unless told otherwise; counters must not be.
    assert local["ratelimit"]["OPTIONS"]["MAX_ENTRIES"] >= 1_000_000
    files = caches_setting(url="filecache:///var/tmp/gw", directory=Path("/x"), max_bytes=1)
    assert files["state"]["LOCATION"] == "/var/tmp/gw/state"
