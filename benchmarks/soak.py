"""Soak: two gateways on PostgreSQL + Redis under wrk for a minute; zero errors, flat memory.

python -m benchmarks.soak [--duration 60] [--connections 32]   (127.0.0.1 only; needs wrk)
Exits non-zero when any request failed or a worker's memory grew more than --max-growth percent
between the 10 s mark and the end.
"""

import argparse
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import redis

from benchmarks import processes, seed
from benchmarks.load import fetch, wrk

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BASELINE_SECONDS = 10  # memory growth is measured from here: start-up and warm-up come before


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Every `every` seconds, each worker's resident memory: [(seconds, {pid: kB})]."""

    def __init__(self, pids: list[int], every: float):
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.done = threading.Event()

    def run(self):
        started = time.monotonic()
        while True:
            self.samples.append((time.monotonic() - started, {p: rss_kb(p) for p in self.pids}))
            if self.done.wait(self.every):
                break
        if time.monotonic() - started - self.samples[-1][0] > 1:  # the end of the run
            self.samples.append((time.monotonic() - started, {p: rss_kb(p) for p in self.pids}))


def database(url: str) -> tuple[str, str]:
    """(database URL, name to drop afterwards or "") - a fresh PostgreSQL database by default."""
    if url:
        return url, ""
    name = f"gateway_soak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}", name


def cleanup(name: str, prefix: str) -> None:
    if name:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    client = redis.Redis(host="127.0.0.1", port=6379, db=3, socket_timeout=5)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def targets(gateways: list[str], raw_key: str, provider_url: str) -> list[tuple[str, str, dict]]:
    """(label, url, headers): the catalog route and a provider route on each gateway."""
    catalog = {"x-portkey-api-key": raw_key}
    provider = {
        **catalog,
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": f"{provider_url}/v1",
        "authorization": "Bearer sk-soak-credential",
    }
    return [
        (f"{name} {route}", f"{url}/v1/models", headers)
        for name, url in zip("AB", gateways, strict=True)
        for route, headers in (("catalog", catalog), ("provider", provider))
    ]


def run(args, work: Path, database_url: str, prefix: str) -> int:
    provider, provider_url = processes.fake_provider(models=50, latency_ms=0, logs=work)
    with provider:
        env = seed.environment(
            database_url=database_url,
            cache_url=f"rediscache://127.0.0.1:6379/3?key_prefix={prefix}",
            provider_hosts=[provider_url.removeprefix("http://")],
        )
        # A short provider-list TTL: the provider route keeps calling upstream during the run.
        env.update(GATEWAY_MODELS_CACHE_TTL="2", WEB_CONCURRENCY=str(args.workers))
        seed.django_start(env)
        (virtual_key,) = seed.virtual_keys("soak", 1, provider_url)
        seed.catalog_entries(virtual_key, 40)
        raw_key = seed.api_key_scoped([virtual_key])
        first, first_url = processes.gateway(env=env, logs=work, name="a")
        second, second_url = processes.gateway(env=env, logs=work, name="b")
        with first, second:
            cells = targets([first_url, second_url], raw_key, provider_url)
            for label, url, headers in cells:
                status, _, body = fetch(url, headers)
                if status != 200:
                    raise SystemExit(f"{label}: {status} before the run: {body[:300]!r}")
            workers = processes.children(first.pid) + processes.children(second.pid)
            return measure(args, cells, workers, [first.pid, second.pid])


ROW = "{:<12} {:>5} {:>9} {:>8} {:>7} {:>7} {:>6}"


def measure(args, cells, workers: list[int], masters: list[int]) -> int:
    shares = [args.connections // len(cells)] * len(cells)
    for n in range(args.connections % len(cells)):
        shares[n] += 1
    sampler = Sampler(workers, args.sample_every)
    sampler.start()
    with ThreadPoolExecutor(max_workers=len(cells)) as pool:
        runs = [
            pool.submit(wrk, url, connections=share, seconds=args.duration, headers=headers)
            for (_, url, headers), share in zip(cells, shares, strict=True)
        ]
        results = [run.result() for run in runs]
    sampler.done.set()
    sampler.join(timeout=10)
    after = sorted(pid for master in masters for pid in processes.children(master))

    print(
        f"\n{args.duration} s, {args.connections} connections, 2 gateways x {args.workers} workers"
    )
    print(ROW.format("target", "conns", "requests", "req/s", "p50 ms", "p99 ms", "errors"))
    for (label, _, _), r in zip(cells, results, strict=True):
        print(
            ROW.format(
                label,
                r.connections,
                f"{r.requests:,}",
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                r.errors,
            )
        )
    errors = sum(r.errors for r in results)
    total, rps = sum(r.requests for r in results), sum(r.rps for r in results)
    print(ROW.format("total", args.connections, f"{total:,}", f"{rps:,.0f}", "", "", errors))

    print(f"\nworker RSS (MB), sampled every {args.sample_every:g} s:")
    print("   t  " + " ".join(f"{pid:>8}" for pid in workers))
    for seconds, rss in sampler.samples:
        print(f"{seconds:4.0f}  " + " ".join(f"{rss[pid] / 1024:8.1f}" for pid in workers))
    base = next(rss for seconds, rss in sampler.samples if seconds >= BASELINE_SECONDS - 0.5)
    end = sampler.samples[-1][1]
    growth = max((end[pid] - base[pid]) / base[pid] * 100 for pid in workers)
    print(
        f"largest growth {BASELINE_SECONDS} s -> end: {growth:+.1f}% (limit {args.max_growth:g}%)"
    )
    # For the reader: warm-up growth levels off; a leak keeps climbing through the second half.
    half = next(rss for seconds, rss in sampler.samples if seconds >= args.duration / 2 - 0.5)
    late = max((end[pid] - half[pid]) / half[pid] * 100 for pid in workers)
    print(f"largest growth over the second half: {late:+.1f}%")
    restarted = after != sorted(workers)
    print(f"errors: {errors}; workers restarted: {'yes' if restarted else 'no'}")
    return 1 if errors or growth > args.max_growth or restarted else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=60, help="seconds (at least 15)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server workers per gateway")
    parser.add_argument(
        "--sample-every", type=float, default=5.0, help="seconds between RSS samples"
    )
    parser.add_argument("--max-growth", type=float, default=10.0, help="percent, 10 s mark to end")
    parser.add_argument("--database-url", default="", help="default: a fresh PostgreSQL database")
    args = parser.parse_args()
    if args.duration < BASELINE_SECONDS + 5 or args.connections < 4:
        parser.error(f"--duration must be at least {BASELINE_SECONDS + 5}, --connections 4")
    work = Path(tempfile.mkdtemp(prefix="gateway-soak-"))
    print(f"logs in {work}", flush=True)
    prefix = f"soak-{uuid.uuid4().hex[:8]}"  # this run's Redis keys only (db 3)
    database_url, created = database(args.database_url)
    try:
        status = run(args, work, database_url, prefix)
    finally:
        cleanup(created, prefix)
    sys.exit(status)


if __name__ == "__main__":
    main()
