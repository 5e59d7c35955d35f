"""`make bench`: the /v1/models load table and scale figures, on 127.0.0.1 only."""

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from benchmarks import processes, report, scale, seed
from benchmarks.load import fetch, wrk
from benchmarks.measure import measured
from benchmarks.report import Row

CONNECTIONS = (16, 64)
# What the OpenAI and Portkey SDKs send; gzip is what real clients get.
CLIENT = {"Accept-Encoding": "gzip"}


def load(
    row: Row, url: str, headers: dict, args, workers: list[int], extra=(), *, server: int
) -> Row:
    """Warm up, then one bounded wrk run per connection count, with the server's CPU per
    request (its whole process tree) and the workers' peak RSS."""
    wrk(url, connections=CONNECTIONS[0], seconds=1, headers=headers)
    reset = processes.peak_rss_reset(workers)
    for connections in (*CONNECTIONS, *extra):
        run = measured(
            url, server_pid=server, connections=connections, seconds=args.seconds, headers=headers
        )
        row.results.append(run.result)
        row.cpu_us.append(run.cpu_us)
        print(f"  {row.label} c={connections}: {run.result.rps:,.0f} req/s", flush=True)
    if workers and reset:
        row.peak_rss_mb = processes.peak_rss_mb(workers)
    return row


def check(url: str, headers: dict, *, want: str = "") -> str:
    """One request before the load: its status, cache status and body size, compressed or not."""
    status, response_headers, body = fetch(url, headers)
    encoding = response_headers.get("content-encoding", "")
    raw = gzip.decompress(body) if encoding == "gzip" else body
    if status != 200:
        raise SystemExit(f"{url} answered {status}: {raw[:300]!r}")
    cache = response_headers.get("x-portkey-cache-status", "")
    if want and cache != want:
        raise SystemExit(f"{url}: expected cache status {want}, got {cache!r}")
    sizes = f"{len(raw) / 1024:.0f} KB" + (
        f" -> {len(body) / 1024:.0f} KB gzip" if encoding else ""
    )
    return " ".join(part for part in (cache, sizes) if part)


def gateway_rows(fixture, gateway: str, args, workers: list[int], server: int) -> list[Row]:
    small = {**CLIENT, "x-portkey-api-key": fixture.small_key}
    large = {**CLIENT, "x-portkey-api-key": fixture.large_key}
    routed = {**small, "x-portkey-virtual-key": fixture.provider_slug}
    cells = [
        ("2 catalog, 40 entries", "/v1/models", small, ""),
        (report.WHOLE_LIST, "/v1/models", large, ""),
        ("2 catalog, 10,000 entries (limit=1000)", "/v1/models?limit=1000", large, ""),
        ("3 provider route, from cache", "/v1/models", routed, "HIT"),
        ("5 GET /v1/models/{id} (catalog)", f"/v1/models/{fixture.catalog_model}", small, ""),
    ]
    rows = []
    for label, path, headers, want in cells:
        # Ask until several answers in a row come from the cache, so the row measures cached
        # answers (with a per-process --cache-url such as locmemcache://, on every worker).
        hits = 0
        for _ in range(30):
            status = fetch(gateway + path, headers)[1].get("x-portkey-cache-status")
            hits = hits + 1 if status == "HIT" else 0
            if hits == 4:
                break
        row = Row(label, check=check(gateway + path, headers, want=want))
        rows.append(load(row, gateway + path, headers, args, workers, server=server))
    return rows


def slow_providers(gateway: str, args, logs: Path, figures: dict) -> list[str]:
    """10 virtual keys whose provider answers in 200 ms: sync them, then list them."""
    process, url = processes.fake_provider(models=50, latency_ms=200, logs=logs)
    with process:
        keys = seed.virtual_keys("bench-slow", 10, url)
        raw = seed.api_key_scoped(keys)
        seconds, run = scale.sync_seconds(keys)
        figures["slow_sync_ms"] = seconds * 1000
        lines = [
            f"  sync of 10 virtual keys (200 ms each), cold: {seconds * 1000:.0f} ms "
            f"({run.added} entries added, {run.keys_failed} failed; "
            f"one after another would take >= 2,000 ms)"
        ]
        headers = {**CLIENT, "x-portkey-api-key": raw}
        times = [scale.timed_get(f"{gateway}/v1/models", headers) for _ in range(20)]
        lines.append(
            f"  then GET /v1/models across the 10 keys (catalog, no provider call): first "
            f"{times[0][0]:.1f} ms, median {sorted(t[0] for t in times)[10]:.1f} ms, "
            f"status {times[0][1]}"
        )
        slugs = [key.slug for key in keys]
        elapsed, answers = scale.concurrent_provider_routes(gateway, raw, slugs)
        lines.append(f"  10 provider routes asked at once by a client, cold: {elapsed:.0f} ms")
        # Until every answer is a HIT: one pass fills a cache the workers share; a per-process
        # one (locmemcache://) fills only once each worker has served each key.
        passes, warm = 0, False
        while passes < 7 and not warm:
            passes += 1
            elapsed, answers = scale.concurrent_provider_routes(gateway, raw, slugs)
            warm = all(status == 200 and cache == "HIT" for status, cache in answers)
        states = ", ".join(sorted({f"{status} {cache}" for status, cache in answers}))
        lines.append(f"  the same again, from cache: {elapsed:.0f} ms ({states}; pass {passes})")
    return lines


def auth_and_sync(args, logs: Path, figures: dict) -> list[str]:
    lines = []
    for total in (10, args.api_keys):
        created = seed.api_keys_bulk(total)
        raw = seed.api_key_scoped([])
        cold, warm = scale.auth_cost_us(raw)
        figures[f"auth_us_{total}"] = (cold, warm)
        lines.append(
            f"  {total:>7,} API keys: {cold:6.0f} us not cached (digest lookup + scope), "
            f"{warm:5.1f} us cached  (seeded in {created:.1f} s)"
        )
    lines.append(f"  digest lookup plan: {scale.digest_query_plan()}")
    process, url = processes.fake_provider(models=args.sync_models, latency_ms=0, logs=logs)
    with process:
        keys = seed.virtual_keys("bench-sync", args.sync_keys, url)
        for attempt in ("first (all new)", "again (unchanged)"):
            seconds, run = scale.sync_seconds(keys)
            lines.append(
                f"  sync_models {args.sync_keys} virtual keys x {args.sync_models:,} models, "
                f"{attempt}: {seconds:.1f} s (+{run.added} ={run.unchanged}, "
                f"{run.keys_failed} failed)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--cache-url", default="", help="default: the machine cache")
    parser.add_argument("--api-keys", type=int, default=100_000)
    parser.add_argument("--sync-keys", type=int, default=50)
    parser.add_argument("--sync-models", type=int, default=2_000)
    args = parser.parse_args()
    started = time.monotonic()
    figures: dict = {}
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    database = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    env = seed.environment(
        database_url=database, cache_url=args.cache_url, provider_hosts=[processes.HOST]
    )
    seed.django_start(env)
    print(f"logs and database in {work}", flush=True)

    provider, provider_url = processes.fake_provider(models=50, latency_ms=0, logs=work)
    with provider:
        fixture = seed.table_fixture(provider_url=provider_url)
        alone = load(
            Row("1 fake provider alone (50 models)"),
            f"{provider_url}/v1/models",
            {},
            args,
            [],
            extra=(1,),
            server=provider.pid,
        )
        alone.peak_rss_mb = processes.peak_rss_mb([provider.pid])
        hello, hello_url = processes.serve(
            [*processes.GATEWAY_COMMAND, "--app", "benchmarks.hello:wsgi"],
            env=env,
            logs=work,
            name="floor",
        )
        with hello:
            floor = load(
                Row("0 floor: hello-world, same server"),
                hello_url + "/",
                CLIENT,
                args,
                processes.children(hello.pid),
                extra=(1,),
                server=hello.pid,
            )
        gateway, gateway_url = processes.gateway(env=env, logs=work, name="cached")
        with gateway:
            workers = processes.children(gateway.pid)
            rows = gateway_rows(fixture, gateway_url, args, workers, gateway.pid)
            slow = slow_providers(gateway_url, args, work, figures)
        uncached_env = {**env, "GATEWAY_MODELS_CACHE_TTL": "0"}
        gateway, gateway_url = processes.gateway(env=uncached_env, logs=work, name="uncached")
        with gateway:
            headers = {
                **CLIENT,
                "x-portkey-api-key": fixture.small_key,
                "x-portkey-virtual-key": fixture.provider_slug,
            }
            row = Row(
                "4 provider route, caching disabled",
                check=check(gateway_url + "/v1/models", headers, want="DISABLED"),
            )
            uncached = load(
                row,
                gateway_url + "/v1/models",
                headers,
                args,
                processes.children(gateway.pid),
                extra=(1,),
                server=gateway.pid,
            )
    scale_lines = auth_and_sync(args, work, figures)

    print()
    print(report.table([floor, alone, *rows, uncached], floor=floor))
    print("\nAdded latency of the gateway, route 4 against route 1:")
    print(report.added_latency(alone.results, uncached.results))
    print("\nListing across 10 virtual keys whose providers answer in 200 ms:")
    print("\n".join(slow))
    print("\nAuthentication (one key lookup, lowest of 10 rounds' medians) and sync_models:")
    print("\n".join(scale_lines))
    print("\nTargets (issues 5 and 14) on this run:")
    print(report.targets(alone, rows, uncached, figures, args.api_keys))
    print(
        f"\n{processes.HOST} only; wrk -t1, {args.seconds} s per run; "
        f"database {'temporary SQLite' if not args.database_url else 'DATABASE_URL'}; "
        f"total {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
