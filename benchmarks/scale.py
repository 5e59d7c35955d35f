"""Scale figures measured in-process or by single timed requests: auth, sync, slow providers."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.load import fetch


def auth_cost_us(raw_key: str, *, rounds: int = 10, iterations: int = 200) -> tuple[float, float]:
    """Microseconds of one key lookup: (snapshot not cached, snapshot cached).

    Each figure is the lowest of `rounds` medians, the two kinds measured in alternating
    rounds: a slow moment of the machine (its speed moves by ~30%) then raises one round,
    not the figure compared between a table of 10 keys and one of 100,000.
    """
    from django.core.cache import caches

    from keys import lookup
    from keys.crypto import secret_digest
    from keys.lookup import api_key_cache_key, api_key_find

    snapshot = api_key_cache_key(secret_digest(raw_key))
    cache = caches["state"]
    cold_rounds, warm_rounds = [], []
    for _ in range(rounds):
        cold, warm = [], []
        for _ in range(iterations):
            cache.delete(snapshot)
            lookup._held.pop(snapshot, None)  # and this process's copy: the row is read again
            started = time.perf_counter()
            found = api_key_find(raw_key=raw_key)
            cold.append(time.perf_counter() - started)
            assert found is not None
        for _ in range(iterations):
            started = time.perf_counter()
            api_key_find(raw_key=raw_key)
            warm.append(time.perf_counter() - started)
        cold_rounds.append(statistics.median(cold))
        warm_rounds.append(statistics.median(warm))
    return min(cold_rounds) * 1e6, min(warm_rounds) * 1e6


def digest_query_plan() -> str:
    """How the database finds a key by digest (an index search, whatever the table's size)."""
    from keys.models import ApiKey

    return " ".join(ApiKey.objects.filter(digest="0" * 64).explain().split())


def sync_seconds(virtual_keys: list):
    """(seconds, SyncRun) for one catalog_sync of these keys, the work `sync_models` does."""
    from models_api.catalog.sync import catalog_sync

    started = time.perf_counter()
    run = catalog_sync(virtual_keys=virtual_keys)
    return time.perf_counter() - started, run


def timed_get(url: str, headers: dict) -> tuple[float, int, dict]:
    started = time.perf_counter()
    status, response_headers, _ = fetch(url, headers)
    return (time.perf_counter() - started) * 1000, status, response_headers


def concurrent_provider_routes(gateway: str, raw_key: str, slugs: list[str]) -> tuple[float, list]:
    """A client asking the gateway for each virtual key's provider list at once: (ms, statuses)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(slugs)) as pool:
        answers = list(
            pool.map(
                lambda slug: fetch(
                    f"{gateway}/v1/models",
                    {"x-portkey-api-key": raw_key, "x-portkey-virtual-key": slug},
                ),
                slugs,
            )
        )
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, [
        (status, headers.get("x-portkey-cache-status")) for status, headers, _ in answers
    ]
