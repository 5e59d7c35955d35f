"""In-process cost of one /v1/models answer from the 10,000-entry catalog, with no `limit`.

    python -m benchmarks.catalog_whole_list [--rounds 7] [--server SECONDS]

Runs the request through Django's test client (the whole middleware and DRF stack, no HTTP
server) against a temporary SQLite catalog seeded as `make bench` seeds it. Prints, for the
uncached answer (catalog page cache cleared before each round) and the cached one, the median
wall time, and the peak Python memory of one request (tracemalloc, in its own round).
With `--server`, the same answer is then loaded through the production server (wrk, 16 and 64
connections, SECONDS each) and its req/s, CPU per request and workers' peak RSS are printed.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--server", type=int, default=0, help="seconds of wrk per run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gateway-whole-list-"))
    env = seed.environment(
        database_url=f"sqlite:///{work / 'catalog.sqlite3'}",
        cache_url="locmemcache://whole-list",
        provider_hosts=["127.0.0.1:9"],
    )
    seed.django_start(env)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.core.cache import cache
    from django.test import Client

    from models_api.cache import recent

    fixture = seed.table_fixture(provider_url="http://127.0.0.1:9")
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"x-portkey-api-key": fixture.large_key, "Accept-Encoding": "gzip"}

    def request(*, cold: bool):
        if cold:  # the shared cache and this process's copies of its pages
            cache.clear()
            recent.clear()
        response = client.get("/v1/models", headers=headers)
        assert response.status_code == 200, response.content[:200]
        return response

    body = request(cold=True)
    plain = client.get("/v1/models", headers={"x-portkey-api-key": fixture.large_key})
    print(
        f"answer: {len(plain.json()['data'])} models, {len(plain.content) / 1e6:.2f} MB JSON, "
        f"{len(body.content) / 1e3:.0f} KB gzip"
    )
    for cold in (True, False):
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            request(cold=cold)
            times.append(time.perf_counter() - started)
        tracemalloc.start()
        request(cold=cold)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        label = "uncached (query + render + gzip)" if cold else "cached (HIT)"
        print(
            f"{label:34s} median {statistics.median(times) * 1e3:7.1f} ms, "
            f"min {min(times) * 1e3:7.1f} ms, peak Python memory {peak / 1e6:6.1f} MB"
        )
    if args.server:
        under_load(env, work, headers, seconds=args.server)


def under_load(env: dict, work: Path, headers: dict, *, seconds: int) -> None:
    from benchmarks import processes
    from benchmarks.load import wrk
    from benchmarks.measure import measured

    gateway, url = processes.gateway(env={**env, "CACHE_URL": ""}, logs=work, name="whole")
    with gateway:
        workers = processes.children(gateway.pid)
        print(f"server: worker peak RSS after start {processes.peak_rss_mb(workers):.0f} MB")
        wrk(url + "/v1/models", connections=16, seconds=1, headers=headers)
        for connections in (16, 64):
            processes.peak_rss_reset(workers)
            run = measured(
                url + "/v1/models",
                server_pid=gateway.pid,
                connections=connections,
                seconds=seconds,
                headers=headers,
            )
            print(
                f"server, {connections} connections: {run.result.rps:,.0f} req/s, p99 "
                f"{run.result.p99_ms:.0f} ms, errors {run.result.errors}, CPU "
                f"{run.cpu_us:,.0f} us a request, worker peak RSS "
                f"{processes.peak_rss_mb(workers):.0f} MB"
            )


if __name__ == "__main__":
    main()
